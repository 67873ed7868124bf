#!/usr/bin/env python3
"""Cameras per box with and without the motion gate.

Busy cameras play PETS (people always moving); idle ones play an empty scene made here: the
median of PETS frames (the background), with sensor noise, a running clock overlay and a
slow light drift, so only a gate that ignores those stays asleep. Every camera is paced at
10 frames/s, as live cameras are. For the gate off and on, the number of idle cameras grows
until a busy camera falls under ``--min-fps`` processed frames/s; the largest camera count
that held is reported, with CPU %, and the counting error on the PETS lines with the gate on.

Example:
    python scripts/bench_gate.py --config config/demo.yaml --busy 2 [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
from benchconfig import add_pets_arguments, counting_only

from edge.app import App, RunOptions
from edge.config import load_settings, validate_mapping

PETS_LINES = [[384, 0, 384, 576], [0, 300, 768, 300], [0, 400, 768, 400]]


def make_idle_video(pets: Path, out: Path, frames: int = 600) -> Path:
    """The empty PETS scene with noise, a clock and slow light drift (made once)."""
    if out.exists():
        return out
    cap = cv2.VideoCapture(str(pets))
    samples = []
    for i in range(300):
        ok, img = cap.read()
        if ok and i % 6 == 0:
            samples.append(img)
    cap.release()
    background = np.median(np.stack(samples), axis=0).astype(np.float32)
    h, w = background.shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    rng = np.random.default_rng(0)
    for i in range(frames):
        light = 1 + 0.05 * np.sin(i / frames * np.pi)
        img = np.clip(background * light + rng.normal(0, 3, background.shape), 0, 255)
        img = img.astype(np.uint8)
        cv2.putText(img, f"2026-12-02 08:{i // 600:02d}:{(i // 10) % 60:02d}.{i % 10}",
                    (w - 290, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return out


def run(base: dict, pets: Path, idle: Path, busy: int, n_idle: int, gate: bool,
        seconds: float, tmp: Path) -> dict[str, float]:
    """Processed frames/s of the slowest busy camera and of the idle ones, and CPU %."""
    data = json.loads(json.dumps(base))
    data["models"] = data["models"][:1]
    data["models"][0]["cameras"] = None
    motion = {"enabled": gate}
    data["cameras"] = [{"id": f"busy{i}", "url": str(pets), "motion": motion}
                       for i in range(busy)] + \
        [{"id": f"idle{i}", "url": str(idle), "motion": motion} for i in range(n_idle)]
    data["storage"]["path"] = str(tmp / f"gate-{busy}-{n_idle}-{gate}.db")
    data["metrics"]["enabled"] = False
    app = App(validate_mapping(data, "bench_gate"), RunOptions(pace=True))
    app.start()
    try:
        time.sleep(5.0)  # cameras open, first frames through
        proc = psutil.Process()
        c0, t0 = proc.cpu_times(), time.perf_counter()
        f0 = {k: s.total_frames for k, s in app.stats.items()}
        time.sleep(seconds)
        elapsed = time.perf_counter() - t0
        c1 = proc.cpu_times()
        f1 = {k: s.total_frames for k, s in app.stats.items()}
    finally:
        app.stop()
    rate = {k: (f1[k] - f0.get(k, 0)) / elapsed for k in f1}
    busy_rates = [v for k, v in rate.items() if k.startswith("busy")]
    idle_rates = [v for k, v in rate.items() if k.startswith("idle")]
    return {"busy": busy, "idle": n_idle, "gate": gate, "cameras": busy + n_idle,
            "busy_fps_min": round(min(busy_rates), 2),
            "idle_fps_mean": round(float(np.mean(idle_rates)), 2) if idle_rates else 0.0,
            "cpu_percent": round(100 * ((c1.user + c1.system) - (c0.user + c0.system))
                                 / elapsed)}


def capacity(base: dict, pets: Path, idle: Path, busy: int, gate: bool, seconds: float,
             min_fps: float, step: int, limit: int, tmp: Path) -> list[dict[str, float]]:
    """Runs with more and more idle cameras until a busy one falls under ``min_fps``."""
    rows = []
    n = 0
    while n <= limit:
        row = run(base, pets, idle, busy, n, gate, seconds, tmp)
        logging.getLogger("bench_gate").warning("%s", row)
        rows.append(row)
        if row["busy_fps_min"] < min_fps:
            break
        n += step
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_pets_arguments(ap)
    ap.add_argument("--busy", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured per run")
    ap.add_argument("--min-fps", type=float, default=5.0)
    ap.add_argument("--step-on", type=int, default=4, help="idle cameras added per run, gate on")
    ap.add_argument("--limit", type=int, default=32, help="most idle cameras tried")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with contextlib.redirect_stdout(sys.stderr):  # library chatter must not reach --json
        import ultralytics  # noqa: F401

        logging.getLogger("ultralytics").setLevel(logging.WARNING)
        base = counting_only(load_settings(args.config).model_dump(mode="json"))
        idle = make_idle_video(args.video, args.video.parent / "idle-scene.avi")
        with tempfile.TemporaryDirectory() as tmp:
            off = capacity(base, args.video, idle, args.busy, False, args.seconds,
                           args.min_fps, 1, args.limit, Path(tmp))
            on = capacity(base, args.video, idle, args.busy, True, args.seconds,
                          args.min_fps, args.step_on, args.limit, Path(tmp))
        accuracy = None
        if not args.no_accuracy:
            import eval_counting

            accuracy = eval_counting.evaluate(argparse.Namespace(
                config=args.config, video=args.video, gt=args.gt,
                model=base["models"][0]["name"],
                line=PETS_LINES, format=None, motion=True))
    held = {name: max((r["cameras"] for r in rows if r["busy_fps_min"] >= args.min_fps),
                      default=0) for name, rows in (("off", off), ("on", on))}
    result = {"busy": args.busy, "min_fps": args.min_fps, "runs": off + on,
              "cameras_held": held, "counting_gate_on": accuracy}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.busy} busy PETS cameras + idle ones, all at 10 frames/s; "
          f"{args.seconds:g} s per run")
    print("| gate | cameras | busy camera frames/s (slowest) | idle frames/s | CPU % |")
    print("| --- | --- | --- | --- | --- |")
    for r in off + on:
        print(f"| {'on' if r['gate'] else 'off'} | {r['cameras']} | {r['busy_fps_min']} | "
              f"{r['idle_fps_mean']} | {r['cpu_percent']} |")
    print(f"cameras held at >= {args.min_fps:g} frames/s per busy camera: gate off "
          f"{held['off']}, gate on {held['on']}")
    if accuracy is not None:
        errs = ", ".join(f"{ln['error']:.1%}" for ln in accuracy["lines"])  # type: ignore[index]
        print(f"counting error on the PETS lines with the gate on: {errs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
