"""Typed events passed between rooms: small frozen dataclasses, one per fact.

Every event carries ``event_id`` (UUID4 string), ``camera_id`` and ``ts`` (aware UTC datetime).
The store writer persists them; later the sync worker ships them upstream by ``event_id``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal


def utcnow() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def new_event_id() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields common to every event."""

    camera_id: str
    ts: datetime = field(default_factory=utcnow)
    event_id: str = field(default_factory=new_event_id)

    @property
    def type(self) -> str:
        """Event type name used in storage and upstream topics (``crossing``, ...)."""
        return _TYPE_NAMES[type(self)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``ts`` as ISO-8601)."""
        d = asdict(self)
        d["ts"] = self.ts.isoformat()
        d["type"] = self.type
        return d


@dataclass(frozen=True, kw_only=True)
class Crossing(Event):
    """A tracked object crossed a counting line."""

    line_id: str
    tracker_id: int
    class_name: str
    direction: Literal["entry", "exit"]


@dataclass(frozen=True, kw_only=True)
class OccupancyChanged(Event):
    """Occupancy snapshot of a camera, written on change and as a heartbeat."""

    current_occupancy: int
    entries_count: int
    exits_count: int
    people_detected: int
    vehicles_detected: int
    site_occupancy: int
    heartbeat: bool = False


@dataclass(frozen=True, kw_only=True)
class FrameStats(Event):
    """Per-camera processing statistics over one metrics interval."""

    frame_id: int
    processing_time_ms: float
    fps: float
    frames: int
    cpu_usage: float
    gpu_memory_used: float
    faces_processed: int = 0
    vehicles_processed: int = 0
    aws_calls: int = 0
    aws_cost_estimated: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0


_TYPE_NAMES: dict[type, str] = {
    Crossing: "crossing",
    OccupancyChanged: "occupancy",
    FrameStats: "frame_stats",
}
