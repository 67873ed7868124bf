"""How each event type is stored: its table row(s), plus one outbox row in the same transaction.

Snapshot events (``VehicleSeen``, ``AttendanceMarked``) carry a stable id (``vehicle_uid``,
``record_id``); their row is inserted once and updated in place by later snapshots, while every
snapshot still goes to the outbox so upstream sees each change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

from edge.events import (
    AttendanceCorrected,
    AttendanceMarked,
    Crossing,
    Event,
    FrameStats,
    IdentityResolved,
    OccupancyChanged,
    OccupancyReset,
    PlateRead,
    VehicleSeen,
    ZoneEvent,
)

Inserter = Callable[[sqlite3.Connection, str, Event], None]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _occupancy(conn: sqlite3.Connection, site: str, e: OccupancyChanged) -> None:
    conn.execute(
        "INSERT INTO occupancy_logs (event_id, site, camera_id, current_occupancy,"
        " site_occupancy, entries_count, exits_count, people_detected, vehicles_detected,"
        " heartbeat, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.current_occupancy, e.site_occupancy,
         e.entries_count, e.exits_count, e.people_detected, e.vehicles_detected,
         int(e.heartbeat), _iso(e.ts)))


def _frame_stats(conn: sqlite3.Connection, site: str, e: FrameStats) -> None:
    conn.execute(
        "INSERT INTO system_metrics (event_id, site, camera_id, frame_id, processing_time_ms,"
        " fps, frames, gpu_memory_used, cpu_usage, faces_processed, vehicles_processed,"
        " aws_calls, aws_cost_estimated, cache_hits, cache_misses, timestamp)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.frame_id, e.processing_time_ms, e.fps, e.frames,
         e.gpu_memory_used, e.cpu_usage, e.faces_processed, e.vehicles_processed, e.aws_calls,
         e.aws_cost_estimated, e.cache_hits, e.cache_misses, _iso(e.ts)))


def _crossing(conn: sqlite3.Connection, site: str, e: Crossing) -> None:
    conn.execute(
        "INSERT INTO line_crossings (event_id, site, camera_id, line_id, track_id,"
        " class_name, direction, timestamp) VALUES (?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.line_id, e.tracker_id, e.class_name, e.direction,
         _iso(e.ts)))


def _identity(conn: sqlite3.Connection, site: str, e: IdentityResolved) -> None:
    conn.execute(
        "INSERT INTO identity_events (event_id, site, camera_id, track_id, employee_id, name,"
        " confidence, source, distance, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.tracker_id, e.employee_id, e.name, e.confidence,
         e.source, e.distance, _iso(e.ts)))


def _attendance(conn: sqlite3.Connection, site: str, e: AttendanceMarked) -> None:
    conn.execute(
        "INSERT INTO attendance_records (event_id, site, camera_id, employee_id, check_in_time,"
        " check_out_time, status, grace_period_used, aws_face_confidence, track_id, record_id,"
        " work_date, updated_at, voided) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (record_id) DO UPDATE SET check_in_time = excluded.check_in_time,"
        " check_out_time = excluded.check_out_time, status = excluded.status,"
        " grace_period_used = excluded.grace_period_used,"
        " aws_face_confidence = excluded.aws_face_confidence,"
        " track_id = excluded.track_id, updated_at = excluded.updated_at,"
        " voided = excluded.voided",
        (e.event_id, site, e.camera_id, e.employee_id, _iso(e.check_in_time),
         _iso(e.check_out_time), e.status, int(e.grace_period_used), e.aws_face_confidence,
         e.tracker_id, e.record_id, e.work_date, _iso(e.ts), int(e.voided)))


def _attendance_correction(conn: sqlite3.Connection, site: str,
                           e: AttendanceCorrected) -> None:
    conn.execute(
        "INSERT INTO attendance_corrections (event_id, site, camera_id, track_id,"
        " from_employee_id, to_employee_id, marks_moved, first_mark_time, from_record_id,"
        " to_record_id, reason, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.tracker_id, e.from_employee_id, e.to_employee_id,
         e.marks_moved, _iso(e.first_mark_time), e.from_record_id, e.to_record_id, e.reason,
         _iso(e.ts)))


def _plate_read(conn: sqlite3.Connection, site: str, e: PlateRead) -> None:
    conn.execute(
        "INSERT INTO plate_reads (event_id, site, camera_id, vehicle_uid, track_id, plate_text,"
        " raw_text, confidence, engine, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.vehicle_uid, e.tracker_id, e.plate_text, e.raw_text,
         e.confidence, e.engine, _iso(e.ts)))


def _vehicle(conn: sqlite3.Connection, site: str, e: VehicleSeen) -> None:
    conn.execute(
        "INSERT INTO vehicle_logs (event_id, site, camera_id, track_id, plate_number,"
        " vehicle_type, entry_time, exit_time, ocr_confidence, status, vehicle_uid, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (vehicle_uid) DO UPDATE SET plate_number = excluded.plate_number,"
        " vehicle_type = excluded.vehicle_type, exit_time = excluded.exit_time,"
        " ocr_confidence = excluded.ocr_confidence, status = excluded.status,"
        " updated_at = excluded.updated_at",
        (e.event_id, site, e.camera_id, e.tracker_id, e.plate_number, e.vehicle_type,
         _iso(e.entry_time), _iso(e.exit_time), e.ocr_confidence, e.status, e.vehicle_uid,
         _iso(e.ts)))


def _occupancy_reset(conn: sqlite3.Connection, site: str, e: OccupancyReset) -> None:
    conn.execute(
        "INSERT INTO occupancy_resets (event_id, site, camera_id, previous_occupancy,"
        " occupancy, site_occupancy, source, note, timestamp) VALUES (?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.previous_occupancy, e.occupancy, e.site_occupancy,
         e.source, e.note, _iso(e.ts)))


def _zone(conn: sqlite3.Connection, site: str, e: ZoneEvent) -> None:
    conn.execute(
        "INSERT INTO zone_events (event_id, site, camera_id, zone_id, track_id, class_name,"
        " event, entered_at, dwell_s, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (e.event_id, site, e.camera_id, e.zone_id, e.tracker_id, e.class_name, e.event,
         _iso(e.entered_at), e.dwell_s, _iso(e.ts)))


INSERTERS: dict[type[Event], Inserter] = {
    OccupancyChanged: _occupancy,  # type: ignore[dict-item]
    FrameStats: _frame_stats,  # type: ignore[dict-item]
    Crossing: _crossing,  # type: ignore[dict-item]
    IdentityResolved: _identity,  # type: ignore[dict-item]
    AttendanceMarked: _attendance,  # type: ignore[dict-item]
    AttendanceCorrected: _attendance_correction,  # type: ignore[dict-item]
    PlateRead: _plate_read,  # type: ignore[dict-item]
    VehicleSeen: _vehicle,  # type: ignore[dict-item]
    OccupancyReset: _occupancy_reset,  # type: ignore[dict-item]
    ZoneEvent: _zone,  # type: ignore[dict-item]
}
"""One row writer per event type; ``insert`` refuses types missing here."""


def insert(conn: sqlite3.Connection, site: str, event: Event) -> None:
    """Write the event's row and its outbox row (call inside a transaction).

    Raises:
        TypeError: no table for this event type.
        sqlite3.Error: the row was refused (constraint, I/O).
    """
    inserter = INSERTERS.get(type(event))
    if inserter is None:
        raise TypeError(f"store writer has no table for event type {type(event).__name__}")
    inserter(conn, site, event)
    payload = event.to_dict()
    payload["site"] = site
    conn.execute(
        "INSERT INTO outbox (event_id, type, camera_id, ts, priority, payload, created_at)"
        " VALUES (?,?,?,?,?,?,?)",
        (event.event_id, event.type, event.camera_id, _iso(event.ts), event.priority,
         json.dumps(payload, separators=(",", ":"), default=str),
         datetime.now(timezone.utc).isoformat()))
