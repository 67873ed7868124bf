"""Why counts are wrong: each false and missed crossing of a line, with its likely cause
and a picture strip (``eval_counting.py --explain DIR``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
from counting_lab import Bounds, Counted, Line, count_error, line_error, replay

from edge.analytics.anchors import border_points
from edge.analytics.groundtruth import Track, TrueCrossing, match_crossings
from edge.config.models import Settings


@dataclass
class Explained:
    """One counting error with what the tracks and the ground truth show around it."""

    line: int
    kind: str
    """``false`` (counted, not true), ``missed`` (true, not counted) or ``displaced``
    (counted, but beyond the matching distance from a true crossing of the same direction
    and time, which neither matched: no error in the line's counts)."""
    frame: int
    direction: str
    track: int | None
    person: int | None
    """Nearest annotated person at that frame (ground-truth id)."""
    person_px: float | None
    cause: str
    x: float
    y: float


def nearest_person(tracks: dict[int, Track], frame: int, x: float, y: float
                   ) -> tuple[int | None, float | None]:
    """The ground-truth identity whose foot point is nearest (x, y) at ``frame``."""
    best: tuple[int | None, float | None] = (None, None)
    for ident, points in tracks.items():
        for f, px, py in points:
            if f == frame:
                d = float(np.hypot(px - x, py - y))
                if best[1] is None or d < best[1]:
                    best = (ident, d)
                break
    return best


def _side(line: Line, x: float, y: float) -> float:
    x1, y1, x2, y2 = line
    return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)


OUTSIDE_ANNOTATION = ("crossed outside the annotation (the person's annotation starts past "
                      "the line or ends before it: the truth has no step over it)")
"""The cause of a counted crossing the ground truth cannot contain (:func:`annotation_gap`)."""
GAP_FRAMES = 30
"""An annotation that starts (ends) this many frames or fewer before (after) a counted
crossing may have left the crossing unannotated."""
GAP_PX = 60.0
"""The track's feet and the annotated ones this close (pixels) are the same person."""


def annotation_gap(c: Counted, line: Line, tracks: dict[int, Track],
                   path: dict[int, tuple[float, float]], came_in: bool = False) -> int | None:
    """The annotated person whose crossing the ground truth cannot see because their
    annotation starts after it or ends before it, or None.

    Starts after: the person's first annotated foot is already on the counted crossing's far
    side, where the track's feet were at that frame, and the track had been seen on the near
    side before it, or ``came_in``: its first box was cut by the picture's border, which the
    counter's ``border_crossing`` takes as the near side (a person walking into the
    picture, annotated only once fully inside).
    Ends before: the person's last annotated foot is still on the near side, the annotation
    ends at most ``GAP_FRAMES`` before the count, and the track's feet are seen on the far
    side after it. Either way the truth has no step over the line to count.
    """
    near = 1.0 if c.direction == "out" else -1.0  # "in" goes from the left (negative)
    def side(p: tuple[float, float]) -> float:
        return float(np.sign(_side(line, *p)))
    for ident, points in tracks.items():
        if not points:
            continue
        f0, x0, y0 = points[0]
        fl, xl, yl = points[-1]
        if (c.frame - GAP_FRAMES <= f0 <= c.frame and f0 in path
                and np.hypot(path[f0][0] - x0, path[f0][1] - y0) <= GAP_PX
                and side((x0, y0)) == -near
                and (came_in or any(f < f0 and side(p) == near for f, p in path.items()))):
            return ident
        if (c.frame - GAP_FRAMES <= fl < c.frame and fl in path
                and np.hypot(path[fl][0] - xl, path[fl][1] - yl) <= GAP_PX
                and side((xl, yl)) == near
                and any(f > fl and side(p) == -near for f, p in path.items())):
            return ident
    return None


def classify_false(c: Counted, line: Line, counted: list[Counted],
                   matched_persons: dict[int, list[int]], person: int | None,
                   paths: dict[int, dict[int, tuple[float, float]]],
                   boxes_overlap: bool, tracks: dict[int, Track] | None = None,
                   came_in: bool = False) -> str:
    """Why a counted crossing has no true one (first rule that fits; ``came_in``: the
    track's first box was cut by the picture's border)."""
    if boxes_overlap:
        return "duplicate box (two tracks on one person)"
    back = [o for o in counted if o.track == c.track and o is not c and o.direction != c.direction
            and abs(o.frame - c.frame) <= 60]
    if back:
        return "wobble (same track back over the line)"
    if tracks and annotation_gap(c, line, tracks, paths.get(c.track, {}), came_in) is not None:
        return OUTSIDE_ANNOTATION
    if person is not None and any(abs(f - c.frame) <= 80 for f in matched_persons.get(person, [])):
        return "id switch (person already counted by another track)"
    path = paths.get(c.track, {})
    if path and min(path) >= c.frame - 5:
        return "track born near the line"
    return "no true crossing there (detector or tracker drift)"


BACK_FRAMES = 10
"""A true crossing undone by the same person within this many frames is a back and forth."""
END_PX = 10.0
"""A true crossing this close to an end of the segment is a coin flip for detected feet."""


