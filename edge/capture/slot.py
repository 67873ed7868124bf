"""A one-frame slot: the camera thread puts, the inference loop takes the newest.

Frames are never queued. A frame replaced before anyone took it is counted as dropped, so the
inference loop can never fall behind the camera.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A decoded frame and where it came from.

    Attributes:
        camera_id: the camera that produced it.
        image: BGR image, ``uint8`` H x W x 3.
        seq: per-camera frame number, increasing from 1 across reconnects.
        captured_at: ``time.monotonic()`` right after decode.
        wall_ts: UTC wall-clock time of the decode.
        offset: top-left of ``image`` in the full frame (non-zero when cropped to a ROI).
        full: the whole decoded picture when ``image`` is a ROI crop of it (the console's
            live view shows it), else None.
        moving: whether the camera's motion gate saw motion (always True without a gate).
        frame_rate: the rate the camera was timed by when this frame came (0: not known;
            ``CameraHealth.frame_rate``): the camera step follows it.
    """

    camera_id: str
    image: np.ndarray
    seq: int
    captured_at: float = field(default_factory=time.monotonic)
    wall_ts: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    offset: tuple[int, int] = (0, 0)
    full: np.ndarray | None = None
    moving: bool = True
    frame_rate: float = 0.0

    @property
    def picture(self) -> np.ndarray:
        """The whole decoded picture (``image`` itself when no ROI crops it)."""
        return self.image if self.full is None else self.full

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The analysed picture (``image``) as a full-frame box (x1, y1, x2, y2).

        Example:
            >>> Frame("cam", np.zeros((100, 200, 3), np.uint8), 1, offset=(10, 20)).bounds
            (10.0, 20.0, 210.0, 120.0)
        """
        h, w = self.image.shape[:2]
        x, y = self.offset
        return (float(x), float(y), float(x + w), float(y + h))

    def crop(self, xyxy: np.ndarray | tuple[float, float, float, float]) -> np.ndarray:
        """The part of the whole picture inside a full-frame box (clipped to the picture;
        empty when the box lies outside it). A view: copy it to keep it.

        Example:
            >>> f = Frame("cam", np.zeros((100, 200, 3), np.uint8), 1)
            >>> f.crop((150, 80, 260, 130)).shape
            (20, 50, 3)
        """
        picture = self.picture
        h, w = picture.shape[:2]
        x1, y1, x2, y2 = (float(v) for v in xyxy)
        left, top = min(max(int(x1), 0), w), min(max(int(y1), 0), h)
        right, bottom = min(max(int(x2), left), w), min(max(int(y2), top), h)
        return picture[top:bottom, left:right]


class FrameSlot:
    """Holds the newest frame of one camera.

    With ``lockstep=True`` (evaluation and tests) ``put`` waits until the previous frame was
    taken instead of replacing it, so every frame of a file reaches inference.
    """

    def __init__(self, lockstep: bool = False) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken = True
        self.lockstep = lockstep
        self.dropped = 0

    def put(self, frame: Frame, stop: threading.Event | None = None) -> bool:
        """Store ``frame``; return True if it replaced one that was never taken."""
        with self._cond:
            if self.lockstep:
                while not self._taken and not (stop is not None and stop.is_set()):
                    self._cond.wait(0.1)
            replaced = not self._taken
            if replaced:
                self.dropped += 1
            self._frame = frame
            self._taken = False
            self._cond.notify_all()
            return replaced

    def take(self) -> Frame | None:
        """Return the newest frame if it has not been taken yet, else None."""
        with self._cond:
            if self._taken or self._frame is None:
                return None
            self._taken = True
            self._cond.notify_all()
            return self._frame

    def has_new(self) -> bool:
        """True when a frame is waiting."""
        with self._cond:
            return not self._taken and self._frame is not None
