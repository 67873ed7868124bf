"""What a counting measurement on real boxes can resolve: the detector's foot noise, and
the error of a counter that knows every annotated foot exactly but cannot see excursions
smaller than that noise.

The ground truth (``edge.analytics.groundtruth.true_crossing_events``) counts every step of
an annotated foot over a line, including a walker's brush along it and wobbles of a pixel
or two. A counter only sees detected boxes, whose bottom edge lies some per cent of the
person's height from the annotated one, differently in every frame. It cannot tell an
excursion smaller than that from noise. :func:`floor` scores the best such a counter could
do: the annotated feet themselves, with a dead band of ``band`` box heights
(``resolvable_crossing_events``), against the strict truth, on the same lines. Used by
``scripts/eval_counting.py --random-lines``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import supervision as sv
from counting_lab import line_error, summary

from edge.analytics.groundtruth import (
    Track,
    mot_rows,
    resolvable_crossing_events,
    true_crossing_events,
)
from edge.detect.matching import greedy_pairs

Line = tuple[int, int, int, int]


def _pairs(truth: np.ndarray, found: np.ndarray, iou: float) -> list[tuple[int, int]]:
    """Annotated and detected boxes matched one to one, highest IoU first."""
    if not len(truth) or not len(found):
        return []
    return greedy_pairs(sv.box_iou_batch(truth, found), iou)


def foot_noise(detections: Sequence[sv.Detections], gt: Path, iou: float = 0.5
               ) -> dict[str, float]:
    """How far detected feet (a box's bottom edge) lie from the annotated ones, as a
    fraction of the annotated height, once each person's constant offset is removed.

    ``detections`` holds one frame each, the first being frame 1 of the MOT file ``gt``;
    boxes are matched to annotated ones at IoU ``iou`` or more. Returns the number of
    matches and the median, 75th and 90th percentile of the absolute offset.

    Raises:
        ValueError: no detected box matches an annotated one.
    """
    frames: dict[int, list[tuple[int, float, float, float, float]]] = {}
    for f, ident, x, y, w, h in mot_rows(gt):
        frames.setdefault(f, []).append((ident, x, y, x + w, y + h))
    offsets: dict[int, list[float]] = {}
    for f, det in enumerate(detections, start=1):
        rows = frames.get(f, [])
        truth = np.array([r[1:] for r in rows], float).reshape(-1, 4)
        for i, j in _pairs(truth, det.xyxy, iou):
            height = truth[i, 3] - truth[i, 1]
            offsets.setdefault(rows[i][0], []).append(
                float(det.xyxy[j, 3] - truth[i, 3]) / height)
    if not offsets:
        raise ValueError(f"{gt}: no detected box matches an annotated one at IoU {iou}")
    spread = np.abs(np.concatenate([np.array(v) - np.median(v) for v in offsets.values()]))
    p50, p75, p90 = np.percentile(spread, [50, 75, 90])
    return {"matches": int(spread.size), "median": float(p50), "p75": float(p75),
            "p90": float(p90)}


def _summary(errors: Sequence[float]) -> dict[str, float]:
    e = np.asarray(errors, float)
    return {**summary(errors), "over_8pct": int((e > 0.08).sum()),
            "over_15pct": int((e > 0.15).sum())}


def floor(tracks: dict[int, Track], heights: dict[int, dict[int, float]],
          groups: dict[str, Sequence[Line]], bands: Sequence[float]
          ) -> list[dict[str, object]]:
    """For each band and group of lines, the error distribution of the annotated feet
    counted with that dead band (:func:`resolvable_crossing_events`) against the strict
    truth: what a counter that cannot resolve excursions below the band loses at best.

    Raises:
        ValueError: a group has a line with no true crossing (the error is undefined).
    """
    rows: list[dict[str, object]] = []
    for band in bands:
        row: dict[str, object] = {"band": band}
        for name, lines in groups.items():
            errors = []
            for ln in lines:
                seg = tuple(float(v) for v in ln)
                truth = true_crossing_events(tracks, seg)  # type: ignore[arg-type]
                if not truth:
                    raise ValueError(f"line {list(ln)} has no true crossing")
                seen = resolvable_crossing_events(tracks, heights, seg, band)  # type: ignore[arg-type]
                errors.append(line_error(truth, seen))  # type: ignore[arg-type]
            row[name] = _summary(errors)
        rows.append(row)
    return rows
