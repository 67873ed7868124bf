"""The daemon's live cameras, owned in one place.

:class:`CameraSet` holds every enabled camera's capture thread, the supervisor that watches
them, their processing statistics, and the one way each camera and its per-camera step are
built. The composition root (:mod:`edge.app`) loads the configured cameras at start; a config
reload (:mod:`edge.reload`) hands the new list to :meth:`CameraSet.apply`, on the inference
loop's thread between two passes: removed cameras stop, new ones start, cameras whose stream
settings changed are reopened, and changed lines and zones are swapped into running pipelines.
Unchanged cameras keep running and keep their counts.

The per-camera pipelines themselves live in the inference loop, which makes each one with
:meth:`CameraSet.make_pipeline` on the camera's first frame (when its fps is known).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from edge.capture.camera import CameraCapture
from edge.capture.supervisor import CaptureSupervisor
from edge.config.models import CameraConfig, TrackingConfig
from edge.events import Event
from edge.pipeline.stats import CameraStats, ProcessSampler, ServiceTally
from edge.pipeline.step import CameraPipeline, SiteOccupancy
from edge.telemetry import metrics


@dataclass
class RunOptions:
    """How to run, beyond the settings (benchmarks, evaluation, tests)."""

    pace: bool = True
    """Play file sources at their native fps (False: as fast as they decode)."""
    lockstep: bool = False
    """Hand every frame of a file to inference (evaluation; never for live cameras)."""
    max_frames: int | None = None
    """Stop each camera after this many frames."""
    loop_files: bool | None = None
    """Override the cameras' ``loop`` setting."""


def forget_camera_series(cam_id: str) -> None:
    """Drop a removed camera's gauges, so dashboards do not show its last values for ever
    (its counters stay: their rate falls to zero)."""
    for gauge in (metrics.CAMERA_UP, metrics.CAMERA_LAST_FRAME_AGE, metrics.CAMERA_DECODE_FPS,
                  metrics.CAMERA_FPS, metrics.CAMERA_STAMP_FPS, metrics.CAMERA_FRAME_GAP,
                  metrics.OCCUPANCY):
        with contextlib.suppress(KeyError):
            gauge.remove(cam_id)


def _stream_of(cfg: CameraConfig) -> CameraConfig:
    """What the capture thread reads: everything but the lines, zones and display name."""
    return cfg.model_copy(update={"lines": [], "zones": [], "name": ""})


