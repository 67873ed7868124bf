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

Each record keeps the marks (check-ins and check-outs) it was built from. When a track's
name turns out to have been wrong (the tracker handed its id to another person and a later
answer named that person), :meth:`AttendanceBook.reattribute` moves the marks that track made
under the old name since the doubt began (and within ``link_window_s``) to the right
employee: both records are rebuilt from their marks and sent again, the old one ``voided``
when nothing is left in it, and an ``AttendanceCorrected`` event says what moved.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge.config.identity import AttendanceConfig, ShiftConfig
from edge.events import AttendanceCorrected, AttendanceMarked, AttendanceStatus, Event
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


@dataclass(frozen=True)
class _Mark:
    direction: str
    ts: datetime
    camera_id: str
    tracker_id: int | None
    confidence: float | None


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
    marks: list[_Mark] = field(default_factory=list)
    spare: list[_Mark] = field(default_factory=list)
    """Entries made while already in: they change nothing, but are kept for a correction
    that takes away the mark that let the employee in."""


@dataclass(frozen=True)
class Reattribution:
    """Marks a track made under a doubted name, to move to the employee named since."""

    tracker_id: int
    old_employee: str
    new_employee: tuple[str, float]
    """(employee id, confidence)."""
    since: datetime
    reason: str


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

    def marks(self) -> list[tuple[str, str, int | None, str, datetime]]:
        """Every check-in and check-out the records hold now, as (employee, camera, track,
        direction, time): what replays and tests compare with the truth."""
        with self._lock:
            return [(rec.employee_id, m.camera_id, m.tracker_id, m.direction, m.ts)
                    for rec in self._records.values() for m in rec.marks]

    def restore(self, rows: list[dict[str, object]]) -> int:
        """Reload records stored before a restart (``attendance_records`` rows)."""
        with self._lock:
            for r in rows:
                if not r.get("record_id") or not r.get("work_date"):
                    continue
                if r.get("voided"):
                    continue
                rec = _Record(str(r["record_id"]), str(r["employee_id"]),
                              date.fromisoformat(str(r["work_date"])),
                              _parse(r.get("check_in_time")), _parse(r.get("check_out_time")),
                              confidence=r.get("aws_face_confidence"),  # type: ignore[arg-type]
                              tracker_id=r.get("track_id"))  # type: ignore[arg-type]
                if rec.check_in is not None:
                    rec.arrival, rec.grace_used = self._arrival(rec.employee_id, rec.check_in,
                                                                rec.day)
                    rec.marks.append(_Mark("entry", rec.check_in, "", rec.tracker_id,
                                           rec.confidence))
                if rec.check_out is not None:
                    rec.marks.append(_Mark("exit", rec.check_out, "", rec.tracker_id,
                                           rec.confidence))
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

    def reattribute(self, camera_id: str, tracker_id: int, old_employee: str,
                    new_employee: tuple[str, float], since: datetime, now: datetime,
                    reason: str) -> list[Event]:
        """Move the marks ``tracker_id`` made as ``old_employee`` since ``since`` (and within
        ``link_window_s`` of ``now``) to ``new_employee``; see the module docstring."""
        return self.reattribute_all(camera_id, [Reattribution(
            tracker_id, old_employee, new_employee, since, reason)], now)

    def reattribute_all(self, camera_id: str, moves: list[Reattribution], now: datetime
                        ) -> list[Event]:
        """Several tracks' marks moved at once, as :meth:`reattribute` moves one's: every
        moved mark leaves its record before any is applied again, so the two tracks of a
        swapped pair can each move a check-in into the record the other leaves (one at a
        time, the first would find that record still checked in and be lost). One
        ``AttendanceCorrected`` per track whose marks moved."""
        window = timedelta(seconds=self.cfg.link_window_s)
        with self._lock:
            plan: list[tuple[Reattribution, list[tuple[_Record, _Mark]]]] = []
            for mv in moves:
                start = max(mv.since, now - window)
                moved = [(rec, m) for (emp, _day), rec in self._records.items()
                         if emp == mv.old_employee for m in [*rec.marks, *rec.spare]
                         if m.camera_id == camera_id and m.tracker_id == mv.tracker_id
                         and m.ts >= start]
                if moved:
                    plan.append((mv, moved))
            leaving = {id(m) for _mv, moved in plan for _r, m in moved}
            touched = {id(r): r for _mv, moved in plan for r, _m in moved}
            events: list[Event] = []
            for rec in touched.values():
                rec.marks = [m for m in rec.marks if id(m) not in leaving]
                rec.spare = [m for m in rec.spare if id(m) not in leaving]
                events.append(self._rebuild(rec, camera_id, now))
            for mv, moved in plan:
                to_record = None
                for _rec, mark in sorted(moved, key=lambda rm: rm[1].ts):
                    marked = self._apply(camera_id, mv.tracker_id, mv.new_employee,
                                         mark.direction, mark.ts)
                    events += marked
                    to_record = marked[-1].record_id if marked else to_record
                metrics.ATTENDANCE_CORRECTIONS.labels(mv.reason).inc()
                events.append(AttendanceCorrected(
                    camera_id=camera_id, ts=now, tracker_id=mv.tracker_id,
                    from_employee_id=mv.old_employee, to_employee_id=mv.new_employee[0],
                    marks_moved=len(moved), first_mark_time=min(m.ts for _r, m in moved),
                    from_record_id=moved[0][0].record_id, to_record_id=to_record,
                    reason=mv.reason))
            return events

    def _rebuild(self, rec: _Record, camera_id: str, now: datetime) -> AttendanceMarked:
        """Recompute a record from its remaining marks; voided when none is left."""
        marks = sorted([*rec.marks, *rec.spare], key=lambda m: m.ts)
        rec.marks, rec.spare, rec.check_in, rec.check_out = [], [], None, None
        for m in marks:
            self._set(rec, m)
        if rec.check_in is not None:
            rec.arrival, rec.grace_used = self._arrival(rec.employee_id, rec.check_in, rec.day)
        last = marks[-1] if marks else None
        action = "check_out" if last is None or last.direction != "entry" else "check_in"
        return self._event(rec, camera_id, now, action, voided=not marks)

    @staticmethod
    def _set(rec: _Record, mark: _Mark) -> bool:
        """Apply one mark to a record; False when it changes nothing (already in).

        A mark that changes nothing is still kept (``spare``): a correction may later take
        away the mark that let the employee in (the other track of a swapped pair), and the
        record is then rebuilt from the marks left, this one among them.
        """
        if mark.direction == "entry":
            if rec.check_in is not None and rec.check_out is None:
                rec.spare.append(mark)
                return False
            if rec.check_in is None:
                rec.check_in = mark.ts
            rec.check_out = None  # back in after leaving: the day's record reopens
        else:
            rec.check_out = mark.ts
        rec.marks.append(mark)
        rec.confidence, rec.tracker_id = mark.confidence, mark.tracker_id
        return True

    def _event(self, rec: _Record, camera_id: str, ts: datetime, action: str,
               voided: bool = False) -> AttendanceMarked:
        shift = self.shift_of(rec.employee_id)
        status = rec.arrival
        if rec.check_out is not None:
            _start, end = shift_bounds(shift, rec.day, self.tz)
            if rec.check_out < end - timedelta(minutes=shift.early_exit_grace_min):
                status = "EARLY_EXIT"
        return AttendanceMarked(
            camera_id=camera_id, ts=ts, record_id=rec.record_id, employee_id=rec.employee_id,
            work_date=rec.day.isoformat(), action=action,  # type: ignore[arg-type]
            check_in_time=rec.check_in, check_out_time=rec.check_out, status=status,
            grace_period_used=rec.grace_used, aws_face_confidence=rec.confidence,
            tracker_id=rec.tracker_id, voided=voided)

    def _apply(self, camera_id: str, tracker_id: int, employee: tuple[str, float],
               direction: str, ts: datetime) -> list[AttendanceMarked]:
        employee_id, confidence = employee
        day = work_date(self.shift_of(employee_id), ts, self.tz)
        rec = self._records.get((employee_id, day))
        if rec is None:
            rec = self._records[(employee_id, day)] = _Record(str(uuid.uuid4()), employee_id,
                                                              day)
        first_in = rec.check_in is None
        if not self._set(rec, _Mark(direction, ts, camera_id, tracker_id, confidence)):
            return []  # already in: one open record per employee per day
        if direction == "entry" and first_in:
            rec.arrival, rec.grace_used = self._arrival(employee_id, ts, day)
        action = "check_in" if direction == "entry" else "check_out"
        event = self._event(rec, camera_id, ts, action)
        metrics.ATTENDANCE_MARKS.labels(action, event.status).inc()
        return [event]

    def _prune(self, now: datetime) -> None:
        window = timedelta(seconds=self.cfg.link_window_s)
        stale = [k for k, p in self._pending.items()
                 if all(now - ts > window for _d, ts in p.crossings)]
        for k in stale:
            del self._pending[k]


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None
