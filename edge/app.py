"""Composition root: builds every room from the settings, starts and stops them in order.

:meth:`App.start` runs the steps of :meth:`App._steps` in order: store writer -> retention
job -> sync workers -> HTTP API (answers "pipeline not initialised" until the models are
up) -> operator console (its own listener; edge.ui) -> detectors (loaded and warmed up) ->
track services (identity, ANPR workers) -> single-frame processor (the API's path) ->
cameras and their supervisor (edge.pipeline.cameras) -> metrics exporter -> inference loop
-> control poller (CLI reset requests, reset schedule, live plate lists) -> systemd
readiness and watchdog. :meth:`App.stop` runs the same table's stop steps in reverse, so
the writer is flushed last.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from edge.api.app import ApiServices, create_app
from edge.api.server import ApiServer
from edge.capture.camera import CameraCapture
from edge.config.models import CameraConfig, Settings
from edge.detect.detector import Detector
from edge.events import Event, OccupancyReset
from edge.identity.enroll import EnrollResult, enroll_employee
from edge.identity.faces import FaceEngine, GateConfig
from edge.identity.gallery import Gallery
from edge.pipeline.blindspot import BlindSpotTracker
from edge.pipeline.cameras import CameraSet, RunOptions
from edge.pipeline.control import ControlPoller
from edge.pipeline.loop import InferenceLoop, ModelRoute
from edge.pipeline.reset import reset_on_loop
from edge.pipeline.services import TrackService
from edge.pipeline.single import SingleFrameProcessor
from edge.pipeline.stats import CameraStats, ProcessSampler, ServiceTally
from edge.pipeline.step import FrameResult, SiteOccupancy
from edge.store.queries import StoreReader
from edge.store.retention import RetentionJob, retention_days
from edge.store.writer import StoreWriter
from edge.telemetry import metrics
from edge.telemetry.notify import notify, under_systemd, watchdog_interval
from edge.telemetry.watchdog import Watchdog, progress_checks
from edge.ui.app import create_console
from edge.ui.build import console_context
from edge.ui.live import LiveView

log = logging.getLogger(__name__)

STALL_S = 30.0
"""A loop, writer or supervisor without progress this long withholds the watchdog ping."""
STATUS_EVERY_S = 10.0
"""How often STATUS= is refreshed when the unit has no WatchdogSec."""

__all__ = ["App", "RunOptions"]


class Step(NamedTuple):
    """One line of the composition root's table: a named start and, if any, its undoing."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None] | None = None


