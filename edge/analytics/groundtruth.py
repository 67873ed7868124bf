"""True line crossings from MOT-format ground truth, for counting evaluation.

Rule (../shared/data/README.md): the bottom-centre of each box crosses a segment when it
changes side between consecutive frames of the same identity and the crossing point lies on
the segment. ``left_to_right`` is the cross product going from negative to positive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path


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


def load_mot(path: str | Path) -> dict[int, Track]:
    """Read ``frame,id,x,y,w,h,...`` rows into bottom-centre tracks per identity.

    Raises:
        ValueError: naming the file and line of a malformed row.
    """
    tracks: dict[int, Track] = defaultdict(list)
    for n, raw in enumerate(Path(path).read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split(",")
        try:
            frame, ident = int(float(parts[0])), int(float(parts[1]))
            x, y, w, h = (float(v) for v in parts[2:6])
        except (ValueError, IndexError):
            raise ValueError(f"{path}:{n}: not a MOT row: {raw!r}") from None
        tracks[ident].append((frame, x + w / 2.0, y + h))
    for t in tracks.values():
        t.sort()
    return dict(tracks)


def _cross(line: tuple[float, float, float, float], x: float, y: float) -> float:
    x1, y1, x2, y2 = line
    return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)


def count_true_crossings(tracks: dict[int, Track],
                         line: tuple[float, float, float, float]) -> TrueCrossings:
    """Count crossings of ``line`` (x1, y1, x2, y2) by the tracks' bottom-centres."""
    x1, y1, x2, y2 = line
    ltr = rtl = 0
    for points in tracks.values():
        for (f0, ax, ay), (f1, bx, by) in pairwise(points):
            if f1 != f0 + 1:
                continue
            c0, c1 = _cross(line, ax, ay), _cross(line, bx, by)
            if c0 == 0 or c1 == 0 or (c0 < 0) == (c1 < 0):
                continue
            # Where the step meets the infinite line, then whether that lies on the segment.
            t = c0 / (c0 - c1)
            px, py = ax + t * (bx - ax), ay + t * (by - ay)
            dx, dy = x2 - x1, y2 - y1
            s = ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)
            if 0.0 <= s <= 1.0:
                if c0 < 0:
                    ltr += 1
                else:
                    rtl += 1
    return TrueCrossings(ltr, rtl)
