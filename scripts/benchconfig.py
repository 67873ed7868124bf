"""Settings for measurements: the config's models and tracking, and nothing else running.

The demo config turns on identity, ANPR, the HTTP shim and the console so that `make run`
shows every module; benchmarks and evaluations measure one thing at a time and must not bind
the demo's ports.
"""

from __future__ import annotations

from typing import Any


def counting_only(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a settings mapping) with identity, ANPR, sync, the API and console off."""
    for section in ("identity", "anpr", "sync", "api", "ui"):
        data[section]["enabled"] = False
    data["api"]["port"] = 0
    data["ui"]["port"] = 0
    return data
