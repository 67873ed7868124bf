#!/usr/bin/env python3
"""Throughput of the daemon pipeline against the bare model and the naive loop.

On the same video (PETS ``vtest.avi``) and the config's first model:
  (a) bare: ``model.predict`` over batches of ``--batch`` frames already in memory (ceiling);
  (b) pipeline: the real App with 1..N file cameras, unpaced, every frame processed;
  (c) naive: ``model.track(stream=True)`` + ``sv.LineZone``, one camera after another, with
      ultralytics' own thread setting (``cpu_count - 1``), plus one run given every core.
For each run: frames/s, ratios to (a) and (c), the age of a frame from capture to its events
being committed (p50/p95), CPU % (100 = one core) and RSS; then the pipeline's counting error
on the PETS lines over the whole video, so speed is never bought with accuracy.

Example:
    python scripts/bench.py --config config/demo.yaml --frames 200 --cameras 1 2 4 [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import psutil
import supervision as sv
from benchconfig import add_pets_arguments, counting_only

from edge.app import App, RunOptions
from edge.config import load_settings, validate_mapping
from edge.detect.detector import Detector, resolve_model_source, set_inference_threads

LINE = {"id": "mid", "start": [384, 0], "end": [384, 576]}
PETS_LINES = [[384, 0, 384, 576], [0, 300, 768, 300], [0, 400, 768, 400]]


def read_frames(video: Path, n: int) -> list:
    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < n:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    return frames


class Usage:
    """CPU percent (100 = one core) and RSS of this process over a run."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.cpu0 = self.proc.cpu_times()
        self.t0 = time.perf_counter()
        self.rss0 = self.proc.memory_info().rss / 2**20

    def done(self) -> dict[str, float]:
        cpu = self.proc.cpu_times()
        busy = (cpu.user + cpu.system) - (self.cpu0.user + self.cpu0.system)
        return {"cpu_percent": round(100 * busy / (time.perf_counter() - self.t0), 1),
                "rss_start_mb": round(self.rss0, 1),
                "rss_end_mb": round(self.proc.memory_info().rss / 2**20, 1)}


def bench_bare(detector: Detector, frames: list, batch: int) -> dict[str, float]:
    detector.predict(frames[:batch])
    usage = Usage()
    t0 = time.perf_counter()
    for i in range(0, len(frames), batch):
        detector.predict(frames[i:i + batch])
    return {"fps": len(frames) / (time.perf_counter() - t0), **usage.done()}


VIEWER = """
import signal, sys, threading, urllib.request
period, urls = float(sys.argv[1]), sys.argv[2:]
stop, got = threading.Event(), [0]
signal.signal(signal.SIGTERM, lambda *_: stop.set())
def watch(url):
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                got[0] += 1
        except Exception:
            pass
        stop.wait(period)
threads = [threading.Thread(target=watch, args=(u,)) for u in urls]
for t in threads: t.start()
print("ready", flush=True)
stop.wait()
for t in threads: t.join()
print(got[0], flush=True)
"""


