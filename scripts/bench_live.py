#!/usr/bin/env python3
"""The whole daemon, live: how many frames each camera's lines see while everything else runs.

Runs the real App on a config (by default the demo's: both cameras paced at their rate,
face identity, plate reading) for ``--seconds`` after a warm-up, once per ``--variant``
(settings changed by dotted path), and reports for each camera the frames analysed a
second and what share of its frames that is, and the plate workers' reads, their seconds
and the jobs a full queue refused. The API, console and metrics server are left off (no
ports needed); the database is a temporary one.

Example:
    python scripts/bench_live.py --config config/demo.yaml --seconds 90 \\
        --variant "" --variant anpr.worker_nice=0 [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from edge.app import App, RunOptions
from edge.config import ConfigError, validate_mapping
from edge.telemetry import metrics


def parse_variant(text: str) -> dict[str, Any]:
    """``a.b=1,c=x`` as {"a.b": 1, "c": "x"} (values read as YAML); ``""``: no change.

    >>> parse_variant("anpr.worker_nice=0,anpr.threads=2")
    {'anpr.worker_nice': 0, 'anpr.threads': 2}
    >>> parse_variant("")
    {}
    """
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"--variant {text!r}: write SETTING=VALUE[,SETTING=VALUE]")
        out[key] = yaml.safe_load(value)
    return out


def apply_variant(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of the config mapping ``data`` with each dotted setting of ``changes`` set; a
    number picks an item of a list (``models.0.refine.crop``).

    >>> apply_variant({"anpr": {"enabled": True}}, {"anpr.worker_nice": 0})
    {'anpr': {'enabled': True, 'worker_nice': 0}}
    >>> apply_variant({"models": [{"name": "a"}]}, {"models.0.imgsz": 960})
    {'models': [{'name': 'a', 'imgsz': 960}]}
    """
    out = json.loads(json.dumps(data))
    for key, value in changes.items():
        node: Any = out
        *path, last = key.split(".")
        for name in path:
            if isinstance(node, list):
                if not name.isdigit() or int(name) >= len(node):
                    raise ValueError(f"--variant {key}: {name} is not an item of its list "
                                     f"(0-{len(node) - 1})")
                node = node[int(name)]
            else:
                node = node.setdefault(name, {})
            if not isinstance(node, dict | list):
                raise ValueError(f"--variant {key}: {name} is not a section")
        if isinstance(node, list):
            raise ValueError(f"--variant {key}: {path[-1]} is a list; name one of its items")
        node[last] = value
    return out


def _total(counter: Any) -> float:
    """The sum of a counter's ``_total`` samples over its labels (a histogram's count)."""
    total = 0.0
    for family in counter.collect():
        for s in family.samples:
            if s.name.endswith("_total") or s.name.endswith("_count"):
                total += s.value
    return total


def _plate_numbers() -> tuple[float, float, float]:
    return (_total(metrics.ANPR_READS), _read_seconds(), _total(metrics.ANPR_QUEUE_DROPPED))


def _read_seconds() -> float:
    return sum(s.value for family in metrics.ANPR_READ_SECONDS.collect()
               for s in family.samples if s.name.endswith("_sum"))


def run(data: dict[str, Any], seconds: float, warmup: float, tmp: Path) -> dict[str, Any]:
    """One run of the App on the config mapping ``data``: frames analysed per camera and
    the plate workers' work over ``seconds``, after ``warmup``."""
    data = json.loads(json.dumps(data))
    data["storage"] = {**data.get("storage", {}), "path": str(tmp / "live.db")}
    for section in ("metrics", "api", "ui"):
        data[section] = {**data.get(section, {}), "enabled": False}
    app = App(validate_mapping(data, "bench_live"), RunOptions(pace=True))
    app.start()
    try:
        time.sleep(warmup)
        f0 = {k: s.total_frames for k, s in app.stats.items()}
        p0, t0 = _plate_numbers(), time.perf_counter()
        time.sleep(seconds)
        elapsed = time.perf_counter() - t0
        f1 = {k: s.total_frames for k, s in app.stats.items()}
        p1 = _plate_numbers()
        rates = {k: cam.health.frame_rate for k, cam in app.cameras.items()}
    finally:
        app.stop()
    cameras = {}
    for cam_id, frames in f1.items():
        analysed = (frames - f0.get(cam_id, 0)) / elapsed
        rate = rates.get(cam_id, 0.0)
        cameras[cam_id] = {"analysed_fps": round(analysed, 2), "camera_fps": round(rate, 2),
                           "one_in": round(rate / analysed, 1) if analysed and rate else None}
    with sqlite3.connect(tmp / "live.db") as db:
        vehicles, plates = db.execute(
            "SELECT count(*), count(nullif(plate_number, '')) FROM vehicle_logs").fetchone()
    reads = p1[0] - p0[0]
    return {"seconds": round(elapsed, 1), "cameras": cameras,
            "plate_reads": int(reads),
            "seconds_per_read": round((p1[1] - p0[1]) / reads, 2) if reads else None,
            "plate_jobs_refused": int(p1[2] - p0[2]),
            "vehicles_logged": vehicles, "plates_read": plates}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--warmup", type=float, default=20.0,
                    help="seconds before measuring (models load, cameras open)")
    ap.add_argument("--variant", action="append", metavar="SETTING=VALUE[,...]",
                    help="settings changed for one run, by dotted path (repeat for more runs; "
                    "\"\" for the config as it is); default: one run as it is")
    ap.add_argument("--json", action="store_true", help="print only JSON on stdout")
    args = ap.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0:
        ap.error("--seconds must be above 0 and --warmup not below 0")
    try:
        variants = [parse_variant(v) for v in (args.variant or [""])]
        base = yaml.safe_load(args.config.read_text(encoding="utf-8"))
        configs = [apply_variant(base, v) for v in variants]
        for data in configs:
            validate_mapping(data, str(args.config))
    except (OSError, ValueError, ConfigError, yaml.YAMLError) as exc:
        ap.error(str(exc))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    results = []
    for changes, data in zip(variants, configs, strict=True):
        # Libraries that print (ultralytics' "Loading ...") print to stderr: stdout is ours.
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
            result = run(data, args.seconds, args.warmup, Path(tmp))
        results.append({"variant": changes, **result})
        if not args.json:
            label = ", ".join(f"{k}={v}" for k, v in changes.items()) or "as configured"
            cams = "; ".join(f"{cid} {c['analysed_fps']}/s (1 in {c['one_in']})"
                             for cid, c in result["cameras"].items())
            print(f"{label}: {cams}; plates {result['plate_reads']} reads "
                  f"({result['seconds_per_read']} s each), {result['plate_jobs_refused']} "
                  f"refused, {result['vehicles_logged']} vehicles, {result['plates_read']} "
                  f"plates", flush=True)
    if args.json:
        print(json.dumps({"config": str(args.config), "runs": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
