"""Counting experiments without re-running the detector: detections cached once per video,
then the daemon's own per-camera step (``CameraPipeline``: tracker, line counters) replayed
over them with any settings, on any lines.

Used by ``eval_counting.py`` for ``--random-lines``, ``--choose`` and ``--explain``. The
replay is the daemon's code after detection; only the capture thread and the inference loop
are left out (the loop hands the same detections to the same step).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv
from detection_cache import (  # noqa: F401  (the lab's API: cached detections)
    cached_detections,
    frame_rate,
    known_rate,
    load_detections,
    save_detections,
    video_info,
    with_signatures,
)
from line_draws import (  # noqa: F401  (the lab's API: lines, frames and their types)
    EDGES,
    Bounds,
    Line,
    Roi,
    analysed_frames,
    edge_lines,
    random_lines,
)

from edge.analytics.anchors import FEET
from edge.analytics.groundtruth import TrueCrossing
from edge.config import ConfigError
from edge.config.models import CameraConfig, LineConfig, Settings
from edge.pipeline.step import CameraPipeline, SiteOccupancy

log = logging.getLogger("counting_lab")


@dataclass(frozen=True)
class Counted:
    """One crossing the pipeline counted: frame (1-based, as the ground truth), track,
    direction (``in``/``out`` of the directed segment, as ``TrueCrossing``), foot point."""

    frame: int
    track: int
    direction: str
    x: float
    y: float


def line_config(i: int, line: Sequence[int], **counter: Any) -> dict[str, Any]:
    """A ``LineConfig`` mapping with ``in_side: right`` (left to right of the directed
    segment is ``in``, as the ground truth's ``left_to_right``)."""
    return {"id": f"line{i}", "start": list(line[:2]), "end": list(line[2:]),
            "in_side": "right", **counter}


@dataclass
class Replay:
    """What a replay produced: counted crossings per line id and, when kept, each track's
    foot points (track -> frame -> (x, y)) and boxes (frame -> track -> xyxy)."""

    counted: dict[str, list[Counted]]
    paths: dict[int, dict[int, tuple[float, float]]]
    boxes: dict[int, dict[int, np.ndarray]]


def replay(detections: list[sv.Detections], lines: Sequence[Line], settings: Settings,
           fps: float, counter: dict[str, Any] | None = None,
           keep_tracks: bool = False,
           bounds: Bounds | None = None, gaps: Sequence[int] = (1,),
           every: int = 1) -> Replay:
    """Run the daemon's per-camera step over cached detections, with ``counter`` settings
    (``LineConfig`` fields) on every line; ``bounds`` is the analysed picture (the frame,
    or the camera's ROI), against which the step completes feet cut by its border.

    With ``gaps`` other than ``(1,)``, only some frames are analysed, as on a box whose
    inference cannot keep up with the camera (:func:`analysed_frames`); ``fps`` stays the
    video's, as the daemon gives its step the camera's. Frames keep the video's numbers, so
    the results compare with the ground truth at the video's own rate, and the step sees
    the gaps in them as the loop's skipped frames.

    With ``every`` above 1 the *camera* delivers only every ``every``-th frame of the video,
    at ``fps / every``: a slower camera, whose frames the step numbers 1, 2, 3, ... (the
    gaps, if any, are then the loop's, between those frames)."""
    cam = CameraConfig(id="eval", url="eval", lines=[
        line_config(i, ln, **(counter or {})) for i, ln in enumerate(lines)])
    pipeline = CameraPipeline(cam, settings.tracking, SiteOccupancy(), fps=fps / every,
                              heartbeat_s=1e9)
    camera = range(1, len(detections) + 1, every)
    out = Replay({f"line{i}": [] for i in range(len(lines))}, {}, {})
    ts = datetime.now(timezone.utc)
    last_feet: dict[int, tuple[float, float]] = {}
    for seq in analysed_frames(len(camera), gaps):
        n = camera[seq - 1]  # the video's frame, which the truth is numbered by
        result = pipeline.process(seq, ts, detections[n - 1], bounds)
        tracked = result.detections
        feet = {}
        if tracked.tracker_id is not None:
            # The feet the lines saw: completed where the picture's border cuts the box.
            points = tracked.data.get(FEET)
            for k, tid in enumerate(tracked.tracker_id):
                x1, _y1, x2, y2 = tracked.xyxy[k]
                feet[int(tid)] = ((x1 + x2) / 2.0, float(y2)) if points is None else (
                    float(points[k, 0]), float(points[k, 1]))
                if keep_tracks:
                    out.paths.setdefault(int(tid), {})[n] = feet[int(tid)]
                    out.boxes.setdefault(n, {})[int(tid)] = tracked.xyxy[k].copy()
        last_feet.update(feet)
        for c in result.crossings:
            # A track counted after it vanished (gone out through the border, or lost):
            # where it was last seen.
            x, y = last_feet.get(c.tracker_id, (float("nan"), float("nan")))
            out.counted[c.line_id].append(
                Counted(n, c.tracker_id, "in" if c.direction == "entry" else "out", x, y))
    return out


def count_error(true_in: int, true_out: int, got_in: int, got_out: int) -> float:
    """The README's error: |in - true in| + |out - true out| over true crossings."""
    return (abs(got_in - true_in) + abs(got_out - true_out)) / max(true_in + true_out, 1)


def line_error(truth: list[TrueCrossing], counted: list[Counted]) -> float:
    """:func:`count_error` of crossing lists (``direction`` ``in`` or ``out``)."""
    t_in = sum(c.direction == "in" for c in truth)
    c_in = sum(c.direction == "in" for c in counted)
    return count_error(t_in, len(truth) - t_in, c_in, len(counted) - c_in)


def summary(errors: Sequence[float]) -> dict[str, float]:
    """Mean, median, 90th percentile and worst of per-line errors."""
    a = np.asarray(errors, float)
    return {"lines": len(a), "mean": float(a.mean()), "median": float(np.median(a)),
            "p90": float(np.percentile(a, 90)), "worst": float(a.max())}


COUNTER_GRID: dict[str, list[Any]] = {
    "band": [0.02, 0.05, 0.1],
    "jitter_band": [0.0, 0.5, 1.0, 1.5],
    "jitter_window": [5, 10, 20],
    "min_frames": [2, 3, 4],
    "end_margin": [0.0, 0.25],
    "smoothing": [0.0, 0.3, 0.5],
    "count_on_loss": [False, True],
    "handover": [False, True],
    "edge_feet": [False, True],
    "border_crossing": [False, True],
    "gap_scaled": [False, True],
}
"""Every counter setting searched on the choosing half (``LineConfig`` fields)."""
TRACKER_GRID: dict[str, list[Any]] = {
    "lost_track_buffer": [43, 86],
    "high_conf_threshold": [0.3, 0.4, 0.5],
    "minimum_consecutive_frames": [1, 2, 3],
    "duplicate_overlap": [None, 0.8],
    "appearance_weight": [0.0, 0.5, 1.0],
    "predict_skipped": [False, True],
    "gap_buffer": [0.0, 2.8],
}
"""Tracker settings searched after them, in the same descent (``TrackingConfig`` fields)."""


def default_counter() -> dict[str, Any]:
    """Every setting of :data:`COUNTER_GRID` at its ``LineConfig`` default."""
    defaults = LineConfig(id="x", start=(0, 0), end=(1, 1))
    return {k: getattr(defaults, k) for k in COUNTER_GRID}


def errors_on(detections: list[sv.Detections], lines: Sequence[Line],
              truth: Sequence[list[TrueCrossing]], settings: Settings, fps: float,
              counter: dict[str, Any], bounds: Bounds | None = None,
              gaps: Sequence[int] = (1,), every: int = 1) -> list[float]:
    """Per-line errors of one replay (``bounds``: the analysed picture; ``gaps``: between
    analysed frames, :func:`analysed_frames`; ``every``: the camera's frames, :func:`replay`)."""
    got = replay(detections, lines, settings, fps, counter, bounds=bounds, gaps=gaps,
                 every=every)
    return [line_error(t, got.counted[f"line{i}"]) for i, t in enumerate(truth)]


def _score(errs: Sequence[float]) -> tuple[float, float]:
    s = summary(errs)
    return (round(s["mean"], 6), round(s["p90"], 6))


MIN_GAIN = 0.0025
"""A setting other than the configured one is taken only when it lowers the choosing half's
mean error by at least this much: a quarter of a point, four miscounts on eighty lines of
twenty crossings (one on twenty). Smaller gains are noise, and would be fitted to the lines."""


def choose(detections: list[sv.Detections], lines: Sequence[Line],
           truth: Sequence[list[TrueCrossing]], settings: Settings, fps: float,
           counter: dict[str, Any], bounds: Bounds | None = None,
           max_passes: int = 3, gaps: Sequence[int] = (1,), every: int = 1
           ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The counter and tracker settings with the lowest mean error on ``lines``, by
    coordinate descent from the configured ones (``counter``, ``settings.tracking``).

    Each setting of :data:`COUNTER_GRID`, then of :data:`TRACKER_GRID`, tries its values in
    turn with the others held, and a value is taken only when it lowers the mean by at least
    :data:`MIN_GAIN`; passes repeat until one changes nothing (at most ``max_passes``).
    Returns (counter, tracker settings that differ from the configured ones, every trial
    with its score)."""
    trials: list[dict[str, Any]] = []
    scores: dict[str, tuple[float, float]] = {}

    def score(c: dict[str, Any], t: dict[str, Any]) -> tuple[float, float]:
        key = repr((sorted(c.items()), sorted(t.items())))
        if key not in scores:
            run = settings.model_copy(update={"tracking": settings.tracking.model_copy(
                update=t)})
            scores[key] = _score(errors_on(detections, lines, truth, run, fps, c, bounds,
                                           gaps, every))
            trials.append({"counter": c, "tracking": t, "mean": scores[key][0],
                           "p90": scores[key][1]})
        return scores[key]

    base = settings.tracking.model_dump()
    best_counter = dict(counter)
    best_tracker = {k: base[k] for k in TRACKER_GRID}
    best_score = score(best_counter, best_tracker)
    space = [("counter", k, v) for k, v in COUNTER_GRID.items()] + [
        ("tracker", k, v) for k, v in TRACKER_GRID.items()]
    for _ in range(max_passes):
        changed = False
        for kind, key, values in space:
            for value in values:
                c = {**best_counter, key: value} if kind == "counter" else best_counter
                t = {**best_tracker, key: value} if kind == "tracker" else best_tracker
                s = score(c, t)
                if s[0] <= best_score[0] - MIN_GAIN:
                    best_counter, best_tracker, best_score, changed = c, t, s, True
        if not changed:
            break
    return best_counter, {k: v for k, v in best_tracker.items() if base[k] != v}, trials


def add_line_arguments(ap: argparse.ArgumentParser) -> None:
    """The arguments every line evaluation takes: the config, the video and its ground
    truth, fixed ``--line`` segments, random lines by seed, the detection cache, ``--json``."""
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--line", type=int, nargs=4, action="append",
                    metavar=("X1", "Y1", "X2", "Y2"))
    ap.add_argument("--random-lines", type=int, default=0, metavar="N",
                    help="N random segments crossed 8+ times (replayed on cached detections)")
    ap.add_argument("--seed", type=int, nargs="+", default=[1], help="one draw of N lines "
                    "per seed; the draws' even lines choose and their odd lines report")
    ap.add_argument("--cache", default="var/cache", help="where detections are cached")
    ap.add_argument("--json", action="store_true", help="only JSON on stdout")


def run_quietly(prog: str, args: argparse.Namespace,
                work: Callable[[argparse.Namespace], dict[str, Any]]
                ) -> tuple[int, dict[str, Any] | None]:
    """``work(args)`` with library chatter (ultralytics' "Loading ..." lines) sent to stderr,
    so ``--json`` prints nothing but JSON; a missing file or a bad config is named on stderr
    and gives exit status 2 and no result."""
    for p in (args.config, args.video, args.gt):
        if not p.is_file():
            print(f"{prog}: file not found: {p}", file=sys.stderr)
            return 2, None
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            import ultralytics  # noqa: F401  (sets its logger up; quiet it after)

            logging.getLogger("ultralytics").setLevel(logging.WARNING)
            return 0, work(args)
    except ConfigError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2, None
