"""Re-draw one model's boxes with another model's (``models[].refine``).

The demo's person model (a fall-detection YOLOv8s) finds small, distant people that a
COCO-pose YOLO11n misses, but draws its boxes loosely: its boxes' bottom edges (where the
counting lines put a person's feet) lie a median 3.6 % of the person's height from the
annotated feet on PETS, against 1.6 % for the pose model's. Keeping the first model's boxes
and taking the second model's drawing where both found the same person keeps the recall of
the first and the feet of the second (README, "Counting accuracy").
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from edge.detect.matching import greedy_pairs


def refine_boxes(base: sv.Detections, refiner: sv.Detections, match_iou: float = 0.5,
                 own_confidence: bool = False) -> sv.Detections:
    """``base`` with each box matched by a ``refiner`` box of the same class re-drawn as it.

    Matching is one to one, highest IoU first, at least ``match_iou``. A matched box keeps
    its class and data and takes the higher confidence of the two (its own with
    ``own_confidence``); unmatched base boxes are kept as they are; refiner boxes that match
    nothing are dropped.

    >>> a = sv.Detections(xyxy=np.array([[0., 0, 10, 40], [50, 0, 60, 40]]),
    ...                   confidence=np.array([0.5, 0.9]), class_id=np.array([0, 0]))
    >>> b = sv.Detections(xyxy=np.array([[1., 0, 10, 38], [200, 0, 210, 40]]),
    ...                   confidence=np.array([0.8, 0.9]), class_id=np.array([0, 0]))
    >>> r = refine_boxes(a, b)
    >>> r.xyxy.tolist(), r.confidence.tolist()
    ([[1.0, 0.0, 10.0, 38.0], [50.0, 0.0, 60.0, 40.0]], [0.8, 0.9])
    """
    if len(base) == 0 or len(refiner) == 0:
        return base
    overlaps = sv.box_iou_batch(base.xyxy, refiner.xyxy)
    if base.class_id is not None and refiner.class_id is not None:
        overlaps[base.class_id[:, None] != refiner.class_id[None, :]] = 0.0
    out = base[np.arange(len(base))]  # a copy: the caller's detections stay as they were
    for i, j in greedy_pairs(overlaps, match_iou):
        out.xyxy[i] = refiner.xyxy[j]
        if not own_confidence and out.confidence is not None and refiner.confidence is not None:
            out.confidence[i] = max(out.confidence[i], refiner.confidence[j])
    return out


def segment_distance(px: np.ndarray, py: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance (pixels) of each point to the nearest of ``segments`` (K x 4: x1, y1, x2,
    y2); infinite when there are none.

    >>> segment_distance(np.array([5., 20.]), np.array([3., 0.]),
    ...                  np.array([[0., 0, 10, 0]])).tolist()
    [3.0, 10.0]
    """
    if len(segments) == 0:
        return np.full(len(px), np.inf)
    s = np.asarray(segments, float)
    x1, y1, dx, dy = s[:, 0], s[:, 1], s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]
    length2 = np.maximum(dx * dx + dy * dy, 1e-9)
    t = np.clip(((px[:, None] - x1) * dx + (py[:, None] - y1) * dy) / length2, 0.0, 1.0)
    d = np.hypot(px[:, None] - (x1 + t * dx), py[:, None] - (y1 + t * dy))
    return d.min(axis=1)


def near_segments(detections: sv.Detections, segments: np.ndarray | None,
                  reach: float | None) -> np.ndarray:
    """Which boxes have their feet (bottom-centre) within ``reach`` of their own heights of
    one of ``segments`` (a camera's counting lines and zone edges). ``segments`` or
    ``reach`` None: every box."""
    if segments is None or reach is None:
        return np.ones(len(detections), bool)
    xyxy = detections.xyxy
    feet_x, feet_y = (xyxy[:, 0] + xyxy[:, 2]) / 2.0, xyxy[:, 3]
    return segment_distance(feet_x, feet_y, segments) <= reach * (xyxy[:, 3] - xyxy[:, 1])


def refine_some(base: sv.Detections, refiner: sv.Detections, mask: np.ndarray,
                match_iou: float = 0.5, own_confidence: bool = False) -> sv.Detections:
    """:func:`refine_boxes` on the boxes of ``base`` where ``mask`` is set; the others stay
    as drawn (a copy either way)."""
    out = base[np.arange(len(base))]
    if not mask.any():
        return out
    part = refine_boxes(base[mask], refiner, match_iou, own_confidence)
    out.xyxy[mask] = part.xyxy
    if out.confidence is not None and part.confidence is not None:
        out.confidence[mask] = part.confidence
    return out


