"""Capture watchdog: keeps per-camera health metrics fresh and restarts dead capture threads.

A capture thread can only die from a bug (every stream error is handled inside it) or hang
inside FFmpeg past its own timeouts. Either way the supervisor logs why and starts a fresh
thread; the abandoned one exits when it next returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from edge.capture.camera import CameraCapture
from edge.telemetry import metrics

log = logging.getLogger(__name__)

HANG_GRACE_S = 5.0


class CaptureSupervisor:
    """Watches every camera once per ``interval_s`` on its own thread."""

    def __init__(self, cameras: Mapping[str, CameraCapture], interval_s: float = 1.0) -> None:
        self.cameras = cameras
        self.interval_s = interval_s
        self.last_progress = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching."""
        self._thread = threading.Thread(target=self._run, name="capture-supervisor",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)

    @property
    def alive(self) -> bool:
        """Whether the supervisor thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def check_once(self) -> list[str]:
        """Update metrics and restart what needs it; return the ids restarted."""
        restarted = []
        now = time.monotonic()
        for cam_id, cam in list(self.cameras.items()):  # a reload may change the dict
            h = cam.health
            age = h.seconds_since_frame()
            if age is not None:
                metrics.CAMERA_LAST_FRAME_AGE.labels(cam_id).set(age)
            if not h.up:
                metrics.CAMERA_DECODE_FPS.labels(cam_id).set(0.0)
            if cam.stopping or h.finished:
                continue
            limit = cam.config.open_timeout_s + cam.config.read_timeout_s + HANG_GRACE_S
            if not cam.alive:
                cam.restart(f"capture thread died ({h.last_error or 'no error recorded'})")
                restarted.append(cam_id)
            elif now - cam.last_progress > limit:
                cam.restart(f"capture thread stuck for {now - cam.last_progress:.0f}s, "
                            f"beyond its {limit:.0f}s of timeouts")
                restarted.append(cam_id)
        return restarted

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.last_progress = time.monotonic()
            try:
                self.check_once()
            except Exception:
                log.exception("capture supervisor pass failed")
