"""Where the plate is inside a vehicle box (or a whole photo).

Two localisers, measured against each other in ``scripts/eval_anpr.py``:

* ``platedet``: a YOLOv8s-seg plate model (ONNX, from the ``platedet`` wheel);
* ``text``: no plate model; the OCR engine's own text detector runs on the lower 60 % of the
  vehicle box and the plate line is the tallest text (works with any engine).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np


class PlateLocaliser:
    """The ``platedet`` model: plate boxes with confidences, best first."""

    name = "platedet"

    def __init__(self, model_path: str | Path | None = None, conf: float = 0.3) -> None:
        from platedet import Platedet

        kwargs = {"model_path": str(model_path)} if model_path else {}
        self._det = Platedet(**kwargs)
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

    def crop(self, image_bgr: np.ndarray, pad: float = 0.08) -> tuple[np.ndarray, float] | None:
        """The best plate crop (slightly padded) and its confidence, or None."""
        found = self.boxes(image_bgr)
        if not found:
            return None
        (x1, y1, x2, y2), conf = found[0]
        px, py = int((x2 - x1) * pad) + 2, int((y2 - y1) * pad) + 2
        h, w = image_bgr.shape[:2]
        crop = image_bgr[max(0, y1 - py):min(h, y2 + py), max(0, x1 - px):min(w, x2 + px)]
        return (crop, conf) if crop.size else None


def lower_part(vehicle_bgr: np.ndarray, share: float = 0.6) -> np.ndarray:
    """The lower ``share`` of a vehicle crop, where plates are (for the ``text`` localiser)."""
    h = vehicle_bgr.shape[0]
    return vehicle_bgr[int(h * (1 - share)):]


def sharpness(crop_bgr: np.ndarray) -> float:
    """Variance of the Laplacian (low = blurred)."""
    return float(cv2.Laplacian(cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
