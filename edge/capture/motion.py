"""A cheap motion test per camera, run on its capture thread.

The picture is scaled down to ``width`` pixels, turned grey and blurred, then compared with a
running-average background (``cv2.accumulateWeighted``, so slow light changes are absorbed).
Pixels that changed by more than ``threshold`` are cleaned of speckle (a morphological
opening) and grouped into blobs; the picture *moves* when one blob covers at least
``min_area`` of it. Masked rectangles are never looked at.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.config.motion import MotionConfig

_KERNEL = np.ones((3, 3), np.uint8)


class MotionDetector:
    """Says whether each new picture of one camera moves against its background."""

    def __init__(self, config: MotionConfig) -> None:
        self.config = config
        self._background: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._shape: tuple[int, int] | None = None

    def _small(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        width = min(self.config.width, w)
        height = max(1, round(h * width / w))
        small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def _make_mask(self, shape: tuple[int, int], full: tuple[int, int]) -> np.ndarray:
        mask = np.full(shape, 255, np.uint8)
        sy, sx = shape[0] / full[0], shape[1] / full[1]
        for x1, y1, x2, y2 in self.config.masks:
            mask[int(y1 * sy):int(np.ceil(y2 * sy)), int(x1 * sx):int(np.ceil(x2 * sx))] = 0
        return mask

    def moving(self, image: np.ndarray) -> bool:
        """True when ``image`` moves against the background (always for the first one)."""
        grey = self._small(image)
        if self._background is None or self._shape != grey.shape:
            self._background = grey.astype(np.float32)
            self._shape = grey.shape
            self._mask = self._make_mask(grey.shape, image.shape[:2])
            return True
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        cv2.accumulateWeighted(grey, self._background, self.config.learn_rate)
        changed = (diff > self.config.threshold).astype(np.uint8) * 255
        changed = cv2.bitwise_and(changed, self._mask)  # type: ignore[arg-type]
        changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, _KERNEL)
        count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(changed, 8)
        if count <= 1:
            return False
        biggest = int(stats[1:, cv2.CC_STAT_AREA].max())
        return biggest >= self.config.min_area * grey.size
