"""Request and response models of the HTTP shim; the legacy ``/api/process`` shape is exact.

Field names, nesting and types follow the seed contract in DESIGN.md. Optional ``note`` and
``warning`` are left out of the JSON when they do not apply (``response_model_exclude_none``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FaceSource = Literal["aws", "cache", "no_match", "error", "local"]


class ProcessRequest(BaseModel):
    """``POST /api/process`` body."""

    model_config = ConfigDict(extra="ignore")

    frame: str = Field(min_length=1, description="Base64 JPEG or PNG (a data: URL prefix is ok)")
    camera_id: str = Field("api", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                           description="Virtual camera: tracks and lines persist per id")


class FaceRecognized(BaseModel):
    """One person track's identity answer."""

    track_id: int
    name: str
    confidence: float
    source: FaceSource
    details: dict[str, Any] = Field(default_factory=dict)


class VehicleDetails(BaseModel):
    """When and how sure the plate read was."""

    timestamp: str
    ocr_confidence: float


class VehicleDetected(BaseModel):
    """One vehicle track and its plate."""

    track_id: int
    type: str
    plate: str | None
    confidence: float
    status: Literal["allowed", "denied", "unknown"]
    details: VehicleDetails


class Performance(BaseModel):
    """Milliseconds per stage of this request."""

    decoding_time_ms: float
    yolo_inference_ms: float
    face_processing_ms: float
    vehicle_processing_ms: float
    database_write_ms: float


class ProcessResponse(BaseModel):
    """``POST /api/process`` success body (the seed's fields, in the seed's order)."""

    success: Literal[True] = True
    frame_id: int
    timestamp: str
    occupancy: int
    entries: int
    exits: int
    entries_this_frame: int
    exits_this_frame: int
    faces_recognized: list[FaceRecognized]
    vehicles_detected: list[VehicleDetected]
    people_count: int
    vehicle_count: int
    processing_time_ms: float
    performance: Performance
    note: str | None = None
    warning: str | None = None


class ErrorResponse(BaseModel):
    """Every error body: ``success`` false, a message, and optional details."""

    success: Literal[False] = False
    error: str
    details: dict[str, Any] | None = None


class CameraStatus(BaseModel):
    """One camera in ``/api/cameras`` and ``/readyz``."""

    id: str
    up: bool
    frames: int
    reconnects: int
    decode_fps: float
    width: int
    height: int
    seconds_since_frame: float | None
    last_error: str


class ReadyResponse(BaseModel):
    """``/readyz``: what must be up for the daemon to do its job."""

    ready: bool
    models_loaded: bool
    writer_alive: bool
    inference_alive: bool
    cameras: list[CameraStatus]


class OccupancyStatus(BaseModel):
    """``/api/occupancy``."""

    site_occupancy: int
    cameras: dict[str, dict[str, int]]


class Page(BaseModel):
    """A page of rows and the cursor for the next page."""

    items: list[dict[str, Any]]
    next_after_id: int | None
