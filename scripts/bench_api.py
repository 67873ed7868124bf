#!/usr/bin/env python3
"""Latency of ``POST /api/process``: sequential calls over real HTTP on loopback.

Starts the daemon's API (uvicorn, API-only config with the config's models), posts
``--calls`` 640x480 JPEG frames of people (PETS frames, resized), and prints p50/p95 of the
client round trip and of each stage the response reports.

Example:
    python scripts/bench_api.py --config config/demo.yaml --calls 200 [--identity]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import httpx
from benchconfig import counting_only

from edge.app import App
from edge.config import load_settings, validate_mapping


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--video", type=Path, default=Path("var/media/vtest.avi"))
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--identity", action="store_true",
                    help="enable the local identity backend (face gate + gallery) too")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data = counting_only(load_settings(args.config).model_dump(mode="json"))
    data["models"] = data["models"][:1]
    data["models"][0]["cameras"] = None
    data["cameras"] = []
    data["metrics"]["enabled"] = False
    data["api"].update({"enabled": True, "host": "127.0.0.1", "port": 0})
    if args.identity:
        data["identity"] = {"enabled": True, "backend": "local"}
    # A counting line on the virtual camera, so crossings are written and timed too.
    data["api"]["virtual_cameras"] = [{"id": "api", "lines": [
        {"id": "mid", "start": [320, 480], "end": [320, 0], "in_side": "right"}]}]
    cap = cv2.VideoCapture(str(args.video))
    payloads = []
    while len(payloads) < args.calls:
        ok, img = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        ok, buf = cv2.imencode(".jpg", cv2.resize(img, (640, 480)),
                               [cv2.IMWRITE_JPEG_QUALITY, 85])
        payloads.append(json.dumps({"frame": base64.b64encode(buf).decode()}))
    with tempfile.TemporaryDirectory() as tmp:
        data["storage"]["path"] = str(Path(tmp) / "api.db")
        app = App(validate_mapping(data, "bench_api"))
        app.start()
        assert app.api is not None
        url = f"http://127.0.0.1:{app.api.port}/api/process"
        stages: dict[str, list[float]] = {"round_trip_ms": [], "processing_time_ms": []}
        crossings = 0
        with httpx.Client(timeout=30) as client:
            for body in payloads:
                t0 = time.perf_counter()
                r = client.post(url, content=body, headers={"content-type": "application/json"})
                stages["round_trip_ms"].append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                got = r.json()
                stages["processing_time_ms"].append(got["processing_time_ms"])
                for k, v in got["performance"].items():
                    stages.setdefault(k, []).append(v)
                crossings += got["entries_this_frame"] + got["exits_this_frame"]
        app.stop()
    table = {k: {"p50": round(statistics.median(v), 1), "p95": round(pct(v, 0.95), 1),
                 "max": round(max(v), 1)} for k, v in stages.items()}
    if args.json:
        print(json.dumps({"calls": args.calls, "crossings": crossings, "stages": table}))
        return 0
    print(f"{args.calls} sequential calls, 640x480 JPEG of people, model "
          f"{data['models'][0]['source']}; identity {'local' if args.identity else 'off'}; "
          f"{crossings} line crossings written")
    print(f"{'stage':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for k, v in table.items():
        print(f"{k:<24} {v['p50']:>8} {v['p95']:>8} {v['max']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
