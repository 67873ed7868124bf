"""Attendance policy, table-driven: each case is a script of crossings and identities."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge.analytics.attendance import AttendanceBook, work_date
from edge.config.identity import AttendanceConfig, ShiftConfig

TZ = ZoneInfo("Asia/Kolkata")
DAY = datetime(2026, 11, 23, tzinfo=TZ)


def at(hhmm: str, day_offset: int = 0) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return DAY + timedelta(days=day_offset, hours=h, minutes=m)


def book() -> AttendanceBook:
    cfg = AttendanceConfig(groups={
        "default": ShiftConfig(start="09:00", end="17:00", late_grace_min=10,
                               early_exit_grace_min=10),
        "night": ShiftConfig(start="21:00", end="05:00", late_grace_min=15,
                             early_exit_grace_min=15)},
        link_window_s=120)
    return AttendanceBook(cfg, TZ, group_of=lambda e: "night" if e.startswith("N") else None)


# Steps: ("x", camera, track, direction, time, employee-or-None)   a crossing
#        ("id", camera, track, employee, time, attendance_point)     an identity confirmed
CASES = {
    "on time": (
        [("x", "door", 1, "entry", "08:55", "E1")],
        [("check_in", "PRESENT", False)]),
    "late within grace": (
        [("x", "door", 1, "entry", "09:08", "E1")],
        [("check_in", "PRESENT", True)]),
    "late beyond grace": (
        [("x", "door", 1, "entry", "09:11", "E1")],
        [("check_in", "LATE", False)]),
    "early exit": (
        [("x", "door", 1, "entry", "08:50", "E1"), ("x", "door", 7, "exit", "15:00", "E1")],
        [("check_in", "PRESENT", False), ("check_out", "EARLY_EXIT", False)]),
    "exit within the early-exit grace is not early": (
        [("x", "door", 1, "entry", "08:50", "E1"), ("x", "door", 7, "exit", "16:55", "E1")],
        [("check_in", "PRESENT", False), ("check_out", "PRESENT", False)]),
    "late then early exit keeps the lateness in check_in_time": (
        [("x", "door", 1, "entry", "10:00", "E1"), ("x", "door", 2, "exit", "12:00", "E1")],
        [("check_in", "LATE", False), ("check_out", "EARLY_EXIT", False)]),
    "crossing before identity is known": (
        [("x", "door", 3, "entry", "08:59", None), ("id", "door", 3, "E1", "09:00", False)],
        [("check_in", "PRESENT", False)]),
    "identity too long after the crossing does not attach": (
        [("x", "door", 3, "entry", "08:59", None), ("id", "door", 3, "E1", "09:05", False)],
        []),
    "identity without a crossing marks nothing": (
        [("id", "hall", 4, "E1", "08:40", False)],
        []),
    "identity at an attendance point checks in": (
        [("id", "lobby", 4, "E1", "09:05", True)],
        [("check_in", "PRESENT", True)]),
    "two cameras: one record, second entry ignored, exit on the other camera": (
        [("x", "gate", 1, "entry", "08:30", "E1"), ("x", "door", 9, "entry", "08:35", "E1"),
         ("x", "gate", 5, "exit", "17:30", "E1")],
        [("check_in", "PRESENT", False), ("check_out", "PRESENT", False)]),
    "leaving and coming back reopens the day's record": (
        [("x", "door", 1, "entry", "08:30", "E1"), ("x", "door", 2, "exit", "12:00", "E1"),
         ("x", "door", 3, "entry", "13:00", "E1")],
        [("check_in", "PRESENT", False), ("check_out", "EARLY_EXIT", False),
         ("check_in", "PRESENT", False)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_attendance_cases(name: str) -> None:
    steps, expected = CASES[name]
    b = book()
    marks = []
    for step in steps:
        if step[0] == "x":
            _, cam, track, direction, hhmm, emp = step
            marks += b.crossing(cam, track, direction, at(hhmm),
                                (emp, 99.0) if emp else None)
        else:
            _, cam, track, emp, hhmm, point = step
            marks += b.identity(cam, track, emp, 99.0, at(hhmm), point)
    assert [(m.action, m.status, m.grace_period_used) for m in marks] == expected
    assert len({m.record_id for m in marks}) <= 1  # one record per employee per day


def test_crossing_before_identity_is_stamped_at_the_crossing() -> None:
    b = book()
    b.crossing("door", 3, "entry", at("09:09"), None)
    (mark,) = b.identity("door", 3, "E1", 97.5, at("09:11"), False)
    assert mark.check_in_time == at("09:09")
    assert (mark.status, mark.grace_period_used) == ("PRESENT", True)


def test_a_second_day_gets_a_new_record() -> None:
    b = book()
    (d1,) = b.crossing("door", 1, "entry", at("09:00"), ("E1", 99.0))
    (d2,) = b.crossing("door", 1, "entry", at("09:30", 1), ("E1", 99.0))
    assert d1.record_id != d2.record_id
    assert (d1.work_date, d2.work_date) == ("2026-11-23", "2026-11-24")
    assert d2.status == "LATE"


def test_night_shift_belongs_to_the_day_it_started() -> None:
    b = book()
    (i,) = b.crossing("door", 1, "entry", at("21:05"), ("N7", 99.0))
    (o,) = b.crossing("door", 2, "exit", at("03:00", 1), ("N7", 99.0))
    assert i.record_id == o.record_id and o.work_date == "2026-11-23"
    assert (i.status, i.grace_period_used, o.status) == ("PRESENT", True, "EARLY_EXIT")


@pytest.mark.parametrize(("hhmm", "offset", "expected"), [
    ("08:00", 0, "2026-11-23"), ("23:30", 0, "2026-11-23"), ("02:00", 0, "2026-11-23")])
def test_work_date_of_a_day_shift(hhmm: str, offset: int, expected: str) -> None:
    shift = ShiftConfig(start="09:00", end="17:00")
    assert work_date(shift, at(hhmm, offset), TZ).isoformat() == expected


def test_restore_keeps_one_record_after_a_restart() -> None:
    b = book()
    (first,) = b.crossing("door", 1, "entry", at("09:20"), ("E1", 99.0))
    row = {"record_id": first.record_id, "employee_id": "E1", "work_date": first.work_date,
           "check_in_time": first.check_in_time.isoformat(), "check_out_time": None,
           "aws_face_confidence": 99.0, "track_id": 1}
    again = book()
    again.restore([row])
    assert again.crossing("door", 5, "entry", at("10:00"), ("E1", 99.0)) == []
    (out,) = again.crossing("door", 6, "exit", at("17:30"), ("E1", 99.0))
    assert (out.record_id, out.status) == (first.record_id, "LATE")