GREY = 114
"""What a crop holds beyond the picture's edge (ultralytics pads its letterbox with it)."""


def crop_windows(xyxy: np.ndarray, margin: float, min_side: float = 0.0) -> np.ndarray:
    """Square windows (N x 3: left, top, side, in pixels) centred on each box, reaching
    ``margin`` of the box's larger side beyond it on every side, and at least ``min_side``
    wide; they may reach past the picture's edge (:func:`cut` fills that with grey).

    >>> crop_windows(np.array([[10., 20, 30, 60]]), 0.25).tolist()
    [[-10.0, 10.0, 60.0]]
    >>> crop_windows(np.array([[10., 20, 30, 60]]), 0.25, min_side=100).tolist()
    [[-30.0, -10.0, 100.0]]
    """
    xyxy = np.asarray(xyxy, float).reshape(-1, 4)
    side = np.maximum(np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]), 1.0)
    side = np.maximum(side * (1.0 + 2.0 * margin), min_side)
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2.0, (xyxy[:, 1] + xyxy[:, 3]) / 2.0
    return np.stack([cx - side / 2.0, cy - side / 2.0, side], axis=1)


def cut(image: np.ndarray, window: np.ndarray, size: int) -> np.ndarray:
    """The ``window`` (left, top, side) of ``image`` resized to ``size`` x ``size``, grey
    where it reaches past the picture.

    >>> img = np.zeros((4, 4, 3), np.uint8); img[:2, :2] = 200
    >>> cut(img, np.array([0., 0, 2]), 2)[:, :, 0].tolist()
    [[200, 200], [200, 200]]
    >>> int(cut(img, np.array([-2., -2, 2]), 2)[0, 0, 0])
    114
    """
    left, top, side = (float(v) for v in window)
    k = size / side
    move = np.array([[k, 0.0, -left * k], [0.0, k, -top * k]], np.float32)
    return cv2.warpAffine(image, move, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(GREY, GREY, GREY))


def boxes_from_crops(found: list[sv.Detections], windows: np.ndarray, size: int,
                     shape: tuple[int, int], nms_iou: float = 0.7) -> sv.Detections:
    """The refiner's boxes of every crop of one picture, in the picture's pixels: ``found[j]``
    are its boxes in the crop of ``windows[j]`` (cut at ``size``), ``shape`` the picture's
    (height, width). Each crop holds its own person and often a neighbour or two; a box that
    the crop's edge cuts (inside the picture) is a person only partly in that crop, and is
    left out; the same person found whole in two crops is kept once (class-wise NMS at
    ``nms_iou``, the more confident). The result is matched to the model's boxes one to
    one, as a refiner's boxes of the whole picture are (:func:`refine_some`).

    >>> f = sv.Detections(xyxy=np.array([[42., 24, 78, 100], [110., 20, 120, 90]]),
    ...                   confidence=np.array([0.9, 0.8]), class_id=np.array([0, 0]))
    >>> boxes_from_crops([f], np.array([[-10., 10, 60]]), 120, (100, 100)).xyxy.tolist()
    [[11.0, 22.0, 29.0, 60.0]]
    """
    height, width = shape
    parts: list[sv.Detections] = []
    for boxes, (left, top, side) in zip(found, windows, strict=True):
        if len(boxes) == 0:
            continue
        inner = np.array([left > 0, top > 0, left + side < width, top + side < height])
        at_edge = np.stack([boxes.xyxy[:, 0] <= 1, boxes.xyxy[:, 1] <= 1,
                            boxes.xyxy[:, 2] >= size - 1, boxes.xyxy[:, 3] >= size - 1], 1)
        whole = ~(at_edge & inner).any(axis=1)
        if not whole.any():
            continue
        kept = boxes[whole]
        kept.xyxy = np.clip(kept.xyxy * (side / size) + np.array([left, top, left, top]),
                            0.0, [width, height, width, height]).astype(kept.xyxy.dtype)
        parts.append(kept)
    if not parts:
        return sv.Detections.empty()
    pool = sv.Detections.merge(parts)
    return pool.with_nms(threshold=nms_iou) if len(pool) > 1 else pool
