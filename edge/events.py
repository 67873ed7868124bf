"""Typed events passed between rooms: small frozen dataclasses, one per fact.

Every event carries ``event_id`` (UUID4 string), ``camera_id`` and ``ts`` (aware UTC datetime).
The store writer persists them; later the sync worker ships them upstream by ``event_id``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from edge.tables import Table


def utcnow() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def new_event_id() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


EVENT_TYPES: dict[str, type[Event]] = {}
"""Every event type by its ``kind``, filled as the classes are defined."""


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields common to every event.

    A concrete event type declares, once, on its class: ``kind`` (its name in the outbox and
    upstream topics), ``table`` (its SQLite table with time column and retention default:
    :class:`edge.tables.Table`) and, by overriding ``priority``, its sync priority. Its row
    writer is registered in ``edge.store.tables``.
    """

    kind: ClassVar[str] = ""
    table: ClassVar[Table | None] = None

    camera_id: str
    ts: datetime = field(default_factory=utcnow)
    event_id: str = field(default_factory=new_event_id)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            if cls.kind in EVENT_TYPES:
                raise TypeError(f"event kind {cls.kind!r} declared twice")
            EVENT_TYPES[cls.kind] = cls

    @property
    def type(self) -> str:
        """Event type name used in storage and upstream topics (``crossing``, ...)."""
        return self.kind

    @property
    def priority(self) -> int:
        """Outbox priority: above 0 is sent first and never dropped by the backlog cap."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO-8601, plus ``type``)."""
        d = {k: v.isoformat() if isinstance(v, datetime) else v
             for k, v in asdict(self).items()}
        d["type"] = self.type
        return d


@dataclass(frozen=True, kw_only=True)
class Crossing(Event):
    """A tracked object crossed a counting line."""

    kind: ClassVar[str] = "crossing"
    table: ClassVar[Table | None] = Table("line_crossings", "timestamp", 365)

    line_id: str
    tracker_id: int
    class_name: str
    direction: Literal["entry", "exit"]


@dataclass(frozen=True, kw_only=True)
class OccupancyChanged(Event):
    """Occupancy snapshot of a camera, written on change and as a heartbeat."""

    kind: ClassVar[str] = "occupancy"
    table: ClassVar[Table | None] = Table("occupancy_logs", "timestamp", 90)

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

    kind: ClassVar[str] = "frame_stats"
    table: ClassVar[Table | None] = Table("system_metrics", "timestamp", 30)

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


@dataclass(frozen=True, kw_only=True)
class IdentityResolved(Event):
    """A backend answered for a person track (``source``: local, aws, no_match, error)."""

    kind: ClassVar[str] = "identity"
    table: ClassVar[Table | None] = Table("identity_events", "timestamp", 90)

    tracker_id: int
    employee_id: str | None
    name: str
    confidence: float
    source: str
    distance: float | None = None


AttendanceStatus = Literal["PRESENT", "LATE", "EARLY_EXIT"]


@dataclass(frozen=True, kw_only=True)
class AttendanceMarked(Event):
    """The state of one employee's attendance record for one work day, after a change.

    ``record_id`` is stable for the record: the store and upstream upsert by it.
    """

    kind: ClassVar[str] = "attendance"
    table: ClassVar[Table | None] = Table("attendance_records",
                                       "COALESCE(check_out_time, check_in_time, work_date)", 730)

    record_id: str
    employee_id: str
    work_date: str
    """ISO date of the shift's start, in the site's time zone."""
    action: Literal["check_in", "check_out"]
    check_in_time: datetime | None
    check_out_time: datetime | None
    status: AttendanceStatus
    grace_period_used: bool
    aws_face_confidence: float | None
    tracker_id: int | None
    voided: bool = False
    """True when every mark of the record was moved to another employee by a correction
    (:class:`AttendanceCorrected`): the row stays, reports leave it out."""

    @property
    def priority(self) -> int:
        """Attendance is paid by: never dropped, sent first."""
        return 5


