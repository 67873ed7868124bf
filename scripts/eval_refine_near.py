#!/usr/bin/env python3
"""What ``models[].refine.near`` costs in counting accuracy, and how many frames it spares
the refiner (how many boxes, when it re-draws each from a crop: ``refine.crop``).

The daemon's refiner, with ``near`` set, re-draws only the boxes whose feet lie within
``near`` of their own heights of a camera's line or zone edge, and runs only on frames that
have one. This replays that on cached detections: the model's own boxes and the refiner's
boxes of every frame are cached once; for each line alone and each ``near`` value the boxes
near that line are refined (``edge.detect.refine.refine_some``, the daemon's own step), and
the daemon's tracker and counter replay the frames. The random lines are drawn as
``eval_counting.py --random-lines`` draws them: ``near`` is chosen on the even lines (the
smallest value whose mean and 90th percentile there are no worse than refining every box)
and reported on the odd ones and on the ``--line`` lines.

Example:
    python scripts/eval_refine_near.py --config config/demo.yaml --model person \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt --line 384 0 384 576 \\
        --random-lines 40 --seed 7 3 5 11 --near 0.5 1 1.5 2 --json
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import counting_lab as lab
import numpy as np
import supervision as sv
from eval_counting import build_settings

from edge.analytics.groundtruth import load_mot, true_crossing_events
from edge.config import ConfigError
from edge.config.models import ModelConfig
from edge.detect.refine import near_segments, refine_some

_STATE: dict[str, Any] = {}
"""What each worker replays: detections, settings, truth (filled before the pool forks)."""


def compose(base: list[sv.Detections], refiner: list[sv.Detections], line: lab.Line,
            near: float | None, match_iou: float) -> tuple[list[sv.Detections], float]:
    """Each frame's boxes with those near ``line`` re-drawn by ``refiner``'s boxes of the same
    frame (all with ``near`` None), and the share of frames the refiner would have run on."""
    segments = np.array([line], float)
    out, ran = [], 0
    for b, r in zip(base, refiner, strict=True):
        mask = near_segments(b, segments, near)
        ran += near is None or bool(mask.any())  # without near: every frame
        out.append(refine_some(b, r, mask, match_iou) if mask.any() else b)
    return out, ran / max(len(base), 1)


def compose_crops(base: list[sv.Detections], redrawn: list[sv.Detections], line: lab.Line,
                  near: float | None) -> tuple[list[sv.Detections], float]:
    """With ``refine.crop`` each box is re-drawn from its own crop: each frame's boxes with
    those near ``line`` taken from ``redrawn`` (the same boxes, every one re-drawn), and the
    share of boxes that would have been cut out and re-drawn. (The daemon matches the boxes
    found in the near boxes' crops alone; here those of every box's crop: a box re-drawn
    from a neighbour's crop is rare, since each crop is centred on its own box.)"""
    segments = np.array([line], float)
    out, cut, boxes = [], 0, 0
    for b, r in zip(base, redrawn, strict=True):
        if len(r) != len(b):
            raise ValueError("the re-drawn boxes are not the model's boxes: clear the cache")
        mask = near_segments(b, segments, near)
        cut, boxes = cut + int(mask.sum()), boxes + len(b)
        d = b[np.arange(len(b))]
        d.xyxy[mask] = r.xyxy[mask]
        out.append(d)
    return out, cut / max(boxes, 1)


def _one(job: tuple[lab.Line, float | None]) -> tuple[lab.Line, float | None, float, float]:
    line, near = job
    s = _STATE
    if s["crops"]:
        dets, share = compose_crops(s["base"], s["refiner"], line, near)
    else:
        dets, share = compose(s["base"], s["refiner"], line, near, s["match_iou"])
    got = lab.replay(dets, [line], s["settings"], s["fps"], s["counter"], bounds=s["bounds"])
    return line, near, lab.line_error(s["truth"][line], got.counted["line0"]), share


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every line alone under every ``near`` value; the choice and its report."""
    settings: Any = build_settings(args.config, args.video, [], Path(args.cache) / "x.db",
                                   args.model)
    model: ModelConfig = settings.models[0]
    if model.refine is None:
        raise ConfigError([f"{args.config}: models: {model.name} has no refine"])
    cache = Path(args.cache)
    crops = model.refine.crop is not None
    # On crops the refiner's boxes depend on the model's (each is cut around one): the
    # model's boxes every one re-drawn; else the refiner's own boxes of whole frames.
    run_as = model if crops else model.refine.runner(f"{model.name}.refine")
    tracks = load_mot(args.gt)
    width, height, _fps, _n = lab.video_info(args.video)
    fps = lab.frame_rate(args.video, args.gt)
    draws = [lab.random_lines(tracks, args.random_lines, seed, width, height)
             for seed in args.seed] if args.random_lines else []
    groups = {"fixed": [tuple(ln) for ln in args.line or []],
              "choosing": [ln for d in draws for ln in d[0::2]],
              "reporting": [ln for d in draws for ln in d[1::2]]}
    lines = [ln for g in groups.values() for ln in g]
    _STATE.update(
        base=lab.cached_detections(settings, model.model_copy(update={"refine": None}),
                                   args.video, cache),
        refiner=lab.cached_detections(settings, run_as, args.video, cache),
        match_iou=model.refine.match_iou, crops=crops, settings=settings, fps=fps,
        bounds=(0, 0, width, height),
        counter=lab.default_counter(),
        truth={ln: true_crossing_events(tracks, tuple(map(float, ln))) for ln in lines})
    values: list[float | None] = [None, *sorted(args.near)]
    got: dict[tuple[lab.Line, float | None], tuple[float, float]] = {}
    with get_context("fork").Pool(args.jobs) as pool:  # workers share _STATE
        for line, near, err, share in pool.imap_unordered(
                _one, [(ln, v) for v in values for ln in lines], chunksize=4):
            got[(line, near)] = (err, share)
    rows = []
    for v in values:
        row: dict[str, Any] = {"near": v}
        for name, group in groups.items():
            if group:
                row[name] = {**lab.summary([got[(ln, v)][0] for ln in group]),
                             "refined_share": float(np.mean([got[(ln, v)][1]
                                                              for ln in group]))}
        row["fixed_lines"] = [{"line": list(ln), "error": round(got[(ln, v)][0], 4)}
                              for ln in groups["fixed"]]
        rows.append(row)
    chosen = None
    if groups["choosing"]:
        every = rows[0]["choosing"]
        fit = [r for r in rows[1:] if r["choosing"]["mean"] <= every["mean"] + 1e-9
               and r["choosing"]["p90"] <= every["p90"] + 1e-9]
        chosen = fit[0]["near"] if fit else None
    return {"video": str(args.video), "seed": args.seed, "rows": rows, "chosen": chosen,
            "refined": "boxes" if crops else "frames"}


def print_table(result: dict[str, Any]) -> None:
    """The README's table in plain text."""
    print(f"| near | lines | mean | 90th pct | worst | {result['refined']} refined |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in result["rows"]:
        near = "every box" if r["near"] is None else f"{r['near']:g}"
        for name in ("choosing", "reporting", "fixed"):
            if name in r:
                s = r[name]
                print(f"| {near} | {name} ({s['lines']}) | {s['mean']:.1%} | {s['p90']:.1%} "
                      f"| {s['worst']:.1%} | {s['refined_share']:.0%} |")
    print(f"chosen on the choosing lines: near = {result['chosen']}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    lab.add_line_arguments(ap)
    ap.add_argument("--model", required=True, help="the model of the config with refine")
    ap.add_argument("--near", type=float, nargs="+", default=[0.5, 1.0, 1.5, 2.0],
                    help="values to try, in box heights (every box is always tried too)")
    ap.add_argument("--jobs", type=int, default=2, help="replays run side by side")
    args = ap.parse_args(argv)
    if not args.line and not args.random_lines:
        ap.error("give --line at least once, or --random-lines N")
    if any(v <= 0 for v in args.near):
        ap.error(f"--near values must be above 0, got {args.near}")
    rc, result = lab.run_quietly("eval_refine_near", args, run)
    if result is None:
        return rc
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
