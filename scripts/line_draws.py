"""Which lines and which frames a counting replay uses (``counting_lab``): random segments
across the picture, segments along a region's borders, and the frames a loop that cannot
keep up with the camera analyses. Every draw is seeded: the same arguments give the same
lines and frames."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from edge.analytics.groundtruth import Track, true_crossing_events

Line = tuple[int, int, int, int]
Roi = tuple[int, int, int, int]
"""A camera's region of interest, x1 y1 x2 y2 in the picture's pixels."""
Bounds = tuple[float, float, float, float]
"""The analysed picture, x1 y1 x2 y2, in the boxes' coordinates (the ROI, or the frame)."""


def analysed_frames(frames: int, gaps: Sequence[int]) -> list[int]:
    """The frame numbers (from 1) a loop that cannot keep up analyses out of ``frames``:
    each after the last by a gap drawn from ``gaps`` (the same draw every time). ``(1,)``
    is every frame, ``(2,)`` every other one, ``(1, 1, 1, 4)`` mostly every frame with a
    burst of skipped ones now and then (a slow pass of the loop).

    >>> analysed_frames(10, (3,))
    [1, 4, 7, 10]
    >>> analysed_frames(10, (1,)) == list(range(1, 11))
    True
    """
    if not gaps or min(gaps) < 1:
        raise ValueError(f"gaps must be whole numbers of frames, 1 or more: {list(gaps)}")
    rng = random.Random(1)
    out = [1]
    while True:
        nxt = out[-1] + (gaps[0] if len(gaps) == 1 else rng.choice(list(gaps)))
        if nxt > frames:
            return out
        out.append(nxt)


def _sample(tracks: dict[int, Track], n: int, seed: int, min_true: int, what: str,
            draw: Callable[[random.Random], Line | None]) -> list[Line]:
    """``n`` segments from ``draw`` (None: rejected as drawn), each crossed at least
    ``min_true`` times by the ground truth (rejection sampling; the same seed gives the
    same lines)."""
    rng = random.Random(seed)
    out: list[Line] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 200_000:
            raise RuntimeError(f"found only {len(out)} {what} with {min_true}+ crossings")
        line = draw(rng)
        if line is not None and len(true_crossing_events(
                tracks, tuple(map(float, line)))) >= min_true:  # type: ignore[arg-type]
            out.append(line)
    return out


def random_lines(tracks: dict[int, Track], n: int, seed: int, width: int, height: int,
                 min_true: int = 8, min_length: float = 80.0) -> list[Line]:
    """``n`` random segments across the picture, each crossed at least ``min_true`` times by
    the ground truth (the same seed gives the same lines)."""
    def draw(rng: random.Random) -> Line | None:
        x1, x2 = rng.randrange(width), rng.randrange(width)
        y1, y2 = rng.randrange(height), rng.randrange(height)
        return None if np.hypot(x2 - x1, y2 - y1) < min_length else (x1, y1, x2, y2)

    return _sample(tracks, n, seed, min_true, "lines", draw)


EDGES = ("left", "right", "top", "bottom")


def edge_lines(tracks: dict[int, Track], n: int, seed: int, roi: Bounds,
               min_true: int = 8, reach: tuple[float, float] = (4.0, 60.0),
               min_length: float = 80.0) -> list[Line]:
    """``n`` random segments along the borders of the picture ``roi`` (x1 y1 x2 y2), each end
    within ``reach`` pixels of the same border, so a line runs near the edge at a slant of a
    few degrees, and each crossed at least ``min_true`` times by the ground truth: the door
    lines a plant draws where people walk into the picture. The same seed gives the same
    lines."""
    x1, y1, x2, y2 = roi

    def draw(rng: random.Random) -> Line | None:
        edge = rng.choice(EDGES)
        lo, hi = (y1, y2) if edge in ("left", "right") else (x1, x2)
        a, b = sorted((rng.uniform(lo, hi), rng.uniform(lo, hi)))
        if b - a < min_length:
            return None
        d1, d2 = rng.uniform(*reach), rng.uniform(*reach)
        if edge == "left":
            line = (x1 + d1, a, x1 + d2, b)
        elif edge == "right":
            line = (x2 - d1, a, x2 - d2, b)
        elif edge == "top":
            line = (a, y1 + d1, b, y1 + d2)
        else:
            line = (a, y2 - d1, b, y2 - d2)
        seg = tuple(round(v) for v in line)
        if rng.random() < 0.5:  # either direction
            seg = (seg[2], seg[3], seg[0], seg[1])
        return seg  # type: ignore[return-value]

    return _sample(tracks, n, seed, min_true, "edge lines", draw)
