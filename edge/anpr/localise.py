"""Where the plate is inside a vehicle box (or a whole photo).

Two localisers, measured against each other in ``scripts/eval_anpr.py``:

* ``platedet``: a YOLOv8s-seg plate model (ONNX, from the ``platedet`` wheel), on the whole
  picture and, when that shows no plate, on four overlapping tiles;
* ``text``: no plate model; the OCR engine's own text detector runs on the lower 60 % of the
  vehicle box and the plate line is the tallest text (works with any engine).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

TILE = 0.6
"""Side of a tile (share of the picture's) when the whole picture shows no plate."""


class PlateLocaliser:
    """The ``platedet`` model: plate boxes with confidences, best first."""

    name = "platedet"

    def __init__(self, model_path: str | Path | None = None, conf: float = 0.3,
                 threads: int | None = None) -> None:
        from platedet import Platedet

        from edge.anpr.ocr import session_options

        kwargs = {"model_path": str(model_path)} if model_path else {}
        self._det = Platedet(**kwargs, sess_options=session_options(threads))
        self.conf = conf
        self._lock = threading.Lock()

    def boxes(self, image_bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Plate boxes ``[x1, y1, x2, y2]`` in ``image_bgr`` with confidence, best first."""
        with self._lock:
            out = self._det.extract_roi(image_bgr, self.conf, 0.5, return_types=["boxes"])
        if "boxes" not in out:
            return []
        found = list(zip(out["boxes"]["boxes"], out["boxes"]["confidences"], strict=True))
        return sorted(((np.asarray(b, np.int32), float(c)) for b, c in found),
                      key=lambda x: -x[1])

    def find_all(self, image_bgr: np.ndarray, limit: int = 3) -> list[tuple[np.ndarray, float]]:
        """Up to ``limit`` plate boxes in ``image_bgr``, best first; when the whole picture
        shows none, those in four overlapping tiles (the model sees a large picture at its
        own input size, where a small plate is only a few pixels tall), a plate seen in two
        tiles counted once."""
        found = self.boxes(image_bgr)
        if found:
            return found[:limit]
        h, w = image_bgr.shape[:2]
        th, tw = int(h * TILE), int(w * TILE)
        if min(th, tw) < 64:
            return []
        tiled: list[tuple[np.ndarray, float]] = []
        for y0 in (0, h - th):
            for x0 in (0, w - tw):
                shift = np.array([x0, y0, x0, y0], np.int32)
                tiled += [(box + shift, conf)
                          for box, conf in self.boxes(image_bgr[y0:y0 + th, x0:x0 + tw])]
        kept: list[tuple[np.ndarray, float]] = []
        for box, conf in sorted(tiled, key=lambda x: -x[1]):
            if all(iou(box, k) < 0.3 for k, _ in kept):
                kept.append((box, conf))
        return kept[:limit]


def crop_box(image_bgr: np.ndarray, box: np.ndarray, pad: float = 0.08) -> np.ndarray:
    """``image_bgr`` inside ``box`` (``x1, y1, x2, y2``), padded by ``pad`` of the box's
    size + 2 px on each side and clipped to the picture."""
    x1, y1, x2, y2 = (int(v) for v in box)
    px, py = int((x2 - x1) * pad) + 2, int((y2 - y1) * pad) + 2
    h, w = image_bgr.shape[:2]
    return image_bgr[max(0, y1 - py):min(h, y2 + py), max(0, x1 - px):min(w, x2 + px)]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``x1, y1, x2, y2`` boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = float(ix * iy)
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def lower_part(vehicle_bgr: np.ndarray, share: float = 0.6) -> np.ndarray:
    """The lower ``share`` of a vehicle crop, where plates are (for the ``text`` localiser)."""
    h = vehicle_bgr.shape[0]
    return vehicle_bgr[int(h * (1 - share)):]


def sharpness(crop_bgr: np.ndarray) -> float:
    """Variance of the Laplacian (low = blurred)."""
    return float(cv2.Laplacian(cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