def classify_missed(t: TrueCrossing, line: Line,
                    paths: dict[int, dict[int, tuple[float, float]]],
                    truth: Sequence[TrueCrossing] = ()) -> tuple[int | None, str]:
    """Why a true crossing was not counted, and the track nearest to it (``truth``: the
    line's true crossings, to tell an annotated back and forth)."""
    near: list[tuple[float, int]] = []
    for tid, path in paths.items():
        for f in range(t.frame - 3, t.frame + 4):
            if f in path:
                near.append((float(np.hypot(path[f][0] - t.x, path[f][1] - t.y)), tid))
    close = sorted(d for d in near if d[0] < 60)
    if not close:
        return None, "no track near the crossing (person not detected)"
    tid = close[0][1]
    if any(o.ident == t.ident and o.direction != t.direction
           and abs(o.frame - t.frame) <= BACK_FRAMES for o in truth):
        return tid, ("annotated back and forth (feet over the line and back within "
                     f"{BACK_FRAMES} frames)")
    x1, y1, x2, y2 = line
    if min(np.hypot(t.x - x1, t.y - y1), np.hypot(t.x - x2, t.y - y2)) <= END_PX:
        return tid, (f"crossed at the segment's end (within {END_PX:.0f} px: detected feet "
                     "passed beside it)")
    path = paths[tid]
    frames = sorted(path)
    before = [f for f in frames if f < t.frame]
    after = [f for f in frames if f >= t.frame]
    want_before = -1.0 if t.direction == "in" else 1.0
    if not before or all(np.sign(_side(line, *path[f])) != np.sign(want_before)
                         for f in before):
        return tid, "track began past the line (feet seen only after crossing)"
    if len(after) < 3:
        return tid, "track lost while crossing (id switch or end of track)"
    if all(np.sign(_side(line, *path[f])) == np.sign(want_before) for f in after[:10]):
        return tid, "track stayed on the first side (box foot off the true one)"
    return tid, "crossed but not confirmed (band or min_frames)"


def explain_line(i: int, line: Line, truth: list[TrueCrossing], counted: list[Counted],
                 tracks: dict[int, Track], paths: dict[int, dict[int, tuple[float, float]]],
                 boxes: dict[int, dict[int, np.ndarray]], after: int = 20,
                 bounds: Bounds | None = None) -> list[Explained]:
    """Every false and missed crossing of one line, each with its likely cause (``bounds``:
    the analysed picture, to tell tracks that came in through its border)."""
    m = match_crossings(truth, counted, before=8, after=after)
    matched_persons: dict[int, list[int]] = {}
    for t, _c in m.pairs:
        matched_persons.setdefault(t.ident, []).append(t.frame)
    # A counted crossing beyond the matching distance from an unmatched true one of the same
    # direction and time (mostly someone walking along the line, over it more than once, the
    # detected feet crossing elsewhere than the annotated ones): the counts agree.
    loose = match_crossings(m.missed, m.false, before=8, after=after, max_dist=float("inf"))
    out = [Explained(i, "displaced", c.frame, c.direction, c.track, t.ident,
                     float(np.hypot(c.x - t.x, c.y - t.y)),
                     "counted away from an unmatched true crossing of the same direction and "
                     "time (no count error)",
                     c.x, c.y) for t, c in loose.pairs]
    for c in loose.false:
        person, px = nearest_person(tracks, c.frame, c.x, c.y)
        mine = boxes.get(c.frame, {}).get(c.track)
        overlap = mine is not None and any(
            _ioa(mine, other) > 0.6 for tid, other in boxes.get(c.frame, {}).items()
            if tid != c.track)
        out.append(Explained(i, "false", c.frame, c.direction, c.track, person, px,
                             classify_false(c, line, counted, matched_persons, person, paths,
                                            overlap, tracks, _came_in(c.track, boxes, bounds)),
                             c.x, c.y))
    for t in loose.missed:
        tid, cause = classify_missed(t, line, paths, truth)
        out.append(Explained(i, "missed", t.frame, t.direction, tid, t.ident, 0.0, cause,
                             t.x, t.y))
    return out


def _came_in(track: int, boxes: dict[int, dict[int, np.ndarray]], bounds: Bounds | None,
             border_px: float = 2.0) -> bool:
    """Whether the picture's border cuts the track's first box where its feet are, as the
    counter's ``border_crossing`` reads it (``edge.analytics.anchors.border_points``)."""
    if bounds is None:
        return False
    first = next((b[track] for _f, b in sorted(boxes.items()) if track in b), None)
    if first is None:
        return False
    feet = np.array([[(first[0] + first[2]) / 2.0, first[3]]])
    return not np.isnan(border_points(first[None], feet, bounds, border_px)[0, 0])


