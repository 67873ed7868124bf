"""Attendance policy: check-in and check-out from identities and line crossings.

One record per employee per work day (the day its shift starts, in the site's time zone):
an entry crossing (or being recognised by a camera marked as an attendance point) checks in,
an exit crossing checks out, and coming back in reopens the day's record. Status:

* ``PRESENT`` — checked in by the shift start, or within ``late_grace_min`` after it
  (then ``grace_period_used`` is true);
* ``LATE`` — checked in after the grace period;
* ``EARLY_EXIT`` — checked out more than ``early_exit_grace_min`` before the shift end
  (it overrides PRESENT/LATE; the check-in time still tells lateness).

A crossing whose person is not yet identified waits up to ``link_window_s``: when the
identity arrives, the crossing is applied at its own time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge.config.identity import AttendanceConfig, ShiftConfig
from edge.events import AttendanceMarked, AttendanceStatus
from edge.telemetry import metrics

TrackKey = tuple[str, int]


def shift_bounds(shift: ShiftConfig, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of ``shift`` starting on ``day`` (an end before the start is next day)."""
    start = datetime.combine(day, shift.start_time, tzinfo=tz)
    end = datetime.combine(day, shift.end_time, tzinfo=tz)
    if end <= start:
        end += timedelta(days=1)
    return start, end


def work_date(shift: ShiftConfig, ts: datetime, tz: ZoneInfo) -> date:
    """The day whose shift ``ts`` belongs to: the one whose [start, end] is nearest."""
    local = ts.astimezone(tz).date()
    best: tuple[float, date] | None = None
    for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
        start, end = shift_bounds(shift, day, tz)
        gap = 0.0 if start <= ts <= end else min(abs((ts - start).total_seconds()),
                                                abs((ts - end).total_seconds()))
        if best is None or gap < best[0]:
            best = (gap, day)
    assert best is not None
    return best[1]


@dataclass
class _Record:
    record_id: str
    employee_id: str
    day: date
    check_in: datetime | None = None
    check_out: datetime | None = None
    arrival: AttendanceStatus = "PRESENT"
    grace_used: bool = False
    confidence: float | None = None
    tracker_id: int | None = None


@dataclass
class _Pending:
    crossings: list[tuple[str, datetime]] = field(default_factory=list)


