"""Settings for measurements: the config's models and tracking, and nothing else running.

The demo config turns on identity, ANPR, the HTTP shim and the console so that `make run`
shows every module; benchmarks and evaluations measure one thing at a time and must not bind
the demo's ports.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def counting_only(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a settings mapping) with identity, ANPR, sync, the API and console off."""
    for section in ("identity", "anpr", "sync", "api", "ui"):
        data[section]["enabled"] = False
    data["api"]["port"] = 0
    data["ui"]["port"] = 0
    return data


def add_pets_arguments(ap: argparse.ArgumentParser) -> None:
    """``--config``, ``--video`` and ``--gt``: the demo config and the PETS clip with its
    ground truth, which every benchmark measures on."""
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--video", type=Path, default=Path("var/media/vtest.avi"))
    ap.add_argument("--gt", type=Path,
                    default=Path("../shared/data/counting/pets09_s2l1/gt.txt"))

