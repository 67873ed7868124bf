"""True line crossings from MOT-format ground truth, for counting evaluation.

Rule (../shared/data/README.md): the bottom-centre of each box crosses a segment when it
changes side between consecutive frames of the same identity and the crossing point lies on
the segment. ``left_to_right`` is the cross product going from negative to positive.
"""

from __future__ import annotations

import configparser
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np


@dataclass(frozen=True)
class TrueCrossings:
    """Crossings of one line by ground-truth tracks."""

    left_to_right: int
    right_to_left: int

    @property
    def total(self) -> int:
        """All crossings of the line."""
        return self.left_to_right + self.right_to_left


Track = list[tuple[int, float, float]]
"""(frame, x, y) bottom-centre points of one identity, in frame order."""


def mot_rows(path: str | Path) -> Iterator[tuple[int, int, float, float, float, float]]:
    """Each ``frame,id,x,y,w,h,...`` row of a MOT file as (frame, id, x, y, w, h); blank
    lines are skipped.

    Raises:
        ValueError: naming the file and line of a malformed row.
    """
    for n, raw in enumerate(Path(path).read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split(",")
        try:
            frame, ident = int(float(parts[0])), int(float(parts[1]))
            x, y, w, h = (float(v) for v in parts[2:6])
        except (ValueError, IndexError):
            raise ValueError(f"{path}:{n}: not a MOT row: {raw!r}") from None
        yield frame, ident, x, y, w, h


def sequence_fps(gt: str | Path) -> float | None:
    """The frame rate of a MOT sequence, from the ``seqinfo.ini`` beside its ground truth
    (``[Sequence] frameRate``), or None when there is none. A video file's header can be
    wrong (PETS' says 10 for about 7); the sequence's own file is what its annotation
    was made at. A ``seqinfo.ini`` that cannot be read is an error naming the file."""
    path = Path(gt).parent / "seqinfo.ini"
    if not path.is_file():
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
        rate = parser.get("Sequence", "frameRate", fallback=None)
        fps = float(rate) if rate is not None else None
    except (configparser.Error, ValueError) as exc:
        raise ValueError(f"{path}: frameRate is not a number of frames a second: {exc}") \
            from None
    if fps is not None and not 0 < fps <= 240:
        raise ValueError(f"{path}: frameRate {fps} is not between 0 and 240")
    return fps


def load_mot(path: str | Path) -> dict[int, Track]:
    """Read ``frame,id,x,y,w,h,...`` rows into bottom-centre tracks per identity.

    Raises:
        ValueError: naming the file and line of a malformed row.
    """
    tracks: dict[int, Track] = defaultdict(list)
    for frame, ident, x, y, w, h in mot_rows(path):
        tracks[ident].append((frame, x + w / 2.0, y + h))
    for t in tracks.values():
        t.sort()
    return dict(tracks)


def load_mot_boxes(path: str | Path) -> dict[int, np.ndarray]:
    """Annotated boxes per frame (1-based) as xyxy arrays, from a MOT file.

    Raises:
        ValueError: naming the file and line of a malformed row, or an empty file.
    """
    boxes: dict[int, list[list[float]]] = defaultdict(list)
    for frame, _ident, x, y, w, h in mot_rows(path):
        boxes[frame].append([x, y, x + w, y + h])
    if not boxes:
        raise ValueError(f"{path}: no annotated boxes")
    return {f: np.array(b, float) for f, b in boxes.items()}


def _cross(line: tuple[float, float, float, float], x: float, y: float) -> float:
    x1, y1, x2, y2 = line
    return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)


@dataclass(frozen=True)
class TrueCrossing:
    """One ground-truth crossing: the identity, the first frame on the new side, the
    direction (``in`` = left to right of the directed segment) and where it crossed."""

    frame: int
    ident: int
    direction: str
    x: float
    y: float


def true_crossing_events(tracks: dict[int, Track],
                         line: tuple[float, float, float, float]) -> list[TrueCrossing]:
    """Every crossing of ``line`` (x1, y1, x2, y2) by the tracks' bottom-centres, by frame."""
    x1, y1, x2, y2 = line
    dx, dy = x2 - x1, y2 - y1
    out = []
    for ident, points in tracks.items():
        for (f0, ax, ay), (f1, bx, by) in pairwise(points):
            if f1 != f0 + 1:
                continue
            c0, c1 = _cross(line, ax, ay), _cross(line, bx, by)
            if c0 == 0 or c1 == 0 or (c0 < 0) == (c1 < 0):
                continue
            # Where the step meets the infinite line, then whether that lies on the segment.
            t = c0 / (c0 - c1)
            px, py = ax + t * (bx - ax), ay + t * (by - ay)
            s = ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)
            if 0.0 <= s <= 1.0:
                out.append(TrueCrossing(f1, ident, "in" if c0 < 0 else "out", px, py))
    return sorted(out, key=lambda c: (c.frame, c.ident))


def load_mot_heights(path: str | Path) -> dict[int, dict[int, float]]:
    """Annotated box height per identity and frame, from a MOT file.

    Raises:
        ValueError: naming the file and line of a malformed row.
    """
    heights: dict[int, dict[int, float]] = defaultdict(dict)
    for frame, ident, _x, _y, _w, h in mot_rows(path):
        heights[ident][frame] = h
    return dict(heights)


