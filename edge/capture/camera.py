"""One capture thread per camera: open with timeouts, keep the newest frame, reconnect.

OpenCV's FFmpeg backend only honours open/read timeouts when they are passed to the
constructor, so they are given there. After a failed read the capture is released and
reopened with exponential backoff and jitter (:class:`edge.backoff.Backoff`); width, height
and fps are read again after every reconnect. A stream's rate is measured from its frames'
own timestamps (:mod:`edge.capture.rate`) and every frame carries the rate it was timed by.
File sources are paced at their native fps unless ``pace=False``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from edge.backoff import Backoff
from edge.capture.motion import MotionDetector
from edge.capture.rate import StampRate, choose_rate, moved
from edge.capture.slot import Frame, FrameSlot
from edge.capture.transport import GATE, stream_address, tcp_probe
from edge.config.models import CameraConfig
from edge.telemetry import metrics

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 0.5
BACKOFF_CAP_S = 30.0
"""Reconnect waits double from the first to the cap, each drawn from 50-100 % of its step so
cameras that failed together do not reconnect in lockstep."""
FAST_WINDOW_S = 60.0
"""A stream that delivered frames this recently is retried fast: a short outage (a switch
reboot, an encoder restart) should cost seconds, not the backoff's growing waits."""
FAST_RETRY_S = 0.2
"""Pause between cheap TCP probes while a recently healthy stream is down."""


@dataclass
class CameraHealth:
    """What the capture thread knows about its stream (read by status and metrics)."""

    up: bool = False
    frames: int = 0
    reconnects: int = 0
    width: int = 0
    height: int = 0
    source_fps: float = 0.0
    frame_rate: float = 0.0
    """The rate frames are delivered at, as far as known: the camera's configured ``fps``,
    else the rate its stream's timestamps say, else its reported one, capped by ``fps_cap``
    (0: not known; :func:`edge.capture.rate.choose_rate`)."""
    rate_source: str = ""
    """Where ``frame_rate`` came from: ``config``, ``stamps``, ``header``, ``fps_cap`` or
    ``""`` (not known)."""
    stamp_fps: float = 0.0
    """The rate the stream's timestamps say its frames were sent at (0: not measured; files
    are not measured)."""
    decode_fps: float = 0.0
    last_frame_at: float | None = None
    last_error: str = ""
    finished: bool = False
    restarts: int = 0
    max_open_block_s: float = 0.0
    max_read_block_s: float = 0.0

    def note_block(self, what: str, seconds: float) -> None:
        """Remember the longest single open or read call (for stall diagnosis)."""
        if what == "open":
            self.max_open_block_s = max(self.max_open_block_s, seconds)
        else:
            self.max_read_block_s = max(self.max_read_block_s, seconds)

    def seconds_since_frame(self) -> float | None:
        """Seconds since the last decoded frame, or None before the first one."""
        if self.last_frame_at is None:
            return None
        return time.monotonic() - self.last_frame_at


def is_file_source(url: str) -> bool:
    """True for local files (``file://`` or a path), False for network streams."""
    return url.startswith("file://") or "://" not in url


