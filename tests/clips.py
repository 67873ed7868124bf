"""Synthetic video clips for tests that need a file camera but no fetched media."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np


def write_grey_clip(path: Path, levels: Iterable[int], fps: int = 10,
                    size: tuple[int, int] = (64, 48)) -> Path:
    """An MJPEG clip of flat grey frames, one per level in ``levels``."""
    w, h = size
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for level in levels:
        out.write(np.full((h, w, 3), level, np.uint8))
    out.release()
    return path