def _ioa(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box's area."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / small) if small > 0 else 0.0


STRIP_OFFSETS = (-6, -3, 0, 3, 6)
CROP = 180


def write_strips(video: Path, errors: Sequence[Explained], lines: Sequence[Line],
                 paths: dict[int, dict[int, tuple[float, float]]], tracks: dict[int, Track],
                 out_dir: Path, limit: int = 200) -> int:
    """One picture strip per error: crops around the crossing at five moments, with the
    line (white), the track's path (blue) and the nearest annotated person's (green)."""
    chosen = list(errors)[:limit]
    wanted: dict[int, list[int]] = {}
    for k, e in enumerate(chosen):
        for off in STRIP_OFFSETS:
            wanted.setdefault(e.frame + off, []).append(k)
    pictures: dict[int, np.ndarray] = {}
    cap = cv2.VideoCapture(str(video))
    n = 0
    while wanted and n <= max(wanted):
        ok, img = cap.read()
        if not ok:
            break
        n += 1
        if n in wanted:
            pictures[n] = img
    cap.release()
    out_dir.mkdir(parents=True, exist_ok=True)
    gt = {ident: {f: (x, y) for f, x, y in pts} for ident, pts in tracks.items()}
    for e in chosen:
        tiles = []
        for off in STRIP_OFFSETS:
            img = pictures.get(e.frame + off)
            if img is None:
                tiles.append(np.zeros((CROP, CROP, 3), np.uint8))
                continue
            img = img.copy()
            x1, y1, x2, y2 = lines[e.line]
            cv2.line(img, (x1, y1), (x2, y2), (255, 255, 255), 2)
            for who, colour in ((paths.get(e.track or -1, {}), (255, 140, 0)),
                                (gt.get(e.person or -1, {}), (0, 200, 0))):
                pts = [(int(x), int(y)) for f, (x, y) in sorted(who.items())
                       if abs(f - e.frame) <= 15 and f <= e.frame + off]
                for a, b in pairwise(pts):
                    cv2.line(img, a, b, colour, 2)
            cx, cy = int(e.x), int(e.y)
            h, w = img.shape[:2]
            x0 = min(max(cx - CROP // 2, 0), max(w - CROP, 0))
            y0 = min(max(cy - CROP // 2, 0), max(h - CROP, 0))
            tile = img[y0:y0 + CROP, x0:x0 + CROP]
            cv2.putText(tile, f"{off:+d}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (0, 255, 255), 1, cv2.LINE_AA)
            tiles.append(cv2.copyMakeBorder(tile, 0, CROP - tile.shape[0], 0,
                                            CROP - tile.shape[1], cv2.BORDER_CONSTANT))
        name = f"line{e.line}_{e.kind}_f{e.frame}_t{e.track}_p{e.person}.jpg"
        cv2.imwrite(str(out_dir / name), np.hstack(tiles))
    return len(chosen)


def score_lines(detections: list, group: Sequence[Line], truth: dict, settings: Settings,
                fps: float, counter: dict, bounds: Bounds | None, tracks: dict[int, Track],
                video: Path, explain: Path | None = None,
                gaps: Sequence[int] = (1,), every: int = 1) -> list[dict]:
    """Replay ``group`` on ``detections`` and score each line against ``truth`` (line ->
    true crossings): true and counted entries and exits and the error; with ``explain``,
    every error with its cause (picture strips written there) and the line's error with
    the crossings made outside the annotation left out. ``gaps``: between the analysed
    frames (:func:`counting_lab.analysed_frames`); ``every``: the camera's frames
    (:func:`counting_lab.replay`)."""
    got = replay(detections, group, settings, fps, counter, keep_tracks=explain is not None,
                 bounds=bounds, gaps=gaps, every=every)
    rows = []
    for i, ln in enumerate(group):
        t, c = truth[ln], got.counted[f"line{i}"]
        row: dict = {"line": list(ln), "true_in": sum(x.direction == "in" for x in t),
                     "true_out": sum(x.direction == "out" for x in t),
                     "in": sum(x.direction == "in" for x in c),
                     "out": sum(x.direction == "out" for x in c),
                     "error": round(line_error(t, c), 4)}
        if explain is not None:
            errs = explain_line(i, ln, t, c, tracks, got.paths, got.boxes,
                                after=int(2 * fps), bounds=bounds)
            row["errors"] = [e.__dict__ for e in errs]
            row["error_within_annotation"] = within_annotation(row)
            write_strips(video, errs, group, got.paths, tracks, explain)
        rows.append(row)
    return rows


def within_annotation(row: dict) -> float:
    """A line's error once the false crossings made outside the annotation are left out:
    crossings of people walking into or out of the picture, counted from their detected
    feet before the ground truth starts annotating them (or after it stops), which the
    truth cannot contain (:func:`annotation_gap`). A second reading beside the strict one,
    never instead of it."""
    gap = [e for e in row["errors"] if e["kind"] == "false" and e["cause"] == OUTSIDE_ANNOTATION]
    c_in = row["in"] - sum(e["direction"] == "in" for e in gap)
    c_out = row["out"] - sum(e["direction"] == "out" for e in gap)
    return round(count_error(row["true_in"], row["true_out"], c_in, c_out), 4)


def causes(rows: list[dict]) -> dict[str, int]:
    """How many errors each cause explains, over ``rows`` with explanations."""
    out: dict[str, int] = {}
    for r in rows:
        for e in r.get("errors", []):
            key = f"{e['kind']}: {e['cause']}"
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
