#!/usr/bin/env python3
"""Counting accuracy of the real pipeline against MOT ground truth.

Runs the daemon's own App (capture thread in lockstep so every frame is processed, the
configured detector, tracker and line counters) on one video, then compares each line's
entries/exits with the true crossings of the ground-truth tracks.

Each ``--line x1 y1 x2 y2`` is configured with ``in_side: right``, so walking from the left
to the right of the directed line (cross product negative -> positive) is ``in``.

Example:
    python scripts/eval_counting.py --config config/demo.yaml \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt --line 384 0 384 576 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchconfig import counting_only

from edge.analytics.groundtruth import count_true_crossings, load_mot
from edge.app import App, RunOptions
from edge.config import ConfigError, load_settings, validate_mapping


def build_settings(config: Path, video: Path, lines: list[list[int]], db: Path,
                   model: str | None, fmt: str | None = None) -> object:
    """The config's models, tracking and inference settings, with one camera for ``video``
    (every model run as ``fmt`` when given)."""
    base = load_settings(config)
    data = counting_only(base.model_dump(mode="json"))
    if model:
        data["models"] = [m for m in data["models"] if m["name"] == model]
        if not data["models"]:
            raise ConfigError([f"{config}: models: no model named {model!r}"])
    for m in data["models"]:
        m["cameras"] = None
        if fmt:
            m["format"] = fmt
    data["cameras"] = [{
        "id": "eval", "url": str(video), "loop": False,
        "lines": [{"id": f"line{i}", "start": ln[:2], "end": ln[2:], "in_side": "right"}
                  for i, ln in enumerate(lines)],
    }]
    data["storage"]["path"] = str(db)
    data["metrics"]["enabled"] = False
    return validate_mapping(data, str(config))


def evaluate(args: argparse.Namespace) -> dict[str, object]:
    """Run the pipeline on the video and score every line."""
    tracks = load_mot(args.gt)
    with tempfile.TemporaryDirectory() as tmp:
        settings = build_settings(args.config, args.video, args.line, Path(tmp) / "eval.db",
                                  args.model, getattr(args, "format", None))
        app = App(settings, RunOptions(pace=False, lockstep=True, loop_files=False))  # type: ignore[arg-type]
        t0 = time.monotonic()
        app.start()
        app.wait_finished()
        elapsed = time.monotonic() - t0
        frames = app.loop.frames_processed if app.loop else 0
        pipeline = app.loop.pipelines["eval"] if app.loop else None
        app.stop()
    assert pipeline is not None
    counts = pipeline.line_counts()
    rows = []
    for i, ln in enumerate(args.line):
        truth = count_true_crossings(tracks, tuple(float(v) for v in ln))  # type: ignore[arg-type]
        got_in, got_out = counts[f"line{i}"]
        err = (abs(got_in - truth.left_to_right) + abs(got_out - truth.right_to_left)) / max(
            truth.total, 1)
        rows.append({"line": ln, "true_in": truth.left_to_right, "true_out": truth.right_to_left,
                     "in": got_in, "out": got_out, "error": round(err, 4)})
    return {
        "video": str(args.video), "frames": frames, "seconds": round(elapsed, 1),
        "fps": round(frames / max(elapsed, 1e-6), 2), "lines": rows,
        "error": round(sum(r["error"] for r in rows) / len(rows), 4),  # type: ignore[misc]
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--line", type=int, nargs=4, action="append", required=True,
                    metavar=("X1", "Y1", "X2", "Y2"))
    ap.add_argument("--model", help="Use only this model of the config (default: all).")
    ap.add_argument("--format", help="Run the models as this format (e.g. onnx-int8).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for p in (args.config, args.video, args.gt):
        if not p.is_file():
            print(f"eval_counting: file not found: {p}", file=sys.stderr)
            return 2
    try:
        result = evaluate(args)
    except ConfigError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['video']}: {result['frames']} frames in {result['seconds']} s "
          f"({result['fps']} fps)")
    print(f"{'line':<22} {'true_in':>7} {'true_out':>8} {'in':>4} {'out':>4} {'error':>7}")
    for r in result["lines"]:  # type: ignore[union-attr]
        print(f"{' '.join(map(str, r['line'])):<22} {r['true_in']:>7} {r['true_out']:>8} "
              f"{r['in']:>4} {r['out']:>4} {r['error'] * 100:>6.1f}%")
    print(f"mean error {result['error'] * 100:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
