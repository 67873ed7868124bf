#!/usr/bin/env python3
"""Throughput of the daemon pipeline against the bare model and the naive loop.

On the same video (PETS ``vtest.avi``) and the config's first model:
  (a) bare: ``model.predict`` over batches of ``--batch`` frames already in memory (ceiling);
  (b) pipeline: the real App with 1..N file cameras, unpaced, every frame processed;
  (c) naive: ``model.track(stream=True)`` + ``sv.LineZone``, one camera after another.

Example:
    python scripts/bench.py --config config/demo.yaml --frames 120 --cameras 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import supervision as sv

from edge.app import App, RunOptions
from edge.config import load_settings, validate_mapping
from edge.detect.detector import Detector, resolve_model_source, set_inference_threads

LINE = {"id": "mid", "start": [384, 0], "end": [384, 576]}


def read_frames(video: Path, n: int) -> list:
    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < n:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    return frames


def bench_bare(detector: Detector, frames: list, batch: int) -> float:
    detector.predict(frames[:batch])
    t0 = time.perf_counter()
    for i in range(0, len(frames), batch):
        detector.predict(frames[i:i + batch])
    return len(frames) / (time.perf_counter() - t0)


def bench_pipeline(base: dict, video: Path, cameras: int, frames: int, tmp: Path) -> float:
    data = json.loads(json.dumps(base))
    data["models"] = data["models"][:1]
    data["models"][0]["cameras"] = None
    data["cameras"] = [{"id": f"cam{i}", "url": str(video), "loop": False, "lines": [LINE]}
                       for i in range(cameras)]
    data["storage"]["path"] = str(tmp / f"bench{cameras}.db")
    data["metrics"]["enabled"] = False
    app = App(validate_mapping(data, "bench"),
              RunOptions(pace=False, lockstep=True, max_frames=frames, loop_files=False))
    app.start()
    assert app.loop is not None
    t0 = time.perf_counter()
    app.wait_finished()
    elapsed = time.perf_counter() - t0
    done = app.loop.frames_processed
    app.stop()
    return done / elapsed


def bench_naive(model_path: str, video: Path, cameras: int, frames: int, imgsz: int) -> float:
    from ultralytics import YOLO

    set_inference_threads(None)
    warnings.filterwarnings("ignore", message="Line zone counting skipped")
    total, t0 = 0, time.perf_counter()
    for _ in range(cameras):
        model = YOLO(model_path)
        zone = sv.LineZone(start=sv.Point(384, 0), end=sv.Point(384, 576))
        for i, result in enumerate(model.track(str(video), stream=True, verbose=False,
                                               imgsz=imgsz, persist=True)):
            zone.trigger(sv.Detections.from_ultralytics(result))
            total += 1
            if i + 1 >= frames:
                break
    return total / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--video", type=Path, default=Path("var/media/vtest.avi"))
    ap.add_argument("--frames", type=int, default=120, help="frames per camera")
    ap.add_argument("--cameras", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    base = settings.model_dump(mode="json")
    model_cfg = settings.models[0]
    detector = Detector(model_cfg, Path(settings.models_dir), settings.inference.device,
                        settings.inference.threads)
    frames = read_frames(args.video, args.frames)
    batch = settings.inference.batch_size
    rows: dict[str, float] = {f"bare (batch {batch})": bench_bare(detector, frames, batch)}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.cameras:
            rows[f"pipeline, {n} camera(s)"] = bench_pipeline(base, args.video, n, args.frames,
                                                              Path(tmp))
    source = resolve_model_source(model_cfg.source, Path(settings.models_dir))
    for n in args.cameras:
        rows[f"naive, {n} camera(s)"] = bench_naive(source, args.video, n, args.frames,
                                                    model_cfg.imgsz)
    ceiling = next(iter(rows.values()))
    if args.json:
        print(json.dumps({"fps": rows, "device": detector.device}))
        return 0
    print(f"model {model_cfg.name} ({model_cfg.source}, imgsz {model_cfg.imgsz}) "
          f"on {detector.device}, {args.frames} frames per camera")
    print(f"{'run':<26} {'frames/s':>9} {'x bare':>7}")
    for name, fps in rows.items():
        print(f"{name:<26} {fps:9.2f} {fps / ceiling:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
