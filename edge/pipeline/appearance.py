"""Colour signatures of tracked boxes, and a ByteTrack similarity that uses them.

ByteTrack matches tracks to boxes by overlap alone. Where two people walking in opposite
directions pass each other, one hides the other for a few frames and the one box left
overlaps both tracks' predicted boxes; when they part, each track may take the other's
person. On a counting line both tracks then turn back, and neither crossing counts (README,
"Counting accuracy": most of the misses around frames 340-360 of PETS are such pairs).

A person's clothes tell them apart where their boxes cannot. Each box gets a colour
signature (:func:`describe`): a hue / saturation / value histogram of its upper and of its
lower half (torso and legs), taken from the box's middle so that background at the sides
weighs little, and only from pixels no other box covers. Each track keeps a running average
of its own. :class:`AppearanceIoU` is the tracker's similarity: the boxes' overlap, less
``weight`` times how much less alike (Bhattacharyya coefficient) a pair is than the
best-looking rival pair of the same track or box, so that of two boxes that overlap a track
alike, the one that looks like it wins, while a match with no rival keeps its overlap. A
track or box with no signature yet is matched by overlap alone.

Measured on PETS it is not chosen (README, "People who pass each other: colours").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
from trackers.utils.iou import IoU

APPEARANCE = "appearance"
"""``detections.data`` key of each box's colour signature (one row per box)."""

BINS = (8, 3, 3)
"""Hue, saturation and value bins of each half's histogram."""
PART = int(np.prod(BINS))
"""Length of one half's histogram; a signature is two of them."""
MEMORY = 0.8
"""Share of a track's signature kept at each update (the rest is the new box's)."""


def describe(image: np.ndarray, xyxy: np.ndarray, least: float = 0.25) -> np.ndarray:
    """Colour signature of each box of ``image`` (BGR): an (N, 2 * PART) array.

    Each half (torso: 10-50 % of the box's height, legs: 50-90 %; the middle half of its
    width) is a histogram summing to 1, taken only from pixels that no other box covers:
    where two people overlap, neither box can tell whose colours are whose. A half with
    less than ``least`` of its pixels left (or none in the picture) is all zeros: no
    evidence."""
    out = np.zeros((len(xyxy), 2 * PART), np.float32)
    h, w = image.shape[:2]
    boxes = np.asarray(xyxy, float)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        bw, bh = x2 - x1, y2 - y1
        cx1, cx2 = int(max(0, x1 + 0.25 * bw)), int(min(w, x2 - 0.25 * bw))
        for part, (top, bottom) in enumerate(((0.1, 0.5), (0.5, 0.9))):
            py1, py2 = int(max(0, y1 + top * bh)), int(min(h, y1 + bottom * bh))
            if cx2 - cx1 < 1 or py2 - py1 < 1:
                continue
            mask = np.full((py2 - py1, cx2 - cx1), 255, np.uint8)
            for j, (ox1, oy1, ox2, oy2) in enumerate(boxes):
                if j != i:
                    mask[max(0, int(oy1) - py1):max(0, int(np.ceil(oy2)) - py1),
                         max(0, int(ox1) - cx1):max(0, int(np.ceil(ox2)) - cx1)] = 0
            if np.count_nonzero(mask) < least * mask.size:
                continue
            hsv = cv2.cvtColor(np.ascontiguousarray(image[py1:py2, cx1:cx2]), cv2.COLOR_BGR2HSV)
            hist = cv2.calcHist([hsv], [0, 1, 2], mask, list(BINS),
                                [0, 180, 0, 256, 0, 256]).ravel()
            out[i, part * PART:(part + 1) * PART] = hist / max(float(hist.sum()), 1.0)
    return out


def likeness(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise likeness of signatures ``a`` (N, D) and ``b`` (M, D) in [0, 1]: the mean
    over the two halves of their Bhattacharyya coefficients; 1 (no evidence either way)
    for a pair where either half is empty."""
    ra, rb = np.sqrt(np.maximum(a, 0)), np.sqrt(np.maximum(b, 0))
    out = np.zeros((len(a), len(b)))
    for part in range(2):
        s = slice(part * PART, (part + 1) * PART)
        coeff = ra[:, s] @ rb[:, s].T
        empty = (a[:, s].sum(1) <= 0)[:, None] | (b[:, s].sum(1) <= 0)[None, :]
        out += np.where(empty, 1.0, coeff)
    return out / 2.0


class AppearanceIoU(IoU):
    """ByteTrack's similarity: overlap less ``weight`` times how much less alike a pair
    looks than its best-looking rival (see the module's text).

    The tracker tells it, before each association, which tracklets the rows are and which
    signatures the columns have (:meth:`expect`); :meth:`remember` then folds each matched
    box's signature into its tracklet's. Without an expectation it is plain IoU.
    """

    def __init__(self, weight: float, overlap: float = 0.05) -> None:
        self.weight = weight
        self.overlap = overlap
        self._rows: Callable[[], Sequence[Any]] = tuple
        self._cols: np.ndarray | None = None

    def expect(self, rows: Callable[[], Sequence[Any]], cols: np.ndarray | None) -> None:
        """The next :meth:`compute` compares the tracklets ``rows()`` gives at that time
        with boxes whose signatures are ``cols`` (``None``: no signatures this frame)."""
        self._rows, self._cols = rows, cols

    def _compute(self, boxes_1: np.ndarray, boxes_2: np.ndarray) -> np.ndarray:
        iou = super()._compute(boxes_1, boxes_2)
        cols = self._cols
        if self.weight <= 0 or cols is None or len(cols) != len(boxes_2):
            return iou
        rows = self._rows()
        if len(rows) != len(boxes_1):
            return iou
        known = [i for i, t in enumerate(rows) if getattr(t, APPEARANCE, None) is not None]
        if not known:
            return iou
        mine = np.stack([getattr(rows[i], APPEARANCE) for i in known])
        # Only between rivals: a box that could go to several tracks is penalised for
        # each track it looks less like than its best-looking one, and a track for each box
        # it looks less like than its best-looking one. A match with no rival keeps its
        # overlap, so a lone walker whose colours change (light, a turn) keeps the track.
        like = likeness(mine, cols)
        near = iou[known] >= self.overlap
        best_col = np.where(near, like, -1.0).max(0, keepdims=True)
        best_row = np.where(near, like, -1.0).max(1, keepdims=True)
        worse = np.maximum(best_col - like, best_row - like)
        iou[known] -= np.where(near, self.weight * np.maximum(worse, 0.0), 0.0)
        return iou

    @staticmethod
    def remember(tracklet: Any, signature: np.ndarray) -> None:
        """Fold ``signature`` into ``tracklet``'s running one (one with an empty half, a
        person half hidden by someone else, changes nothing)."""
        if signature[:PART].sum() <= 0 or signature[PART:].sum() <= 0:
            return
        old = getattr(tracklet, APPEARANCE, None)
        setattr(tracklet, APPEARANCE, signature.copy() if old is None
                else MEMORY * old + (1.0 - MEMORY) * signature)
