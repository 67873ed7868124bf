"""Every event type has its table; its outbox row is written in the same transaction;
snapshot events upsert one row by their stable id."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.events import (
    EVENT_TYPES,
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
from edge.store.schema import connect, migrate
from edge.store.tables import INSERTERS, insert

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _db(tmp_path: Path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    return conn


def _vehicle(**kw: object) -> VehicleSeen:
    base = dict(camera_id="gate", vehicle_uid="v-1", tracker_id=7, vehicle_type="car",
                entry_time=T0)
    base.update(kw)
    return VehicleSeen(**base)  # type: ignore[arg-type]


def _attendance(**kw: object) -> AttendanceMarked:
    base = dict(camera_id="door", record_id="r-1", employee_id="E1", work_date="2026-11-23",
                action="check_in", check_in_time=T0, check_out_time=None, status="PRESENT",
                grace_period_used=False, aws_face_confidence=99.1, tracker_id=4)
    base.update(kw)
    return AttendanceMarked(**base)  # type: ignore[arg-type]


SAMPLES: list[Event] = [
    OccupancyChanged(camera_id="c", current_occupancy=1, entries_count=1, exits_count=0,
                     people_detected=1, vehicles_detected=0, site_occupancy=1),
    FrameStats(camera_id="c", frame_id=1, processing_time_ms=1.0, fps=1.0, frames=1,
               cpu_usage=1.0, gpu_memory_used=0.0),
    Crossing(camera_id="c", line_id="l", tracker_id=1, class_name="person", direction="entry"),
    IdentityResolved(camera_id="c", tracker_id=1, employee_id="E1", name="Ann",
                     confidence=97.0, source="local", distance=0.3),
    _attendance(),
    PlateRead(camera_id="gate", vehicle_uid="v-1", tracker_id=7, plate_text="KA01AB1234",
              raw_text="KA 01 AB 1234", confidence=0.9, engine="rapidocr"),
    _vehicle(),
    OccupancyReset(camera_id="c", previous_occupancy=3, occupancy=0, site_occupancy=1,
                   source="cli", note="empty"),
    AttendanceCorrected(camera_id="door", tracker_id=4, from_employee_id="E1",
                        to_employee_id="E2", marks_moved=1, first_mark_time=T0,
                        from_record_id="r-1", to_record_id="r-2", reason="overlap"),
    ZoneEvent(camera_id="c", zone_id="press", tracker_id=3, class_name="person",
              event="dwell", entered_at=T0, dwell_s=12.5),
]


def test_every_event_type_has_a_table() -> None:
    assert {type(e) for e in SAMPLES} == set(INSERTERS) == set(EVENT_TYPES.values())
    assert all(cls.table is not None for cls in EVENT_TYPES.values())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_each_event_lands_with_its_outbox_row(tmp_path: Path, event: Event) -> None:
    conn = _db(tmp_path)
    insert(conn, "site1", event)
    row = conn.execute("SELECT * FROM outbox WHERE event_id = ?", (event.event_id,)).fetchone()
    payload = json.loads(row["payload"])
    assert (row["type"], row["camera_id"], payload["site"]) == (event.type, event.camera_id,
                                                                "site1")
    assert payload["event_id"] == event.event_id


def test_a_refused_row_leaves_no_outbox_row(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    bad = _vehicle(status="stolen")  # violates the CHECK constraint
    conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(Exception, match="CHECK"):
        insert(conn, "s", bad)
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_vehicle_snapshots_update_one_row(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    insert(conn, "s", _vehicle())
    insert(conn, "s", _vehicle(plate_number="KA01AB1234", ocr_confidence=0.93, status="denied"))
    insert(conn, "s", _vehicle(plate_number="KA01AB1234", ocr_confidence=0.93, status="denied",
                               exit_time=T0 + timedelta(seconds=30)))
    rows = conn.execute("SELECT * FROM vehicle_logs").fetchall()
    assert len(rows) == 1
    assert (rows[0]["plate_number"], rows[0]["status"]) == ("KA01AB1234", "denied")
    assert rows[0]["exit_time"] == (T0 + timedelta(seconds=30)).isoformat()
    outbox = conn.execute("SELECT priority FROM outbox ORDER BY id").fetchall()
    assert [r["priority"] for r in outbox] == [0, 10, 10]  # deny hits jump the queue


def test_attendance_snapshots_update_one_row(tmp_path: Path) -> None:
    conn = _db(tmp_path)
    insert(conn, "s", _attendance())
    insert(conn, "s", _attendance(action="check_out", check_out_time=T0 + timedelta(hours=3),
                                  status="EARLY_EXIT"))
    rows = conn.execute("SELECT * FROM attendance_records").fetchall()
    assert len(rows) == 1
    assert rows[0]["status"] == "EARLY_EXIT"
    assert rows[0]["check_in_time"] == T0.isoformat()
