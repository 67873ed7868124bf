#!/usr/bin/env python3
"""Memory soak: the daemon on N looping file cameras; RSS, open files and state sizes per minute.

Runs the real App on ``--cameras`` copies of the PETS video, looped and paced at their native
frame rate (more than this box can process, so it also runs saturated), and samples every
``--interval`` seconds: RSS, open file descriptors, threads, frames processed, and the size
of the per-camera state that must be pruned when tracks end (tracker tracks, line-zone
histories). RSS growth is measured from the first sample (after warm-up) to the last.

Example:
    python scripts/soak.py --config config/demo.yaml --minutes 30 --cameras 4 [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import psutil
from benchconfig import counting_only

from edge.app import App, RunOptions
from edge.config import load_settings, validate_mapping

LINE = {"id": "mid", "start": [384, 0], "end": [384, 576]}


def sample(app: App, proc: psutil.Process, t0: float) -> dict[str, float]:
    """One row of measurements."""
    pipes = app.loop.pipelines if app.loop else {}
    return {
        "minute": round((time.monotonic() - t0) / 60, 2),
        "rss_mb": round(proc.memory_info().rss / 2**20, 1),
        "open_files": proc.num_fds(),
        "threads": proc.num_threads(),
        "frames": app.loop.frames_processed if app.loop else 0,
        "tracker_tracks": sum(len(p.tracker.tracks) for p in pipes.values()),
        "line_histories": sum(c.counter.tracked_ids() for p in pipes.values()
                              for c in p.counters),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print one row per sample, then the growth."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--video", type=Path, default=Path("var/media/vtest.avi"))
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data = counting_only(load_settings(args.config).model_dump(mode="json"))
    data["models"] = data["models"][:1]
    data["models"][0]["cameras"] = None
    data["cameras"] = [{"id": f"cam{i}", "url": str(args.video), "loop": True, "lines": [LINE]}
                       for i in range(args.cameras)]
    data["metrics"]["enabled"] = False
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data["storage"]["path"] = str(Path(tmp) / "soak.db")
        app = App(validate_mapping(data, "soak"), RunOptions(pace=True))
        app.start()
        proc, t0 = psutil.Process(), time.monotonic()
        try:
            while time.monotonic() - t0 < args.minutes * 60:
                time.sleep(min(args.interval, max(0.0, args.minutes * 60
                                                  - (time.monotonic() - t0))))
                rows.append(sample(app, proc, t0))
                if not args.json:
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            app.stop()
    first, last = rows[0], rows[-1]
    growth = (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"]
    summary = {"cameras": args.cameras, "minutes": args.minutes, "rss_first_mb":
               first["rss_mb"], "rss_last_mb": last["rss_mb"], "rss_growth": round(growth, 4),
               "rss_max_mb": max(r["rss_mb"] for r in rows),
               "open_files_first": first["open_files"], "open_files_last": last["open_files"],
               "fps": round((last["frames"] - first["frames"]) / max(
                   60 * (last["minute"] - first["minute"]), 1e-6), 2)}
    if args.json:
        print(json.dumps({"summary": summary, "samples": rows}, indent=2))
    else:
        print(f"RSS {summary['rss_first_mb']} -> {summary['rss_last_mb']} MB "
              f"({growth:+.1%}), max {summary['rss_max_mb']} MB; open files "
              f"{summary['open_files_first']} -> {summary['open_files_last']}; "
              f"{summary['fps']} frames/s over {args.cameras} cameras")
    return 0


if __name__ == "__main__":
    sys.exit(main())
