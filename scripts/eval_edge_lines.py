#!/usr/bin/env python3
"""Counting on lines drawn near the edge of a camera's picture, where people walk in and out.

A plant draws its door lines where people enter the picture: near its border, where the
detector sees them only in part. On PETS the annotation itself starts and ends near the
frame's edges (README, "Crossings outside the annotation"), so lines there cannot be scored
against it. Inside the frame it is complete, so this script gives the camera a region of
interest (``--roi``, cropped exactly as the daemon's capture thread crops a camera's
``roi``): its borders lie where the annotation still follows everyone, and people cross
them in both directions. Lines are drawn along those borders (``counting_lab.edge_lines``,
each end 4-60 px from the same border, 8+ true crossings); as in ``eval_counting.py``, each
draw's even lines are for choosing and its odd lines for reporting. The detector runs once
per region (cached under ``--cache``); each replay is the daemon's own camera step with the
region as the analysed picture.

Example:
    python scripts/eval_edge_lines.py --config config/demo.yaml --model person \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt \\
        --roi 150 150 620 576 --roi 100 200 680 576 --roi 100 60 680 320 \\
        --edge-lines 20 --seed 7 3
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import counting_lab as lab
from counting_explain import causes, score_lines
from counting_settings import counter_settings
from eval_counting import build_settings

from edge.analytics.groundtruth import load_mot, true_crossing_events

ROIS = ((150, 150, 620, 576), (100, 200, 680, 576), (100, 60, 680, 320))
"""Default regions: borders at least 88 px inside PETS' frame, where every person is still
annotated (each annotation starts or ends within 60 px of the frame's left or right edge or
30 px of its bottom). The first two have left and right borders in the walkers' way, the
second a top border across the far path too, the third a bottom border that people walk
over toward the camera (their feet leave the picture first)."""


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every region's edge lines, scored with the configured counter and tracker."""
    settings = build_settings(args.config, args.video, [], Path(args.cache) / "unused.db",
                              args.model)
    tracks = load_mot(args.gt)
    if args.frames:
        tracks = {k: [p for p in v if p[0] <= args.frames] for k, v in tracks.items()}
    fps = lab.frame_rate(args.video, args.gt)
    counter = counter_settings(args.counter or [])
    explain = Path(args.explain) if args.explain else None
    regions, chosen_all, report_all = [], [], []
    for k, roi in enumerate(args.roi or ROIS):
        roi = tuple(roi)
        detections = lab.cached_detections(settings, settings.models[0], args.video,  # type: ignore[attr-defined]
                                           Path(args.cache), roi=roi, frames=args.frames)
        draws = [lab.edge_lines(tracks, args.edge_lines, seed, roi, args.min_true)
                 for seed in args.seed]
        halves = {"chosen on": [ln for d in draws for ln in d[0::2]],
                  "reported on": [ln for d in draws for ln in d[1::2]]}
        truth = {ln: true_crossing_events(tracks, tuple(map(float, ln)))
                 for group in halves.values() for ln in group}
        rows = {name: score_lines(detections, group, truth, settings, fps, counter, roi,  # type: ignore[arg-type]
                                  tracks, args.video,
                                  explain / f"roi{k}" if explain and name == "reported on"
                                  else None)
                for name, group in halves.items()}
        chosen_all += rows["chosen on"]
        report_all += rows["reported on"]
        regions.append({"roi": list(roi),
                        **{name: lab.summary([r["error"] for r in r_]) for name, r_ in
                           rows.items()},
                        "report_lines": rows["reported on"]})
    return {"video": str(args.video), "seed": args.seed, "min_true": args.min_true,
            "frames": args.frames, "counter": counter,
            "choosing": lab.summary([r["error"] for r in chosen_all]),
            "reported": lab.summary([r["error"] for r in report_all]),
            "regions": regions, "causes": causes(report_all) if explain else {}}


def print_result(result: dict[str, Any]) -> None:
    """The distribution per half and per region, in the README's table form."""
    print(f"{result['video']}: lines near the borders of {len(result['regions'])} regions "
          f"of interest (seeds {', '.join(map(str, result['seed']))}), each crossed "
          f"{result['min_true']}+ times")
    print("| lines | n | mean | median | 90th pct | worst |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = [("chosen on", result["choosing"]), ("reported on", result["reported"])]
    for reg in result["regions"]:
        roi = " ".join(map(str, reg["roi"]))
        rows.append((f"reported on, roi {roi}", reg["reported on"]))
    for name, s in rows:
        print(f"| {name} | {s['lines']} | {s['mean']:.1%} | {s['median']:.1%} | "
              f"{s['p90']:.1%} | {s['worst']:.1%} |")
    for cause, n in result["causes"].items():
        print(f"{n:4d}  {cause}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--model", help="Use only this model of the config (default: the first).")
    ap.add_argument("--roi", type=int, nargs=4, action="append",
                    metavar=("X1", "Y1", "X2", "Y2"), help="a region of interest (repeat; "
                    "default: three regions inside PETS' annotated area)")
    ap.add_argument("--edge-lines", type=int, default=20, metavar="N",
                    help="lines per region and seed (default 20)")
    ap.add_argument("--seed", type=int, nargs="+", default=[7, 3])
    ap.add_argument("--min-true", type=int, default=8, metavar="N",
                    help="true crossings each line must have (default 8)")
    ap.add_argument("--frames", type=int, metavar="N",
                    help="only the video's first N frames (and their ground truth)")
    ap.add_argument("--counter", action="append", metavar="SETTING=VALUE",
                    help="a line counter setting other than its default (repeat)")
    ap.add_argument("--cache", default="var/cache", help="where detections are cached")
    ap.add_argument("--explain", metavar="DIR", help="explain every error of the reported "
                    "lines, with picture strips in DIR")
    ap.add_argument("--json", action="store_true", help="only JSON on stdout")
    args = ap.parse_args(argv)
    if args.edge_lines < 2:
        ap.error("--edge-lines must be at least 2 (half choose, half report)")
    if args.min_true < 1 or (args.frames is not None and args.frames < 1):
        ap.error("--min-true and --frames must be at least 1")
    try:
        counter_settings(args.counter or [])
    except ValueError as exc:
        ap.error(str(exc))
    rc, result = lab.run_quietly("eval_edge_lines", args, run)
    if result is None:
        return rc
    if args.json:
        print(json.dumps(result, default=float))
    else:
        print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
