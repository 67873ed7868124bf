#!/usr/bin/env python3
"""How well a configured detector finds annotated people, at one or more input sizes.

Runs the project's own ``Detector`` (the config's model, its class map and its exported
format) on every ``--stride``-th frame of a video and matches its boxes with the MOT ground
truth's, greedily by IoU (highest first, at least ``--iou``). Per input size it reports:

- recall: annotated boxes matched, overall and by annotated box height (the counting lines
  see people of every size; small ones are the first to go);
- false boxes per frame: unmatched boxes whose foot point lies inside the annotated area
  (the convex hull of every annotated foot point, grown by ``--margin`` px);
- boxes per frame outside that area: nobody was annotated there, so they cannot be scored
  (on PETS: walkers on the far path the annotation leaves out, and a jacket on the grass
  that the fall model boxes as a fallen person);
- milliseconds per frame on this machine.

Example:
    python scripts/eval_detector.py --config config/demo.yaml --model person \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt --imgsz 640 960 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edge.analytics.groundtruth import load_mot_boxes
from edge.config import ConfigError, load_settings
from edge.detect.detector import Detector
from edge.detect.matching import greedy_pairs

log = logging.getLogger("eval_detector")

HEIGHT_BINS = ((0.0, 70.0), (70.0, 100.0), (100.0, float("inf")))
"""Annotated box heights (px) that recall is also given for."""


def annotated_area(boxes: dict[int, np.ndarray]) -> np.ndarray:
    """Convex hull (OpenCV contour) of every annotated box's bottom-centre."""
    feet = np.concatenate([np.c_[(b[:, 0] + b[:, 2]) / 2, b[:, 3]] for b in boxes.values()])
    return cv2.convexHull(feet.astype(np.float32))


def match(truth: np.ndarray, found: np.ndarray, iou: float = 0.5) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Greedy one-to-one matching, highest IoU first; returns (truth matched, found matched)
    as boolean masks.

    >>> t = np.array([[0, 0, 10, 20], [50, 0, 60, 20]], float)
    >>> f = np.array([[1, 0, 11, 20], [0, 0, 10, 19], [200, 0, 210, 20]], float)
    >>> [m.tolist() for m in match(t, f)]
    [[True, False], [False, True, False]]
    """
    got_t = np.zeros(len(truth), bool)
    got_f = np.zeros(len(found), bool)
    if not len(truth) or not len(found):
        return got_t, got_f
    for i, j in greedy_pairs(sv.box_iou_batch(truth, found), iou):
        got_t[i] = got_f[j] = True
    return got_t, got_f


def score(frames: dict[int, np.ndarray], found: dict[int, np.ndarray], area: np.ndarray,
          iou: float = 0.5, margin: float = 20.0) -> dict[str, object]:
    """Recall (overall and by height), false boxes and boxes outside the annotated area,
    per frame, of ``found`` boxes against the annotated ``frames`` boxes."""
    hits = np.zeros(len(HEIGHT_BINS), int)
    totals = np.zeros(len(HEIGHT_BINS), int)
    false = outside = 0
    for f, det in found.items():
        truth = frames.get(f, np.zeros((0, 4)))
        got_t, got_f = match(truth, det, iou)
        heights = truth[:, 3] - truth[:, 1]
        for b, (lo, hi) in enumerate(HEIGHT_BINS):
            inside = (heights >= lo) & (heights < hi)
            totals[b] += int(inside.sum())
            hits[b] += int((inside & got_t).sum())
        for x1, _y1, x2, y2 in det[~got_f]:
            if cv2.pointPolygonTest(area, ((x1 + x2) / 2.0, float(y2)), True) >= -margin:
                false += 1
            else:
                outside += 1
    n = max(len(found), 1)
    return {
        "frames": len(found), "annotated": int(totals.sum()),
        "recall": float(hits.sum() / max(totals.sum(), 1)),
        "recall_by_height": {f"{lo:.0f}-{hi:.0f}px" if np.isfinite(hi) else f"{lo:.0f}px+":
                             float(h / t) if t else None
                             for (lo, hi), h, t in zip(HEIGHT_BINS, hits, totals, strict=True)},
        "false_per_frame": false / n, "outside_per_frame": outside / n,
    }


def read_frames(video: Path, stride: int) -> dict[int, np.ndarray]:
    """Every ``stride``-th frame (1-based numbers, as the ground truth)."""
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise FileNotFoundError(f"cannot open video {video}")
    out: dict[int, np.ndarray] = {}
    n = 0
    while True:
        ok, img = cap.read()
        if not ok:
            break
        n += 1
        if (n - 1) % stride == 0:
            out[n] = img
    cap.release()
    if not out:
        raise ValueError(f"{video}: no frames could be read")
    return out


def evaluate(args: argparse.Namespace) -> dict[str, object]:
    """Detect at each input size and score against the ground truth."""
    settings = load_settings(args.config)
    models = [m for m in settings.models if m.name == args.model]
    if not models:
        raise ConfigError([f"{args.config}: models: no model named {args.model!r}"])
    truth = load_mot_boxes(args.gt)
    area = annotated_area(truth)
    pictures = read_frames(args.video, args.stride)
    rows = []
    for imgsz in args.imgsz:
        model = models[0].model_copy(update={"imgsz": imgsz})
        detector = Detector(model, Path(settings.models_dir), settings.inference.device,
                            settings.inference.threads)
        detector.warmup(next(iter(pictures.values())).shape[:2])
        found: dict[int, np.ndarray] = {}
        t0 = time.perf_counter()
        for f, img in pictures.items():
            found[f] = detector.predict([img])[0].xyxy
        ms = 1000.0 * (time.perf_counter() - t0) / len(pictures)
        row = {"imgsz": imgsz, "ms_per_frame": ms, "format": detector.format,
               **score(truth, found, area, args.iou, args.margin)}
        log.info("imgsz %d: recall %.3f, %.2f false and %.2f outside per frame, %.0f ms",
                 imgsz, row["recall"], row["false_per_frame"], row["outside_per_frame"], ms)
        rows.append(row)
    return {"video": str(args.video), "model": args.model, "stride": args.stride,
            "iou": args.iou, "sizes": rows}


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--model", required=True, help="the config's model to measure")
    p.add_argument("--video", type=Path, required=True)
    p.add_argument("--gt", type=Path, required=True, help="MOT ground truth of the video")
    p.add_argument("--imgsz", type=int, nargs="+", default=[640], help="input sizes to try")
    p.add_argument("--stride", type=int, default=5, help="every Nth frame (default 5)")
    p.add_argument("--iou", type=float, default=0.5, help="IoU that matches a box")
    p.add_argument("--margin", type=float, default=20.0,
                   help="px beyond the annotated area that still count as inside")
    p.add_argument("--json", action="store_true", help="only JSON on stdout")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if args.stride < 1 or any(s < 32 or s % 32 for s in args.imgsz):
        p.error("--stride must be 1 or more and every --imgsz a multiple of 32")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # ultralytics prints as it loads
            result = evaluate(args)
    except (ConfigError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("| input size | recall | <70 px | 70-100 px | 100 px+ | false/frame | "
          "outside area/frame | ms/frame |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in result["sizes"]:  # type: ignore[union-attr]
        by = list(r["recall_by_height"].values())
        cells = " | ".join("-" if v is None else f"{v:.3f}" for v in by)
        print(f"| {r['imgsz']} | {r['recall']:.3f} | {cells} | {r['false_per_frame']:.2f} | "
              f"{r['outside_per_frame']:.2f} | {r['ms_per_frame']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
