"""The live view: the newest processed frame of each camera, drawn only when watched.

The inference loop hands every processed frame to :meth:`LiveView.put`, which costs a few
attribute stores, and nothing at all while nobody has asked for a picture in the last
``WATCH_S`` seconds. Drawing and JPEG encoding happen in :meth:`LiveView.jpeg`, on the
console's request threads, at most ``fps`` times a second per camera however many browsers
watch: a request inside that interval gets the picture already encoded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import supervision as sv

from edge.capture.slot import Frame
from edge.config.models import CameraConfig
from edge.telemetry import metrics
from edge.ui.draw import annotate

WATCH_S = 5.0
"""A camera counts as watched this long after its last picture request."""


@dataclass
class _Latest:
    frame: Frame
    detections: sv.Detections
    line_counts: dict[str, tuple[int, int]]
    zone_counts: dict[str, int]


@dataclass
class _Encoded:
    seq: int
    at: float
    jpeg: bytes


class LiveView:
    """Newest frames in, annotated JPEGs out, at a capped rate per camera.

    Args:
        camera_config: returns a camera's current settings (lines change on reload).
        fps: most encodes per camera and second.
        width: pictures wider than this are scaled down.
        quality: JPEG quality.
    """

    def __init__(self, camera_config: Callable[[str], CameraConfig | None], *,
                 fps: float = 3.0, width: int = 960, quality: int = 75) -> None:
        self.camera_config = camera_config
        self.min_interval = 1.0 / fps
        self.width = width
        self.quality = quality
        self._latest: dict[str, _Latest] = {}
        self._encoded: dict[tuple[str, bool], _Encoded] = {}
        self._watched_until: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.encodes = 0

    def watched(self, camera_id: str) -> bool:
        """Whether someone asked for this camera's picture recently."""
        return time.monotonic() < self._watched_until.get(camera_id, 0.0)

    def put(self, frame: Frame, detections: sv.Detections,
            line_counts: Callable[[], dict[str, tuple[int, int]]],
            zone_counts: Callable[[], dict[str, int]] | None = None) -> None:
        """Keep ``frame`` as the camera's newest (inference thread; no copy, no drawing).

        Frames are never written to after decode, so holding a reference is safe. The
        counts are read only while the camera is watched.
        """
        if not self.watched(frame.camera_id):
            return
        self._latest[frame.camera_id] = _Latest(
            frame, detections, line_counts(), zone_counts() if zone_counts else {})

    def cached(self, camera_id: str, *, lines: bool = True) -> tuple[bytes, int] | None:
        """The encoded picture when it is still fresh (no newer frame, or younger than the
        rate cap), without drawing anything; None when a new one is due."""
        self._watched_until[camera_id] = time.monotonic() + WATCH_S
        latest = self._latest.get(camera_id)
        cached = self._encoded.get((camera_id, lines))
        if cached is not None and (latest is None or latest.frame.seq == cached.seq
                                   or time.monotonic() - cached.at < self.min_interval):
            return cached.jpeg, cached.seq
        return None

    def jpeg(self, camera_id: str, *, lines: bool = True) -> tuple[bytes, int] | None:
        """The camera's newest annotated picture as JPEG and its frame number, or None when
        no frame has been processed since someone started watching."""
        with self._guard:
            lock = self._locks.setdefault(camera_id, threading.Lock())
        with lock:
            fresh = self.cached(camera_id, lines=lines)
            if fresh is not None:
                return fresh
            latest = self._latest.get(camera_id)
            now = time.monotonic()
            config = self.camera_config(camera_id)
            if latest is None or config is None:
                return None
            picture = annotate(latest.frame.picture, config, latest.detections,
                               latest.line_counts, lines=lines, max_width=self.width,
                               zone_counts=latest.zone_counts)
            ok, buf = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            if not ok:
                return None
            self.encodes += 1
            metrics.UI_FRAMES_ENCODED.labels(camera_id).inc()
            self._encoded[(camera_id, lines)] = _Encoded(latest.frame.seq, now, buf.tobytes())
            return self._encoded[(camera_id, lines)].jpeg, latest.frame.seq

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's pictures."""
        self._latest.pop(camera_id, None)
        for key in [k for k in self._encoded if k[0] == camera_id]:
            self._encoded.pop(key, None)