class AttendanceBook:
    """Thread-safe attendance state; returns the events to store for every change.

    Args:
        cfg: shifts per group, link window.
        tz: the site's time zone.
        group_of: employee id -> group name (unknown groups use ``default``).
    """

    def __init__(self, cfg: AttendanceConfig, tz: ZoneInfo,
                 group_of: Callable[[str], str | None] | None = None) -> None:
        self.cfg = cfg
        self.tz = tz
        self.group_of = group_of or (lambda _e: None)
        self._records: dict[tuple[str, date], _Record] = {}
        self._pending: dict[TrackKey, _Pending] = {}
        self._lock = threading.Lock()

    def shift_of(self, employee_id: str) -> ShiftConfig:
        """The shift of the employee's group (``default`` when unknown)."""
        group = self.group_of(employee_id) or "default"
        return self.cfg.groups.get(group, self.cfg.groups["default"])

    def crossing(self, camera_id: str, tracker_id: int, direction: str, ts: datetime,
                 employee: tuple[str, float] | None) -> list[AttendanceMarked]:
        """A person crossed an entry/exit line; ``employee`` is (id, confidence) if known."""
        with self._lock:
            if employee is None:
                pend = self._pending.setdefault((camera_id, tracker_id), _Pending())
                pend.crossings.append((direction, ts))
                self._prune(ts)
                return []
            return self._apply(camera_id, tracker_id, employee, direction, ts)

    def identity(self, camera_id: str, tracker_id: int, employee_id: str, confidence: float,
                 ts: datetime, attendance_point: bool) -> list[AttendanceMarked]:
        """A track was recognised: apply its waiting crossings, or check in at a point."""
        with self._lock:
            pend = self._pending.pop((camera_id, tracker_id), None)
            events: list[AttendanceMarked] = []
            window = timedelta(seconds=self.cfg.link_window_s)
            for direction, crossed_at in (pend.crossings if pend else []):
                if ts - crossed_at <= window:
                    events += self._apply(camera_id, tracker_id, (employee_id, confidence),
                                          direction, crossed_at)
            if not events and attendance_point:
                shift = self.shift_of(employee_id)
                if (employee_id, work_date(shift, ts, self.tz)) not in self._records:
                    events += self._apply(camera_id, tracker_id, (employee_id, confidence),
                                          "entry", ts)
            return events

    def restore(self, rows: list[dict[str, object]]) -> int:
        """Reload records stored before a restart (``attendance_records`` rows)."""
        with self._lock:
            for r in rows:
                if not r.get("record_id") or not r.get("work_date"):
                    continue
                rec = _Record(str(r["record_id"]), str(r["employee_id"]),
                              date.fromisoformat(str(r["work_date"])),
                              _parse(r.get("check_in_time")), _parse(r.get("check_out_time")),
                              confidence=r.get("aws_face_confidence"),  # type: ignore[arg-type]
                              tracker_id=r.get("track_id"))  # type: ignore[arg-type]
                if rec.check_in is not None:
                    rec.arrival, rec.grace_used = self._arrival(rec.employee_id, rec.check_in,
                                                                rec.day)
                self._records[(rec.employee_id, rec.day)] = rec
            return len(rows)

    def _arrival(self, employee_id: str, ts: datetime, day: date) -> tuple[AttendanceStatus,
                                                                          bool]:
        shift = self.shift_of(employee_id)
        start, _end = shift_bounds(shift, day, self.tz)
        if ts <= start:
            return "PRESENT", False
        if ts <= start + timedelta(minutes=shift.late_grace_min):
            return "PRESENT", True
        return "LATE", False

    def _apply(self, camera_id: str, tracker_id: int, employee: tuple[str, float],
               direction: str, ts: datetime) -> list[AttendanceMarked]:
        employee_id, confidence = employee
        shift = self.shift_of(employee_id)
        day = work_date(shift, ts, self.tz)
        rec = self._records.get((employee_id, day))
        if direction == "entry":
            if rec is not None and rec.check_in is not None and rec.check_out is None:
                return []  # already in: one open record per employee per day
            if rec is None:
                rec = self._records[(employee_id, day)] = _Record(
                    str(uuid.uuid4()), employee_id, day)
            if rec.check_in is None:
                rec.check_in = ts
                rec.arrival, rec.grace_used = self._arrival(employee_id, ts, day)
            rec.check_out = None  # back in after leaving: the day's record reopens
            action = "check_in"
        else:
            if rec is None:
                rec = self._records[(employee_id, day)] = _Record(
                    str(uuid.uuid4()), employee_id, day)
            rec.check_out = ts
            action = "check_out"
        rec.confidence = confidence
        rec.tracker_id = tracker_id
        status = rec.arrival
        if rec.check_out is not None:
            _start, end = shift_bounds(shift, day, self.tz)
            if rec.check_out < end - timedelta(minutes=shift.early_exit_grace_min):
                status = "EARLY_EXIT"
        metrics.ATTENDANCE_MARKS.labels(action, status).inc()
        return [AttendanceMarked(
            camera_id=camera_id, ts=ts, record_id=rec.record_id, employee_id=employee_id,
            work_date=day.isoformat(), action=action,  # type: ignore[arg-type]
            check_in_time=rec.check_in, check_out_time=rec.check_out, status=status,
            grace_period_used=rec.grace_used, aws_face_confidence=confidence,
            tracker_id=tracker_id)]

    def _prune(self, now: datetime) -> None:
        window = timedelta(seconds=self.cfg.link_window_s)
        stale = [k for k, p in self._pending.items()
                 if all(now - ts > window for _d, ts in p.crossings)]
        for k in stale:
            del self._pending[k]


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None