class LiveViewers:
    """``n`` browser tiles in another process (as a browser would be): each fetches its
    camera's live picture over HTTP, one request at a time, ``period_s`` after the previous
    answer (what the console's script does). On this box they share its cores."""

    def __init__(self, port: int, cameras: list[str], n: int, period_s: float) -> None:
        self.urls = [f"http://127.0.0.1:{port}/live/{cameras[i % len(cameras)]}.jpg"
                     for i in range(n)]
        self.period_s = period_s
        self.pictures = 0
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> LiveViewers:
        self.proc = subprocess.Popen([sys.executable, "-c", VIEWER, str(self.period_s),
                                      *self.urls], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.proc.stdout.readline()
        return self

    def __exit__(self, *_: object) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        self.pictures = int(out.split()[-1]) if out.split() else 0


def bench_pipeline(base: dict, video: Path, cameras: int, frames: int, tmp: Path,
                   fmt: str | None = None, viewers: int = 0) -> dict[str, float]:
    """The real App on ``cameras`` copies of the video, unpaced, every frame processed.

    The occupancy heartbeat is set to every frame so each frame has an event, and the age
    from capture to commit is measured for all of them. With ``viewers``, the console runs
    and that many live tiles watch the cameras the whole time.
    """
    data = counting_only(json.loads(json.dumps(base)))
    data["models"] = data["models"][:1]
    data["models"][0]["cameras"] = None
    if fmt:
        data["models"][0]["format"] = fmt
    data["cameras"] = [{"id": f"cam{i}", "url": str(video), "loop": False, "lines": [LINE]}
                       for i in range(cameras)]
    data["storage"]["path"] = str(tmp / f"bench{cameras}.db")
    data["storage"]["occupancy_heartbeat_s"] = 1e-6
    data["metrics"]["enabled"] = False
    data["ui"]["enabled"] = viewers > 0
    app = App(validate_mapping(data, "bench"),
              RunOptions(pace=False, lockstep=True, max_frames=frames, loop_files=False))
    app.start()
    assert app.loop is not None
    usage = Usage()
    watching = LiveViewers(app.console.port, [c["id"] for c in data["cameras"]], viewers,
                           1 / app.settings.ui.live_fps) \
        if app.console is not None else contextlib.nullcontext()
    t0 = time.perf_counter()
    with watching:
        app.wait_finished()
    elapsed = time.perf_counter() - t0
    done = app.loop.frames_processed
    app.writer.flush()
    ages = sorted(app.writer.commit_ages)
    app.stop()
    out = {"fps": done / elapsed, "age_p50_ms": 1000 * ages[len(ages) // 2],
           "age_p95_ms": 1000 * ages[int(len(ages) * 0.95)], **usage.done()}
    if isinstance(watching, LiveViewers):
        out["live_pictures_per_s"] = watching.pictures / elapsed
        out["live_encodes_per_s"] = app.live.encodes / elapsed
    return out


def bench_viewers(base: dict, video: Path, cameras: int, frames: int, tmp: Path,
                  viewers: list[int], rounds: int = 2) -> dict[str, dict[str, float]]:
    """The pipeline with 0..N live tiles open, alternating so drift in the machine's speed
    falls on every count alike; each row is the median round, with the cost against the
    first count."""
    runs: dict[int, list[dict[str, float]]] = {v: [] for v in viewers}
    for _ in range(rounds):
        for v in viewers:
            runs[v].append(bench_pipeline(base, video, cameras, frames, tmp, viewers=v))
    rows = {}
    ref = statistics.median(r["fps"] for r in runs[viewers[0]])
    for v, rs in runs.items():
        row = sorted(rs, key=lambda r: r["fps"])[len(rs) // 2]
        row["fps"] = statistics.median(r["fps"] for r in rs)
        row["cost_percent"] = 100 * (1 - row["fps"] / ref)
        rows[f"pipeline, {cameras} camera(s), {v} live tile(s)"] = row
    return rows


def bench_naive(model_path: str, video: Path, cameras: int, frames: int, imgsz: int,
                all_cores: bool = False) -> dict[str, float]:
    """The hand-written loop. ultralytics sets torch to ``cpu_count - 1`` threads when its
    predictor starts (1 on a 2-core box); ``all_cores`` puts every core back after that, as
    a reference for how much of the pipeline's lead is batching rather than threads."""
    from ultralytics import YOLO

    set_inference_threads(None)
    warnings.filterwarnings("ignore", message="Line zone counting skipped")
    usage = Usage()
    total, t0 = 0, time.perf_counter()
    for _ in range(cameras):
        model = YOLO(model_path)
        zone = sv.LineZone(start=sv.Point(384, 0), end=sv.Point(384, 576))
        for i, result in enumerate(model.track(str(video), stream=True, verbose=False,
                                               imgsz=imgsz, persist=True)):
            zone.trigger(sv.Detections.from_ultralytics(result))
            if all_cores and i == 0:
                set_inference_threads(None)
            total += 1
            if i + 1 >= frames:
                break
    return {"fps": total / (time.perf_counter() - t0), **usage.done()}


def accuracy(config: Path, video: Path, gt: Path, model: str, fmt: str | None = None
             ) -> dict[str, object]:
    """Counting error of the pipeline on the PETS lines (the whole video, every frame)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from eval_counting import evaluate

    return evaluate(argparse.Namespace(config=config, video=video, gt=gt, model=model,
                                       line=PETS_LINES, format=fmt))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_pets_arguments(ap)
    ap.add_argument("--frames", type=int, default=200, help="frames per camera")
    ap.add_argument("--cameras", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--no-accuracy", action="store_true",
                    help="skip the counting-error run on the whole video")
    ap.add_argument("--also-format", help="also run bare, the pipeline at the most cameras "
                    "and the counting error with this export (e.g. onnx-int8)")
    ap.add_argument("--viewers", type=int, nargs="*", default=[],
                    help="also run the pipeline at the most cameras with the console on and "
                    "this many live tiles open (e.g. 0 4); each run twice, alternating")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import ultralytics  # noqa: F401  (its import sets its logger's level; quiet it after)

    # ultralytics logs every model load to stdout, which would break --json
    logging.getLogger("ultralytics").setLevel(logging.WARNING)
    settings = load_settings(args.config)
    base = settings.model_dump(mode="json")
    model_cfg = settings.models[0]
    detector = Detector(model_cfg, Path(settings.models_dir), settings.inference.device,
                        settings.inference.threads)
    frames = read_frames(args.video, args.frames)
    batch = settings.inference.batch_size
    rows: dict[str, dict[str, float]] = {
        f"bare {detector.format} (batch {batch})": bench_bare(detector, frames, batch)}
    if detector.format != "pytorch":
        pt = Detector(model_cfg.model_copy(update={"format": "pytorch"}),
                      Path(settings.models_dir), settings.inference.device,
                      settings.inference.threads)
        rows[f"bare pytorch (batch {batch})"] = bench_bare(pt, frames, batch)
    also = None
    if args.also_format:
        also = Detector(model_cfg.model_copy(update={"format": args.also_format}),
                        Path(settings.models_dir), settings.inference.device,
                        settings.inference.threads)
        rows[f"bare {also.format} (batch {batch})"] = bench_bare(also, frames, batch)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.cameras:
            rows[f"pipeline, {n} camera(s)"] = bench_pipeline(base, args.video, n, args.frames,
                                                              Path(tmp))
        if args.viewers:
            rows.update(bench_viewers(base, args.video, max(args.cameras), args.frames,
                                      Path(tmp), args.viewers))
        if also is not None:
            n = max(args.cameras)
            rows[f"pipeline {also.format}, {n} camera(s)"] = bench_pipeline(
                base, args.video, n, args.frames, Path(tmp), also.format)
    source = resolve_model_source(model_cfg.source, Path(settings.models_dir))
    for n in args.cameras:
        rows[f"naive, {n} camera(s)"] = bench_naive(source, args.video, n, args.frames,
                                                    model_cfg.imgsz)
    rows["naive, 1 camera, all cores"] = bench_naive(source, args.video, 1, args.frames,
                                                     model_cfg.imgsz, all_cores=True)
    ceiling = next(iter(rows.values()))["fps"]
    for name, row in rows.items():
        row["x_bare"] = row["fps"] / ceiling
        if name.startswith("pipeline") and "live tile" not in name:
            n = name.split(", ")[1]
            if also is not None and also.format in name:
                row["x_bare"] = row["fps"] / rows[f"bare {also.format} (batch {batch})"]["fps"]
            row["x_naive"] = row["fps"] / rows[f"naive, {n}"]["fps"]
    acc = None if args.no_accuracy else accuracy(args.config, args.video, args.gt,
                                                      model_cfg.name)
    acc_also = None if args.no_accuracy or also is None else accuracy(
        args.config, args.video, args.gt, model_cfg.name, also.format)
    if args.json:
        print(json.dumps({"device": detector.device, "format": detector.format,
                          "frames_per_camera": args.frames, "runs": rows,
                          "counting": acc, "counting_also": acc_also}, indent=2))
        return 0
    print(f"model {model_cfg.name} ({model_cfg.source} as {detector.format}, imgsz "
          f"{model_cfg.imgsz}) on {detector.device}, {args.frames} frames per camera, "
          f"{psutil.cpu_count()} cores")
    print("| run | frames/s | x bare | x naive | age p50 ms | age p95 ms | CPU % | RSS MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in rows.items():
        xn = f"{r['x_naive']:.2f}" if "x_naive" in r else ""
        p50 = f"{r['age_p50_ms']:.0f}" if "age_p50_ms" in r else ""
        p95 = f"{r['age_p95_ms']:.0f}" if "age_p95_ms" in r else ""
        print(f"| {name} | {r['fps']:.2f} | {r['x_bare']:.2f} | {xn} | {p50} | {p95} | "
              f"{r['cpu_percent']:.0f} | {r['rss_start_mb']:.0f} -> {r['rss_end_mb']:.0f} |")
    for name, r in rows.items():
        if "cost_percent" in r:
            pics = f", {r['live_pictures_per_s']:.1f} pictures/s served, " \
                   f"{r['live_encodes_per_s']:.1f} encoded/s" if "live_pictures_per_s" in r else ""
            print(f"{name}: {r['fps']:.2f} frames/s, console cost {r['cost_percent']:+.1f} %{pics}")
    for label, a in ((detector.format, acc), (also.format if also else "", acc_also)):
        if a is not None:
            errs = ", ".join(f"{ln['error']:.1%}" for ln in a["lines"])  # type: ignore[index]
            print(f"counting error on the PETS lines (whole video, pipeline, {label}): {errs}; "
                  f"mean {a['error']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