@dataclass(frozen=True, kw_only=True)
class AttendanceCorrected(Event):
    """Check-ins and check-outs made under a track's doubted name, moved to the employee a
    later answer named (the tracker had handed the id to another person).

    The affected records are sent again as :class:`AttendanceMarked` (the old one voided
    when nothing is left in it); this event says what moved, from whom, to whom and why.
    """

    kind: ClassVar[str] = "attendance_correction"
    table: ClassVar[Table | None] = Table("attendance_corrections", "timestamp", 730)

    tracker_id: int
    from_employee_id: str
    to_employee_id: str
    marks_moved: int
    """Check-ins and check-outs moved."""
    first_mark_time: datetime | None
    from_record_id: str | None
    to_record_id: str | None
    reason: str
    """Why the old name was doubted: ``overlap``, ``refound``, ``jump``, ``appearance`` or
    ``namesake``; ``swap_partner`` when no call named this track: the other track of a
    swapped pair was asked, and its answer settled both names."""

    @property
    def priority(self) -> int:
        """Like attendance itself: never dropped, sent first."""
        return 5


VehicleStatus = Literal["allowed", "denied", "unknown"]


@dataclass(frozen=True, kw_only=True)
class PlateRead(Event):
    """One OCR reading of a vehicle's plate (before voting)."""

    kind: ClassVar[str] = "plate_read"
    table: ClassVar[Table | None] = Table("plate_reads", "timestamp", 90)

    vehicle_uid: str
    tracker_id: int
    plate_text: str
    raw_text: str
    confidence: float
    engine: str


@dataclass(frozen=True, kw_only=True)
class VehicleSeen(Event):
    """The state of one vehicle track's log row after a change (entry, plate, exit).

    ``vehicle_uid`` is stable for the track: the store and upstream upsert by it.
    """

    kind: ClassVar[str] = "vehicle"
    table: ClassVar[Table | None] = Table("vehicle_logs", "COALESCE(exit_time, entry_time)", 365)

    vehicle_uid: str
    tracker_id: int
    vehicle_type: str
    entry_time: datetime
    exit_time: datetime | None = None
    plate_number: str | None = None
    ocr_confidence: float | None = None
    status: VehicleStatus = "unknown"

    @property
    def priority(self) -> int:
        """A deny-list hit is sent before anything else and never dropped."""
        return 10 if self.status == "denied" else 0


ResetSource = Literal["console", "cli", "schedule"]


@dataclass(frozen=True, kw_only=True)
class OccupancyReset(Event):
    """An operator or the schedule set a camera's occupancy back (one event per camera).

    ``previous_occupancy`` is the camera's count before; ``occupancy`` and ``site_occupancy``
    are the camera's and the site's after the reset.
    """

    kind: ClassVar[str] = "occupancy_reset"
    table: ClassVar[Table | None] = Table("occupancy_resets", "timestamp", 365)

    previous_occupancy: int
    occupancy: int
    site_occupancy: int
    source: ResetSource
    note: str = ""


ZoneEventKind = Literal["dwell", "restricted_entry"]


@dataclass(frozen=True, kw_only=True)
class ZoneEvent(Event):
    """A tracked object in a polygon zone: inside longer than the zone's ``dwell_s``
    (``dwell``), or entering a restricted zone (``restricted_entry``); once per visit each."""

    kind: ClassVar[str] = "zone"
    table: ClassVar[Table | None] = Table("zone_events", "timestamp", 365)

    zone_id: str
    tracker_id: int
    class_name: str
    event: ZoneEventKind
    entered_at: datetime
    """When this visit began."""
    dwell_s: float
    """Seconds inside when the event was raised."""

    @property
    def priority(self) -> int:
        """A restricted-area entry is a safety matter: sent first, never dropped."""
        return 5 if self.event == "restricted_entry" else 0

