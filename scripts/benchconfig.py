"""Settings for measurements: the config's models and tracking, and nothing else running.

The demo config turns on identity, ANPR, the HTTP shim and the console so that `make run`
shows every module; benchmarks and evaluations measure one thing at a time and must not bind
the demo's ports. Or, with :func:`beside_the_rest`, one camera is measured while the rest of
the config runs beside it, as in the daemon.
"""

from __future__ import annotations

import argparse
import time
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



def beside_the_rest(data: dict[str, Any], camera_id: str, camera: dict[str, Any]
                    ) -> dict[str, Any]:
    """``data`` (a settings mapping) with ``camera`` in the place of its camera
    ``camera_id`` (the models that served it serve the new one) and everything else kept:
    the other cameras, models and modules run beside it as in the daemon. Sync, the API and
    the console are off (no uplink, no ports).

    Raises:
        ValueError: the mapping has no camera ``camera_id``.

    >>> data = {"models": [{"name": "p", "cameras": ["door"]}, {"name": "v", "cameras": ["gate"]}],
    ...         "cameras": [{"id": "door"}, {"id": "gate"}], "sync": {}, "api": {}, "ui": {}}
    >>> out = beside_the_rest(data, "door", {"id": "eval"})
    >>> [c["id"] for c in out["cameras"]], [m["cameras"] for m in out["models"]]
    (['eval', 'gate'], [['eval'], ['gate']])
    """
    ids = [c["id"] for c in data["cameras"]]
    if camera_id not in ids:
        raise ValueError(f"no camera {camera_id!r} in the config (it has {', '.join(ids)})")
    data["cameras"] = [camera if c["id"] == camera_id else c for c in data["cameras"]]
    for m in data["models"]:
        if m.get("cameras"):
            m["cameras"] = [camera["id"] if c == camera_id else c for c in m["cameras"]]
    for section in ("sync", "api", "ui"):
        data[section] = {**data.get(section, {}), "enabled": False}
    return data


def settings_changes(items: list[str]) -> dict:
    """``--set SETTING=VALUE`` items as one mapping of dotted settings."""
    from bench_live import parse_variant

    out: dict = {}
    for item in items:
        out.update(parse_variant(item))
    return out


def wait_for_the_video(app: Any, limit_s: float) -> None:
    """Until the evaluated video has ended and the loop has taken its last frame (the
    other cameras of ``--with-rest`` go on).

    Raises:
        RuntimeError: it has not ended after ``limit_s`` (a video that cannot be read)."""
    cam = app.cameras["eval"]
    deadline = time.monotonic() + limit_s
    while not (cam.health.finished and not cam.slot.has_new()):
        if time.monotonic() > deadline:
            app.stop()
            raise RuntimeError(f"the video has not ended after {limit_s:.0f} s: "
                               f"{cam.health.last_error or 'no error from its camera'}")
        time.sleep(0.1)
    time.sleep(1.0)  # the pass that took the last frame
