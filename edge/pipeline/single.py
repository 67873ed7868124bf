"""One frame at a time, for the HTTP shim: the same detectors and per-camera step as live
cameras, on virtual cameras whose tracks, lines and occupancy persist across requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from edge.capture.slot import Frame
from edge.config.models import CameraConfig, TrackingConfig
from edge.events import Event
from edge.pipeline.loop import ModelRoute
from edge.pipeline.services import Ticket, TrackService, observe_all
from edge.pipeline.step import CameraPipeline, FrameResult, SiteOccupancy, merge_detections


class TooManyVirtualCameras(RuntimeError):
    """A request named a new virtual camera beyond the configured maximum."""


@dataclass
class SingleFrameTimings:
    """Milliseconds spent per stage on one frame."""

    inference_ms: float
    step_ms: float
    database_ms: float


class SingleFrameProcessor:
    """Runs detection, tracking and counting for frames posted to the API.

    Args:
        routes: the daemon's models (shared with the inference loop).
        cameras: virtual camera settings by id (lines); unknown ids get a camera with no lines.
        tracking: tracker settings.
        site: the site occupancy shared with live cameras.
        emit: where events go (the store writer).
        flush: waits until emitted events are committed; returns False on timeout.
        max_cameras: bound on virtual cameras (each holds a tracker).
        services: track services (identity, ANPR) shown every frame, as in the live loop.
    """

    def __init__(self, routes: Sequence[ModelRoute], cameras: dict[str, CameraConfig],
                 tracking: TrackingConfig, site: SiteOccupancy,
                 emit: Callable[[list[Event]], None], flush: Callable[[], bool],
                 *, max_cameras: int = 16, heartbeat_s: float = 60.0,
                 services: Sequence[TrackService] = ()) -> None:
        self.routes = list(routes)
        self.services = list(services)
        self.cameras = cameras
        self.tracking = tracking
        self.site = site
        self.emit = emit
        self.flush = flush
        self.max_cameras = max_cameras
        self.heartbeat_s = heartbeat_s
        self.pipelines: dict[str, CameraPipeline] = {}
        self._frame_ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def _pipeline(self, camera_id: str) -> CameraPipeline:
        pipe = self.pipelines.get(camera_id)
        if pipe is None:
            if len(self.pipelines) >= self.max_cameras:
                raise TooManyVirtualCameras(
                    f"at most {self.max_cameras} virtual cameras; {camera_id!r} would be one more")
            cfg = self.cameras.get(camera_id) or CameraConfig(id=camera_id, url="api")
            pipe = CameraPipeline(cfg, self.tracking, self.site, fps=None,
                                  heartbeat_s=self.heartbeat_s)
            self.pipelines[camera_id] = pipe
        return pipe

    def process(self, camera_id: str, image: np.ndarray) -> tuple[
            FrameResult, SingleFrameTimings, dict[str, Ticket]]:
        """Process one frame of ``camera_id``; its events are committed before returning.

        Returns:
            The step's result, stage timings, and the services' tickets by service name
            (wait on them for this frame's identity and plate answers).
        """
        # One request at a time per process: tracker state is sequential per camera, and
        # the models are shared with the live loop anyway.
        with self._lock:
            pipe = self._pipeline(camera_id)
            t0 = time.perf_counter()
            dets = [route.detector.predict([image])[0] for route in self.routes
                    if route.serves(camera_id)]
            merged = merge_detections(dets)
            t1 = time.perf_counter()
            frame_id = self._frame_ids.get(camera_id, 0) + 1
            self._frame_ids[camera_id] = frame_id
            frame = Frame(camera_id, image, frame_id)
            result = pipe.process(frame_id, datetime.now(timezone.utc), merged, frame.bounds,
                                  image=image)
            tickets = observe_all(self.services, frame, result)
            t2 = time.perf_counter()
            if result.events:
                self.emit(result.events)
                self.flush()
            t3 = time.perf_counter()
        return result, SingleFrameTimings((t1 - t0) * 1000, (t2 - t1) * 1000,
                                          (t3 - t2) * 1000), tickets