def resolvable_crossing_events(tracks: dict[int, Track], heights: dict[int, dict[int, float]],
                               line: tuple[float, float, float, float],
                               band: float) -> list[TrueCrossing]:
    """The true crossings of ``line`` that a counter can tell from noise of ``band`` times
    the person's height in where their feet are seen.

    Each identity's side is settled only by an annotated foot point farther than ``band``
    box heights from the line; a crossing is a change of settled side whose last step over
    the line (consecutive frames) meets the segment, dated at the first point beyond the
    band on the new side. A walker brushing the line, or wobbling over it and back by less
    than the band, crosses nothing here, where :func:`true_crossing_events` counts every
    step; with ``band`` 0 the two agree. Used to show what a measurement on real boxes can
    resolve (``scripts/counting_floor.py``).

    >>> walk = {1: [(f, 100.0, 95.5 + f) for f in range(1, 11)]}
    >>> tall = {1: {f: 100.0 for f in range(1, 11)}}
    >>> [(c.frame, c.direction) for c in resolvable_crossing_events(
    ...     walk, tall, (0.0, 100.0, 200.0, 100.0), 0.02)]
    [(7, 'in')]
    """
    if band < 0:
        raise ValueError(f"band must be 0 or more, got {band}")
    x1, y1, x2, y2 = line
    dx, dy = x2 - x1, y2 - y1
    norm = float(np.hypot(dx, dy))
    if norm == 0:
        raise ValueError(f"line {line} has no length")
    out = []
    for ident, points in tracks.items():
        tall = heights.get(ident, {})
        side = 0
        over: tuple[float, float, int] | None = None  # where and which way it last went over
        prev: tuple[int, float, float, float] | None = None
        for f, x, y in points:
            c = _cross(line, x, y)
            if prev is not None and prev[0] == f - 1 and prev[3] and c and (prev[3] < 0) != (
                    c < 0):
                t = prev[3] / (prev[3] - c)
                over = (prev[1] + t * (x - prev[1]), prev[2] + t * (y - prev[2]),
                        1 if c > 0 else -1)
            elif prev is not None and prev[0] != f - 1:
                over = None  # a gap in the annotation: where it went over is unknown
            prev = (f, x, y, c)
            if abs(c) / norm <= band * tall.get(f, 0.0) or c == 0:
                continue
            now = 1 if c > 0 else -1
            if side and now != side and over is not None and over[2] == now:
                s = ((over[0] - x1) * dx + (over[1] - y1) * dy) / (norm * norm)
                if 0.0 <= s <= 1.0:
                    out.append(TrueCrossing(f, ident, "in" if now > 0 else "out",
                                            over[0], over[1]))
            side, over = now, None
    return sorted(out, key=lambda c: (c.frame, c.ident))


def count_true_crossings(tracks: dict[int, Track],
                         line: tuple[float, float, float, float]) -> TrueCrossings:
    """Count crossings of ``line`` (x1, y1, x2, y2) by the tracks' bottom-centres."""
    events = true_crossing_events(tracks, line)
    ltr = sum(e.direction == "in" for e in events)
    return TrueCrossings(ltr, len(events) - ltr)


class Event(Protocol):
    """A crossing with a frame, a direction (``in``/``out``) and a place."""

    frame: int
    direction: str
    x: float
    y: float


E = TypeVar("E", bound=Event)
T = TypeVar("T", bound=Event)


@dataclass
class Matching(Generic[T, E]):
    """True crossings paired with counted ones; the rest are missed or false."""

    pairs: list[tuple[T, E]]
    missed: list[T]
    false: list[E]


def match_crossings(truth: Sequence[T], counted: Sequence[E], *, before: int = 3,
                    after: int = 12, max_dist: float = 80.0) -> Matching[T, E]:
    """Pair each counted crossing with a true one of the same direction that happened at
    most ``before`` frames after it or ``after`` frames before it (the counter confirms a
    side some frames late), within ``max_dist`` pixels; closest in time first.

    >>> t = [TrueCrossing(10, 1, "in", 100, 100)]
    >>> m = match_crossings(t, [TrueCrossing(13, 7, "in", 104, 98)])
    >>> len(m.pairs), len(m.missed), len(m.false)
    (1, 0, 0)
    """
    candidates = []
    for i, t in enumerate(truth):
        for j, c in enumerate(counted):
            lag = c.frame - t.frame
            if c.direction != t.direction or not -before <= lag <= after:
                continue
            dist = float(np.hypot(c.x - t.x, c.y - t.y)) if np.isfinite(c.x) else 0.0
            if dist <= max_dist:
                candidates.append((abs(lag), dist, i, j))
    used_t: set[int] = set()
    used_c: set[int] = set()
    pairs = []
    for _lag, _dist, i, j in sorted(candidates):
        if i in used_t or j in used_c:
            continue
        used_t.add(i)
        used_c.add(j)
        pairs.append((truth[i], counted[j]))
    return Matching(pairs, [t for i, t in enumerate(truth) if i not in used_t],
                    [c for j, c in enumerate(counted) if j not in used_c])