class App:
    """The daemon: cameras, one inference loop, the store writer and the exporter."""

    def __init__(self, settings: Settings, options: RunOptions | None = None,
                 on_result: Callable[[FrameResult], None] | None = None,
                 config_path: Path | None = None) -> None:
        self.settings = settings
        self.config_path = config_path
        """The YAML the console's editors write (None: the console cannot edit)."""
        self.options = options or RunOptions()
        self.on_result = on_result
        self.site = SiteOccupancy()
        self.sampler = ProcessSampler()
        self.tally = ServiceTally()
        self.writer = StoreWriter(
            settings.storage.path, settings.site.id, batch_max=settings.storage.batch_max,
            flush_interval_ms=settings.storage.flush_interval_ms,
            queue_max=settings.storage.queue_max)
        self.camera_set = CameraSet(
            self.options, settings.tracking, self.site,
            metrics_interval_s=settings.storage.metrics_interval_s,
            heartbeat_s=settings.storage.occupancy_heartbeat_s, sampler=self.sampler,
            tally=self.tally)
        self.routes: list[ModelRoute] = []
        self.services: list[TrackService] = []
        self.sync: Any = None
        self.watchdog: Watchdog | None = None
        self.retention: RetentionJob | None = None
        self.loop: InferenceLoop | None = None
        self.api: ApiServer | None = None
        self.api_services = ApiServices(
            site=self.site, reader=StoreReader(settings.storage.path),
            max_body_bytes=settings.api.max_body_bytes, max_pixels=settings.api.max_pixels,
            cameras=self.cameras, live_counts=self._live_counts,
            writer_alive=lambda: self.writer.alive,
            inference_alive=lambda: self.loop is not None and self.loop.alive,
            api_token=os.environ.get(settings.api.token_env) or None,
            enroll=self._enroll if importlib.util.find_spec("face_recognition") else None,
            answer_wait_s=settings.identity.api_wait_s)
        self.gallery = Gallery(settings.storage.path, run_write=self.writer.call)
        self._face_engine: FaceEngine | None = None
        self.metrics_port: int | None = None
        self.console: ApiServer | None = None
        self.live = LiveView(self._camera_config, fps=settings.ui.live_fps,
                             width=settings.ui.live_width, quality=settings.ui.jpeg_quality)
        self._fps_mark = (time.monotonic(), 0, 0.0)
        self.control: ControlPoller | None = None
        self.started_at = 0.0
        self._stop_began = 0.0

    @property
    def cameras(self) -> dict[str, CameraCapture]:
        """Capture objects by camera id (owned by :attr:`camera_set`; a reload changes the
        dict in place)."""
        return self.camera_set.captures

    @property
    def stats(self) -> dict[str, CameraStats]:
        """Per-camera processing statistics by camera id (owned by :attr:`camera_set`)."""
        return self.camera_set.stats

    def _steps(self) -> list[Step]:
        """The daemon's parts in start order, each with how it stops (in reverse)."""
        return [
            Step("store writer", self.writer.start, self._stop_writer),
            Step("retention job", self._start_retention,
                 lambda: self.retention.stop() if self.retention else None),
            Step("sync", self._start_sync,
                 # unsent rows wait in the outbox for the next start
                 lambda: self.sync.stop(timeout=1.0) if self.sync else None),
            Step("HTTP API", self._start_api, lambda: self.api.stop() if self.api else None),
            Step("console", self._start_console,
                 lambda: self.console.stop() if self.console else None),
            Step("detectors", self._start_detectors),
            Step("track services", self._start_services, self._stop_services),
            Step("single-frame processor", self._start_single_frame),
            Step("cameras", self._start_cameras, self._stop_cameras),
            Step("metrics exporter", self._start_metrics),
            Step("inference loop", self._start_loop,
                 lambda: self.loop.stop(timeout=3.0) if self.loop else None),
            Step("control poller", self._start_control,
                 lambda: self.control.stop() if self.control else None),
            Step("systemd watchdog", self._start_watchdog,
                 lambda: self.watchdog.stop() if self.watchdog else None),
        ]

    def start(self) -> None:
        """Bring everything up; raises if the store or a model cannot be loaded."""
        self.started_at = time.monotonic()
        for step in self._steps():
            t0 = time.monotonic()
            step.start()
            log.debug("started %s in %.2fs", step.name, time.monotonic() - t0)

    def _start_retention(self) -> None:
        s = self.settings
        self.retention = RetentionJob(self.writer.call, retention_days(
            s.storage.retention_days, s.sync.enabled, s.sync.max_backlog_age_days))
        self.retention.start()

    def _start_sync(self) -> None:
        s = self.settings
        if s.sync.enabled:
            from edge.sync.worker import SyncService

            self.sync = SyncService(s.sync, s.site.id, s.storage.path, self.writer.call)
            self.sync.start()

    def _start_api(self) -> None:
        s = self.settings
        if s.api.enabled:
            # Up before the models so /healthz and "pipeline not initialised" answer at once.
            self.api = ApiServer(create_app(self.api_services), s.api.host, s.api.port)
            self.api.start()

    def _start_console(self) -> None:
        s = self.settings
        if s.ui.enabled:
            self.console = ApiServer(create_console(console_context(self), s.ui), s.ui.host,
                                     s.ui.port, name="console")
            self.console.start()

    def _start_detectors(self) -> None:
        """Load and warm up every model, each with the cameras it serves."""
        s = self.settings
        models_dir = Path(s.models_dir)
        for model_cfg in s.models:
            detector = Detector(model_cfg, models_dir, s.inference.device, s.inference.threads)
            warm = detector.warmup()
            log.info("model %s warmed up in %.2fs", model_cfg.name, warm)
            cams = frozenset(model_cfg.cameras) if model_cfg.cameras is not None else None
            self.routes.append(ModelRoute(detector, cams))

    def _start_services(self) -> None:
        self.services = self._build_services()
        for service in self.services:
            service.start()

    def _stop_services(self) -> None:
        for service in self.services:
            service.stop()

    def _start_single_frame(self) -> None:
        """The API's path into the same detectors and per-camera step (virtual cameras)."""
        s = self.settings
        self.api_services.processor = SingleFrameProcessor(
            self.routes, {v.id: CameraConfig(id=v.id, url="api", lines=v.lines)
                          for v in s.api.virtual_cameras},
            s.tracking, self.site, self._emit, self.writer.flush,
            max_cameras=s.api.max_virtual_cameras, heartbeat_s=s.storage.occupancy_heartbeat_s,
            services=self.services)

    def _start_cameras(self) -> None:
        self.camera_set.load(self.settings.cameras)
        if not self.cameras and not self.settings.api.enabled:
            raise RuntimeError("no enabled camera in the configuration")
        self.camera_set.start()

    def _stop_cameras(self) -> None:
        """Stop capture, then store each camera's last statistics window."""
        self.camera_set.stop(timeout=0.5)
        self.writer.submit_many(self.camera_set.flush_stats())

    def _start_metrics(self) -> None:
        s = self.settings
        if s.metrics.enabled:
            self.metrics_port = metrics.serve(s.metrics.host, s.metrics.port)
            log.info("metrics on http://%s:%d/metrics", s.metrics.host, self.metrics_port)

    def _start_loop(self) -> None:
        s = self.settings
        self.loop = InferenceLoop(
            self.cameras, self.routes, self.camera_set.make_pipeline, self._emit,
            batch_size=s.inference.batch_size, idle_sleep_s=s.inference.idle_sleep_ms / 1000,
            stats=self.stats, on_result=self.on_result, services=self.services,
            on_frame=self.live.put if s.ui.enabled else None,
            blindspots=BlindSpotTracker())
        self.loop.start()

    def _start_watchdog(self) -> None:
        """Tell systemd we are up; keep STATUS= current and ping its watchdog only while the
        loop, the writer and the capture supervisor make progress (edge.telemetry.watchdog)."""
        notify("READY=1")
        notify(f"STATUS={self.summary()}")
        if not under_systemd():
            return
        interval = watchdog_interval()
        checks = progress_checks(STALL_S, {
            "inference loop": self.loop, "store writer": self.writer,
            "camera supervisor": self.camera_set.supervisor if self.cameras else None})
        self.watchdog = Watchdog(checks, self.summary, interval or STATUS_EVERY_S,
                                 ping=interval is not None)
        self.watchdog.start()

    def summary(self) -> str:
        """One line for systemd's STATUS: cameras up, frames, site occupancy."""
        up = sum(c.health.up for c in list(self.cameras.values()))  # reload may change it
        frames = self.loop.frames_processed if self.loop else 0
        return (f"{up}/{len(self.cameras)} cameras up, {frames} frames, "
                f"site occupancy {self.site.value}")

    def _build_services(self) -> list[TrackService]:
        """Identity and ANPR, when enabled (imported only then: they pull heavy libraries)."""
        s = self.settings
        services: list[TrackService] = []
        if s.identity.enabled:
            from edge.identity.build import build_identity_service

            services.append(build_identity_service(s, self._emit, self.gallery, self.tally))
        if s.anpr.enabled:
            from edge.anpr.service import build_anpr_service

            services.append(build_anpr_service(s, self._emit))
        return services

    def _enroll(self, employee_id: str, name: str, image: np.ndarray) -> EnrollResult:
        if self._face_engine is None:
            self._face_engine = FaceEngine()
        cloud = next((svc.backend for svc in self.services  # type: ignore[attr-defined]
                      if svc.name == "identity" and svc.backend.cloud), None)  # type: ignore[attr-defined]
        return enroll_employee(self._face_engine, self.gallery, employee_id, name,
                               [("frame", image)], cloud=cloud,
                               gate=GateConfig.enrolment(self.settings.identity))

    def _start_control(self) -> None:
        """Answer `edge occupancy reset`, run the reset schedule and keep plate lists live."""
        refreshers = []
        anpr = next((svc for svc in self.services if svc.name == "anpr"), None)  # type: ignore[attr-defined]
        if anpr is not None:
            from edge.anpr.refresh import PlateListRefresher

            refreshers.append(PlateListRefresher(anpr, self.api_services.reader))  # type: ignore[arg-type]
        self.control = ControlPoller(self.reset_occupancy, self.api_services.reader,
                                     self.writer.call, lambda: self.settings, refreshers)
        self.control.start()

    def reset_occupancy(self, camera_id: str | None, source: str, note: str = "",
                        timeout: float = 5.0) -> list[OccupancyReset]:
        """Reset one camera's occupancy (``None``: every camera and the site) to 0.

        Runs on the inference loop between two passes; the events (one per camera) are
        stored and synced like any other.

        Args:
            camera_id: an enabled camera's id, or ``None`` for all.
            source: ``console``, ``cli`` or ``schedule``.
            note: why, who.
            timeout: longest wait for the loop, in seconds.

        Raises:
            KeyError: no such camera.
            RuntimeError: the inference loop is not running (or did not answer in time).
        """
        if self.loop is None:
            raise RuntimeError("the inference loop is not running: nothing to reset")
        return reset_on_loop(self.loop, self.site, self._emit, camera_id, source, note,
                             idle=self.cameras, timeout=timeout)

    def _camera_config(self, camera_id: str) -> CameraConfig | None:
        cam = self.cameras.get(camera_id)
        return cam.config if cam is not None else None

    def loop_fps(self) -> float:
        """Frames per second through inference since the previous call (at least 2 s ago)."""
        t0, n0, fps = self._fps_mark
        now, n = time.monotonic(), self.loop.frames_processed if self.loop else 0
        if now - t0 >= 2.0:
            fps = (n - n0) / (now - t0)
            self._fps_mark = (now, n, fps)
        return fps

    def _live_counts(self) -> dict[str, dict[str, int]]:
        pipelines = self.loop.pipelines if self.loop else {}
        return {cid: p.counts() for cid, p in list(pipelines.items())}

    def _emit(self, events: list[Event]) -> None:
        self.writer.submit_many(events)
        metrics.STORE_BACKLOG.set(self.writer.backlog())

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Block until every file source has ended (no-loop runs); True if they did."""
        assert self.loop is not None
        return self.loop.finished.wait(timeout)

    def stop(self) -> None:
        """Undo :meth:`start` in reverse: the loop before the cameras, the writer last.

        Safe after a start that failed part way: a part never started is skipped.
        """
        self._stop_began = time.monotonic()
        notify("STOPPING=1")
        for step in reversed(self._steps()):
            if step.stop is not None:
                step.stop()

    def _stop_writer(self) -> None:
        """Flush and close the store within what is left of the stop's 4.5 s."""
        t0 = self._stop_began
        self.writer.stop(timeout=max(0.5, 4.5 - (time.monotonic() - t0)))
        log.info("stopped in %.2fs; %d events committed", time.monotonic() - t0,
                 self.writer.committed)

    def status_lines(self) -> list[str]:
        """One line per camera: fps, people, vehicles, occupancy, entries, exits."""
        lines = []
        pipelines = self.loop.pipelines if self.loop else {}
        for cam_id, cam in list(self.cameras.items()):  # a reload may change the dict
            p = pipelines.get(cam_id)
            st = self.stats.get(cam_id)
            if st is None:
                continue
            elapsed = max(time.monotonic() - self.started_at, 1e-6)
            state = "up" if cam.health.up else ("done" if cam.health.finished else "DOWN")
            if p is None:
                lines.append(f"{cam_id:<12} {state:<4} waiting for first frame")
                continue
            last = p.last_result
            lines.append(
                f"{cam_id:<12} {state:<4} {st.total_frames / elapsed:5.1f} fps  "
                f"people {last.people_count if last else 0:2d}  "
                f"vehicles {last.vehicle_count if last else 0:2d}  "
                f"occupancy {p.occupancy.value:3d}  in {p.occupancy.entries:4d}  "
                f"out {p.occupancy.exits:4d}")
        return lines