def open_capture(url: str, *, open_timeout_s: float, read_timeout_s: float,
                 transport: str = "tcp") -> cv2.VideoCapture:
    """Create an FFmpeg ``VideoCapture`` with timeouts set at construction time."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000),
    ]
    if is_file_source(url):
        path = url.removeprefix("file://")
        if not Path(path).is_file():
            raise FileNotFoundError(f"video file not found: {path}")
        return cv2.VideoCapture(path, cv2.CAP_FFMPEG, params)
    with GATE.opening(transport):
        return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


class CameraCapture:
    """Reads one camera on its own thread into a :class:`FrameSlot`.

    Args:
        config: the camera's settings.
        pace: sleep to the file's native fps (ignored for network streams).
        lockstep: wait for each frame to be taken (evaluation: no frame is skipped).
        max_frames: stop after this many frames (tests and evaluation).
    """

    def __init__(self, config: CameraConfig, *, pace: bool = True, lockstep: bool = False,
                 max_frames: int | None = None) -> None:
        self.config = config
        self.camera_id = config.id
        self.slot = FrameSlot(lockstep=lockstep)
        self.health = CameraHealth()
        self.pace = pace
        self.max_frames = max_frames
        # Detection runs on the substream when one is configured.
        self.url = config.substream_url or config.url
        self.is_file = is_file_source(self.url)
        self.last_progress = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._generation = 0
        self._stamps = StampRate()
        self.motion = MotionDetector(config.motion) if config.motion.enabled else None

    def start(self) -> None:
        """Start the capture thread (again, after :meth:`restart`)."""
        self._generation += 1
        gen = self._generation
        self._thread = threading.Thread(target=self._run, args=(gen,), daemon=True,
                                        name=f"cam-{self.camera_id}-{gen}")
        self._thread.start()

    def restart(self, reason: str) -> None:
        """Abandon the current thread (it exits at its next return) and start a fresh one.

        For a thread that died or hangs beyond every timeout; the old thread's frames are
        ignored from now on because its generation no longer matches.
        """
        log.warning("camera %s: restarting capture thread: %s", self.camera_id, reason)
        self.health.restarts += 1
        self._set_down(reason)
        self.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to stop and wait for it (bounded by the read timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    @property
    def alive(self) -> bool:
        """Whether the capture thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _current(self, gen: int) -> bool:
        return gen == self._generation and not self._stop.is_set()

    def _set_down(self, why: str) -> None:
        if self.health.up:
            log.warning("camera %s down: %s", self.camera_id, why)
        self.health.up = False
        self.health.last_error = why
        metrics.CAMERA_UP.labels(self.camera_id).set(0)

    def _run(self, gen: int) -> None:
        try:
            self._connect_loop(gen)
        except Exception as exc:  # the supervisor restarts the thread and logs why
            log.exception("camera %s: capture thread crashed", self.camera_id)
            self.health.last_error = f"capture thread crashed: {exc!r}"

    def _recently_up(self) -> bool:
        last = self.health.last_frame_at
        return not self.is_file and last is not None and \
            time.monotonic() - last < FAST_WINDOW_S

    def _connect_loop(self, gen: int) -> None:
        backoff = Backoff(BACKOFF_FIRST_S, BACKOFF_CAP_S, floor=0.5)
        while self._current(gen):
            self.last_progress = t0 = time.monotonic()
            probe_s = min(0.5, self.config.open_timeout_s)
            if self._recently_up() and not tcp_probe(self.url, probe_s):
                # Nothing listens yet: probe again shortly rather than spend a full open.
                host, port = stream_address(self.url) or ("?", 0)
                self._set_down(f"{host}:{port} does not accept connections")
                self._stop.wait(FAST_RETRY_S)
                continue
            try:
                cap = open_capture(self.url, open_timeout_s=self.config.open_timeout_s,
                                   read_timeout_s=self.config.read_timeout_s,
                                   transport=self.config.transport)
            except FileNotFoundError as exc:
                self._set_down(str(exc))
                cap = None
            self.health.note_block("open", time.monotonic() - t0)
            if cap is not None and cap.isOpened():
                backoff.reset()
                reason = self._read_loop(cap, gen)
                cap.release()
                if reason == "finished":
                    self.health.finished = True
                    self._set_down("end of file")
                    return
                if reason == "stopped":
                    return
                if reason == "eof-loop":
                    continue
                self._set_down(reason)
            elif cap is not None:
                cap.release()
                self._set_down(f"cannot open {self._redacted_url()}")
            self.health.reconnects += 1
            metrics.CAMERA_RECONNECTS.labels(self.camera_id).inc()
            delay = backoff.next_delay()  # counts the attempt even when retrying fast
            if self._recently_up():
                delay = FAST_RETRY_S
            log.info("camera %s: reconnect %d in %.1fs (%s)", self.camera_id, backoff.failures,
                     delay, self.health.last_error)
            self._stop.wait(delay)

    def _redacted_url(self) -> str:
        url = self.url
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return url

    def _read_loop(self, cap: cv2.VideoCapture, gen: int) -> str:
        h = self.health
        h.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = cap.get(cv2.CAP_PROP_FPS)
        h.source_fps = float(fps) if fps and 0 < fps < 240 else 0.0
        log.info("camera %s open: %dx%d @ %.1f fps", self.camera_id, h.width, h.height,
                 h.source_fps)
        for what in self.config.drawn_outside(h.width, h.height):
            log.warning("camera %s: %s (drawn for another size?)", self.camera_id, what)
        cap_fps = self.config.fps_cap
        self._stamps.restart()
        self._retime()
        # Files are paced at the rate they are timed by; streams only skip down to the cap.
        target_fps = h.frame_rate if (self.is_file and self.pace) else (cap_fps or 0.0)
        interval = 1.0 / target_fps if target_fps else 0.0
        next_due = time.monotonic()
        window_start, window_frames = time.monotonic(), 0
        while self._current(gen):
            t0 = time.monotonic()
            ok, image = cap.read()
            now = time.monotonic()
            self.last_progress = now
            h.note_block("read", now - t0)
            if not ok or image is None:
                if self.is_file:
                    return "eof-loop" if self.config.loop else "finished"
                return "read failed or timed out"
            if not self.is_file and now - t0 >= 0.9 * self.config.read_timeout_s:
                # FFmpeg's interrupt can hand back a stale frame after the timeout instead of
                # failing; a live camera never needs that long, so treat it as a stall.
                return f"read stalled for {now - t0:.1f}s"
            window_frames += 1
            if not self.is_file and \
                    (self._stamps.add(cap.get(cv2.CAP_PROP_POS_MSEC)) or 0.0) != h.stamp_fps:
                self._retime()
            if now - window_start >= 2.0:
                h.decode_fps = window_frames / (now - window_start)
                metrics.CAMERA_DECODE_FPS.labels(self.camera_id).set(h.decode_fps)
                window_start, window_frames = now, 0
            if interval and self.is_file:
                # Files: sleep to the native rate. Streams: never sleep, only skip frames.
                if next_due > now:
                    self._stop.wait(next_due - now)
                next_due = max(next_due + interval, time.monotonic() - interval)
            elif interval:
                if now < next_due:
                    continue
                next_due = max(next_due + interval, now - interval)
            if not self._current(gen):
                break  # abandoned by restart() while it was blocked in read()
            self._publish(image)
            if self.max_frames is not None and self._seq >= self.max_frames:
                return "finished"
        return "stopped"

    def _retime(self) -> None:
        """Choose the rate the camera is timed by again (at open, and when its stream's
        timestamps tell a new rate); keep the one in use when the new one is within 10 %."""
        h = self.health
        h.stamp_fps = self._stamps.rate or 0.0
        metrics.CAMERA_STAMP_FPS.labels(self.camera_id).set(h.stamp_fps)
        rate, source = choose_rate(self.config.fps, h.stamp_fps, h.source_fps,
                                   self.config.fps_cap)
        if not rate and h.frame_rate:
            return  # a stream reopened without a rate yet: keep timing it as before
        if moved(h.frame_rate, rate) or source != h.rate_source:
            if h.frame_rate and moved(h.frame_rate, rate):
                log.info("camera %s: timed at %.2f fps from its %s (was %.2f)",
                         self.camera_id, rate, source, h.frame_rate)
            h.frame_rate, h.rate_source = rate, source
            metrics.CAMERA_FPS.labels(self.camera_id).set(rate)

    def _publish(self, image) -> None:  # type: ignore[no-untyped-def]
        h = self.health
        self._seq += 1
        offset = (0, 0)
        full = None
        moving = self.motion.moving(image) if self.motion is not None else True
        if self.config.roi is not None:
            full = image
            x1, y1, x2, y2 = self.config.roi
            image = image[y1:y2, x1:x2]  # a view: no copy
            offset = (x1, y1)
            if image.size == 0:
                self._set_down(f"roi {self.config.roi} lies outside the {h.width}x{h.height} "
                               f"frame")
                return
        frame = Frame(self.camera_id, image, self._seq, offset=offset, full=full,
                      moving=moving, frame_rate=h.frame_rate)
        if self.slot.put(frame, self._stop):
            metrics.CAMERA_DROPPED.labels(self.camera_id).inc()
        if not h.up:
            log.info("camera %s up", self.camera_id)
        h.up = True
        h.frames += 1
        h.last_frame_at = frame.captured_at
        metrics.CAMERA_UP.labels(self.camera_id).set(1)
        metrics.CAMERA_FRAMES.labels(self.camera_id).inc()
