"""The shared inference loop: one thread batching the newest frame of every camera.

Each pass takes the newest unseen frame of up to ``batch_size`` ready cameras (rotating the
starting camera so none starves), runs one predict per model over the frames it serves,
merges the detections per camera, and hands each camera's frame to its pipeline step. Events
go to the store writer; the loop never waits on I/O. A camera with a motion gate sends only
frames that move (or keep a moving track, or are due for a keepalive) to the detector; the
others reach its step with no detections.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv

from edge.capture.camera import CameraCapture
from edge.capture.slot import Frame
from edge.detect.detector import Detector
from edge.events import Event
from edge.pipeline.blindspot import BlindSpotTracker, count_vehicles
from edge.pipeline.services import TrackService, observe_all
from edge.pipeline.stats import CameraStats
from edge.pipeline.step import CameraPipeline, FrameResult, merge_detections
from edge.telemetry import metrics
from edge.threads import BackgroundThread

log = logging.getLogger(__name__)


@dataclass
class ModelRoute:
    """A detector and the cameras it runs on (``None`` = all)."""

    detector: Detector
    cameras: frozenset[str] | None = None

    def serves(self, camera_id: str) -> bool:
        """True when this model runs on ``camera_id``."""
        return self.cameras is None or camera_id in self.cameras


class InferenceLoop(BackgroundThread):
    """Runs detection, tracking and counting for every camera on one thread.

    Args:
        cameras: capture objects by camera id.
        routes: models and the cameras each one serves.
        make_pipeline: builds a camera's step on its first frame (when its fps is known).
        emit: where events go (the store writer's ``submit_many``).
        batch_size: most frames per predict call.
        idle_sleep_s: pause when no camera has a new frame.
        stats: per-camera statistics that become ``system_metrics`` rows.
        on_result: optional observer of every frame result (status line, evaluation).
        services: track services (identity, ANPR) shown every frame after its step.
        on_frame: optional observer of each frame with its tracked detections and ways to
            read the camera's per-line counts and per-zone inside counts (the console's live
            view, which calls them only while someone watches); it must not block.
        blindspots: optional watch on the vehicle models (those whose detector has
            ``vehicle_classes``): how long each has seen no vehicle on a camera whose
            picture keeps changing (``edge doctor`` reads it from the metrics).
    """

    def __init__(self, cameras: dict[str, CameraCapture], routes: Sequence[ModelRoute],
                 make_pipeline: Callable[[str], CameraPipeline],
                 emit: Callable[[list[Event]], None],
                 *, batch_size: int = 4, idle_sleep_s: float = 0.002,
                 stats: dict[str, CameraStats] | None = None,
                 on_result: Callable[[FrameResult], None] | None = None,
                 services: Sequence[TrackService] = (),
                 on_frame: Callable[[Frame, sv.Detections,
                                     Callable[[], dict[str, tuple[int, int]]],
                                     Callable[[], dict[str, int]]], None]
                 | None = None,
                 blindspots: BlindSpotTracker | None = None) -> None:
        self.cameras = cameras
        self.blindspots = blindspots
        self.on_frame = on_frame
        self.services = list(services)
        self.routes = list(routes)
        self.make_pipeline = make_pipeline
        self.pipelines: dict[str, CameraPipeline] = {}
        self.emit = emit
        self.batch_size = batch_size
        self.idle_sleep_s = idle_sleep_s
        self.stats = stats or {}
        self.on_result = on_result
        self.last_progress = time.monotonic()
        self.frames_processed = 0
        self._order = list(cameras)
        self._next = 0
        super().__init__("inference", stop_timeout_s=5.0)
        self._pending: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._last_detection: dict[str, float] = {}
        self._last_motion: dict[str, float] = {}
        self._segment_cache: dict[str, tuple[object, np.ndarray]] = {}
        self.finished = threading.Event()

    def call_between_passes(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread before its next pass (config reloads change cameras
        and pipelines there, so no pass ever sees half a change)."""
        self._pending.put(fn)

    def sync_cameras(self) -> None:
        """Take the camera dict's current members (after cameras were added or removed)."""
        self._order = list(self.cameras)
        self._next = 0
        for cam_id in list(self.pipelines):
            if cam_id not in self.cameras:
                del self.pipelines[cam_id]
                if self.blindspots is not None:
                    self.blindspots.forget(cam_id)

    def _run_pending(self) -> None:
        while True:
            try:
                fn = self._pending.get_nowait()
            except queue.Empty:
                return
            try:
                fn()
            except Exception:
                log.exception("change between passes failed")

    def take_batch(self) -> list[Frame]:
        """Newest unseen frame of up to ``batch_size`` cameras, fairly rotated."""
        frames: list[Frame] = []
        n = len(self._order)
        for i in range(n):
            cam = self.cameras[self._order[(self._next + i) % n]]
            frame = cam.slot.take()
            if frame is not None:
                frames.append(frame)
                if len(frames) >= self.batch_size:
                    self._next = (self._next + i + 1) % n
                    return frames
        self._next = (self._next + 1) % max(n, 1)
        return frames

    def _all_finished(self) -> bool:
        if not self.cameras:
            return False  # API-only daemon: runs until stopped
        return all(c.health.finished and not c.slot.has_new() for c in self.cameras.values())

    def _run(self) -> None:
        log.info("inference loop: %d cameras, batch %d", len(self.cameras), self.batch_size)
        while not self._stop.is_set():
            self.last_progress = time.monotonic()
            self._run_pending()
            frames = self.take_batch()
            if not frames:
                if self._all_finished():
                    self.finished.set()
                    return
                time.sleep(self.idle_sleep_s)
                continue
            try:
                self.process_batch(frames)
            except Exception:
                # One bad pass must not kill counting for the whole site.
                metrics.LOOP_ERRORS.inc()
                log.exception("inference pass failed; continuing")

    def _needs_detection(self, frame: Frame, now: float) -> bool:
        """Whether this frame goes to the detector: always without a motion gate; with one,
        while the picture moves, while the camera has live tracks and moved in the last
        ``track_hold_s``, and every ``keepalive_s``.
        A gated frame still reaches the camera's step with no detections, so its tracks and
        line state age as if it saw nothing."""
        cam_id = frame.camera_id
        cam = self.cameras.get(cam_id)
        if cam is None or not cam.config.motion.enabled:
            return True
        gate = cam.config.motion
        if frame.moving:
            self._last_motion[cam_id] = now
        pipeline = self.pipelines.get(cam_id)
        # Tracks keep the detector on only while the picture moved lately: a still picture
        # holds nothing new, and a static false positive (a poster, a coat on a hook) must
        # not keep an empty corridor awake for ever.
        live = pipeline is not None and pipeline.last_result is not None and \
            len(pipeline.last_result.detections) > 0 and \
            now - self._last_motion.get(cam_id, float("-inf")) < gate.track_hold_s
        due = now - self._last_detection.get(cam_id, float("-inf")) >= gate.keepalive_s
        if frame.moving or live or due:
            self._last_detection[cam_id] = now
            return True
        metrics.FRAMES_GATED.labels(cam_id).inc()
        return False

    def _segments(self, frame: Frame) -> np.ndarray | None:
        """The frame's camera's lines and zone edges in the frame image's coordinates (a
        ROI crop starts at ``frame.offset``); None for an unknown camera (refine all)."""
        cam = self.cameras.get(frame.camera_id)
        if cam is None:
            return None
        cached = self._segment_cache.get(frame.camera_id)
        if cached is None or cached[0] is not cam.config:  # a reload replaced the config
            seg = np.array(cam.config.decision_segments(), float).reshape(-1, 4)
            cached = self._segment_cache[frame.camera_id] = (cam.config, seg)
        ox, oy = frame.offset
        return cached[1] - np.array([ox, oy, ox, oy], float) if ox or oy else cached[1]

    def process_batch(self, frames: list[Frame]) -> list[FrameResult]:
        """Detect, track and count one batch; emit its events; return the results."""
        taken_at = time.monotonic()
        for f in frames:
            metrics.FRAME_AGE.labels(f.camera_id).observe(taken_at - f.captured_at)
        per_frame: list[list[sv.Detections]] = [[] for _ in frames]
        detect = [self._needs_detection(f, taken_at) for f in frames]
        for route in self.routes:
            idx = [i for i, f in enumerate(frames) if detect[i] and route.serves(f.camera_id)]
            if not idx:
                continue
            images = [frames[i].image for i in idx]
            if route.detector.refines_near:
                preds = route.detector.predict(images, [self._segments(frames[i]) for i in idx])
            else:
                preds = route.detector.predict(images)
            watch = None if self.blindspots is None or not route.detector.vehicle_classes \
                else self.blindspots
            for i, det in zip(idx, preds, strict=True):
                ox, oy = frames[i].offset
                if (ox or oy) and len(det):
                    det.xyxy += np.array([ox, oy, ox, oy], dtype=det.xyxy.dtype)
                per_frame[i].append(det)
                if watch is not None:
                    watch.observe(frames[i].camera_id, route.detector.name, frames[i].image,
                                  count_vehicles(det.class_id), taken_at)
        results = []
        events: list[Event] = []
        for frame, dets in zip(frames, per_frame, strict=True):
            merged = merge_detections(dets)
            pipeline = self.pipelines.get(frame.camera_id)
            if pipeline is None:
                pipeline = self.pipelines[frame.camera_id] = self.make_pipeline(frame.camera_id)
            pipeline.set_rate(frame.frame_rate or None)  # the camera may be timed anew
            result = pipeline.process(frame.seq, frame.wall_ts, merged, frame.bounds,
                                      image=frame.picture)
            observe_all(self.services, frame, result)
            stats = self.stats.get(frame.camera_id)
            if stats is not None:
                processing_ms = (time.monotonic() - taken_at) * 1000.0
                events.extend(stats.record(frame.seq, processing_ms))
            events.extend(result.events)
            metrics.FRAMES_PROCESSED.labels(frame.camera_id).inc()
            results.append(result)
            if self.on_result is not None:
                self.on_result(result)
            if self.on_frame is not None:
                self.on_frame(frame, result.detections, pipeline.line_counts,
                              pipeline.zone_counts)
        metrics.INFERENCE_BATCH.observe(len(frames))
        self.frames_processed += len(frames)
        if events:
            self.emit(events)
        return results
