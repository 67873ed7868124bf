"""Where a tracked box's feet are, when the picture's border cuts the box.

A person walking out of (or into) the picture is boxed only up to the border: the box's
bottom-centre then stops at the border's side while the person goes on, so a line drawn
near the edge of the picture sees the feet stall just short of it, or beyond its end. On
PETS lines nobody tuned on this explained people leaving the picture who were never counted
(README, "Counting accuracy").

:class:`FootPoints` completes such boxes from the same track's last uncut box: cut on the
right, the centre is the left edge plus half the track's width; cut on the left, the right
edge minus half of it; cut at the bottom, the feet are the top plus the track's height. A box
cut on both sides, or a track never seen uncut, keeps its plain bottom-centre.

Example:
    >>> import numpy as np
    >>> feet = FootPoints(border_px=2.0)
    >>> bounds = (0, 0, 768, 576)
    >>> [v.tolist() for v in feet.points(np.array([[700., 200., 740., 300.]]), np.array([7]),
    ...                                  bounds)]  # whole: 40 wide
    [[720.0], [300.0]]
    >>> [v.tolist() for v in feet.points(np.array([[750., 200., 768., 300.]]), np.array([7]),
    ...                                  bounds)]  # cut by the right border: 750 + 40 / 2
    [[770.0], [300.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEET = "feet"
"""Key of ``sv.Detections.data`` under which the camera step leaves each tracked box's foot
point (an N x 2 array), completed once per frame for every rule that wants it."""
BORDER = "border"
"""Key of ``sv.Detections.data`` under which the camera step leaves, for each tracked box
the picture's border cuts, its foot point moved just beyond that border (an N x 2 array;
NaN for a box inside the picture): where a person first seen so came from, or went."""


def border_points(xyxy: np.ndarray, feet: np.ndarray,
                  bounds: tuple[float, float, float, float], border_px: float = 2.0,
                  beyond_px: float = 1.0) -> np.ndarray:
    """Each box's foot point moved ``beyond_px`` past every border of ``bounds`` that cuts
    the box where its feet are (a side within ``border_px`` of it): cut on the right, x
    lies beyond the right border; cut at the bottom, y below the bottom; cut at a corner,
    both. NaN for a box the border does not cut so, or cuts on opposite sides (it fills the
    picture: no direction). The top border cuts heads, never feet: someone whose head it
    cuts stands a body's height inside the picture, often walking along it, and says
    nothing of where they came from.

    Example:
        >>> import numpy as np
        >>> xyxy = np.array([[750., 200., 768., 300.], [100., 100., 140., 200.]])
        >>> border_points(xyxy, np.array([[770., 300.], [120., 200.]]), (0, 0, 768, 576)
        ...               ).tolist()
        [[769.0, 300.0], [nan, nan]]
    """
    bx1, _by1, bx2, by2 = bounds
    out = np.array(feet, dtype=float, copy=True).reshape(-1, 2)
    left = xyxy[:, 0] <= bx1 + border_px
    right = xyxy[:, 2] >= bx2 - border_px
    bottom = xyxy[:, 3] >= by2 - border_px
    out[right, 0] = bx2 + beyond_px
    out[left, 0] = bx1 - beyond_px
    out[bottom, 1] = by2 + beyond_px
    out[~(left | right | bottom) | (left & right)] = np.nan
    return out


@dataclass
class _Size:
    width: float
    height: float
    age: int = 0


class FootPoints:
    """Bottom-centre points of tracked boxes, completed where the picture's border cuts them.

    Args:
        border_px: a box side this close to the picture's border is taken as cut by it.
        memory_frames: frames a track's uncut size is remembered after it was last seen.
    """

    def __init__(self, border_px: float = 2.0, memory_frames: int = 30) -> None:
        self.border_px = border_px
        self.memory_frames = max(1, memory_frames)
        self._sizes: dict[int, _Size] = {}

    def points(self, xyxy: np.ndarray, tracker_ids: np.ndarray,
               bounds: tuple[float, float, float, float] | None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Foot points (x, y) of each box. ``bounds`` is the analysed picture (x1, y1, x2,
        y2) in the boxes' coordinates (the ROI, when the camera has one); without it, the
        plain bottom-centres, as for boxes without a track id (negative). Call once per
        frame: tracks not in it age and are forgotten."""
        fx = (xyxy[:, 0] + xyxy[:, 2]) / 2.0
        fy = xyxy[:, 3].astype(float)
        if bounds is None:
            return fx, fy
        bx1, _by1, bx2, by2 = bounds
        b = self.border_px
        seen = set()
        for i, tid in enumerate(tracker_ids.astype(int)):
            tid = int(tid)
            if tid < 0:
                continue
            seen.add(tid)
            x1, y1, x2, y2 = (float(v) for v in xyxy[i])
            left, right, bottom = x1 <= bx1 + b, x2 >= bx2 - b, y2 >= by2 - b
            size = self._sizes.get(tid)
            if size is not None:
                size.age = 0
                if right and not left:
                    fx[i] = x1 + max(size.width, x2 - x1) / 2.0
                elif left and not right:
                    fx[i] = x2 - max(size.width, x2 - x1) / 2.0
                if bottom:
                    fy[i] = y1 + max(size.height, y2 - y1)
            if not (left or right or bottom):
                if size is None:
                    self._sizes[tid] = _Size(x2 - x1, y2 - y1)
                else:
                    size.width, size.height = x2 - x1, y2 - y1
        for tid in [t for t in self._sizes if t not in seen]:
            self._sizes[tid].age += 1
            if self._sizes[tid].age > self.memory_frames:
                del self._sizes[tid]
        return fx, fy