class CameraSet:
    """Every enabled camera: capture, supervisor, statistics, and how each is built.

    Args:
        options: run options that shape every capture (pacing, lockstep, frame limit, loop).
        tracking: tracker settings for the per-camera steps.
        site: the shared site occupancy.
        metrics_interval_s: how often a camera's statistics become a ``system_metrics`` row.
        heartbeat_s: longest gap between two ``occupancy_logs`` rows of a camera.
        sampler: process CPU and GPU sampler shared by the statistics.
        tally: per-camera counts from the track services.

    ``captures`` and ``stats`` are changed in place (never replaced), so the loop, the
    supervisor and the API may hold them.
    """

    def __init__(self, options: RunOptions, tracking: TrackingConfig, site: SiteOccupancy,
                 *, metrics_interval_s: float, heartbeat_s: float, sampler: ProcessSampler,
                 tally: ServiceTally) -> None:
        self.options = options
        self.tracking = tracking
        self.site = site
        self.metrics_interval_s = metrics_interval_s
        self.heartbeat_s = heartbeat_s
        self.sampler = sampler
        self.tally = tally
        self.captures: dict[str, CameraCapture] = {}
        self.stats: dict[str, CameraStats] = {}
        self.configs: dict[str, CameraConfig] = {}
        """Each camera as configured (before the run options' overrides)."""
        self.supervisor: CaptureSupervisor | None = None

    def load(self, cameras: Iterable[CameraConfig]) -> None:
        """Build (without starting) every enabled camera of ``cameras``."""
        for cfg in cameras:
            if cfg.enabled:
                self._build(cfg)

    def start(self) -> None:
        """Start every capture thread, then the supervisor that restarts dead ones."""
        for cam in self.captures.values():
            cam.start()
        self.supervisor = CaptureSupervisor(self.captures)
        self.supervisor.start()

    def stop(self, timeout: float = 0.5) -> None:
        """Stop the supervisor, then every capture thread (each join bounded by ``timeout``)."""
        if self.supervisor is not None:
            self.supervisor.stop()
        for cam in self.captures.values():
            cam.stop(timeout=timeout)

    def flush_stats(self) -> list[Event]:
        """Every camera's unfinished statistics window, as events (at shutdown)."""
        return [event for stats in self.stats.values() for event in stats.flush()]

    def make_pipeline(self, camera_id: str) -> CameraPipeline:
        """The per-camera step of a camera, from its current lines and frame rate."""
        cam = self.captures[camera_id]
        return CameraPipeline(cam.config, self.tracking, self.site,
                              fps=cam.health.frame_rate or None, heartbeat_s=self.heartbeat_s)

    def apply(self, cameras: Iterable[CameraConfig],
              pipelines: Mapping[str, CameraPipeline]) -> list[str]:
        """Make the running cameras those enabled in ``cameras``; return what changed.

        Call it where no pass of the inference loop runs (between two passes), then tell the
        loop (``InferenceLoop.sync_cameras``).

        Args:
            cameras: the new camera list (disabled ones count as absent).
            pipelines: the loop's per-camera steps; changed lines and zones are swapped into them.

        Returns:
            One note per change, removals first (by id), then in the order of ``cameras``.
        """
        new = {c.id: c for c in cameras if c.enabled}
        notes = []
        for cam_id in sorted(self.configs.keys() - new.keys()):
            self._remove(cam_id)
            notes.append(f"camera {cam_id} removed")
        for cam_id, cfg in new.items():
            before = self.configs.get(cam_id)
            stream_changed = before is not None and _stream_of(before) != _stream_of(cfg)
            if before is None or stream_changed:
                if stream_changed:
                    self.captures.pop(cam_id).stop(timeout=0.5)
                self._build(cfg).start()
                notes.append(f"camera {cam_id} {'reopened' if stream_changed else 'added'}")
            elif before != cfg:
                # A pipeline made later (the camera has sent no frame yet) reads its lines
                # from here; the capture thread only reads stream settings.
                self.captures[cam_id].config = self._effective(cfg)
                self.configs[cam_id] = cfg
            if before is None:
                continue
            pipeline = pipelines.get(cam_id)
            if pipeline is not None and (before.lines, before.zones) != (cfg.lines, cfg.zones):
                pipeline.apply_camera(cfg)  # unchanged rules keep their counts and visits
            for kind, was, now in (("lines", before.lines, cfg.lines),
                                   ("zones", before.zones, cfg.zones)):
                if was != now:
                    notes.append(f"camera {cam_id}: {kind} now "
                                 f"{', '.join(r.id for r in now) or 'none'}")
        return notes

    def _effective(self, cfg: CameraConfig) -> CameraConfig:
        """``cfg`` with the run options' overrides applied."""
        if self.options.loop_files is None:
            return cfg
        return cfg.model_copy(update={"loop": self.options.loop_files})

    def _build(self, cfg: CameraConfig) -> CameraCapture:
        """The one place a camera's capture is made (not started); its statistics carry on
        when it is reopened."""
        opts = self.options
        cam = CameraCapture(self._effective(cfg), pace=opts.pace, lockstep=opts.lockstep,
                            max_frames=opts.max_frames)
        self.captures[cfg.id] = cam
        self.configs[cfg.id] = cfg
        self.stats.setdefault(cfg.id, CameraStats(cfg.id, self.metrics_interval_s,
                                                  self.sampler, self.tally))
        return cam

    def _remove(self, cam_id: str) -> None:
        self.captures.pop(cam_id).stop(timeout=0.5)
        self.stats.pop(cam_id, None)
        del self.configs[cam_id]
        forget_camera_series(cam_id)
