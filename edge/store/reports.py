"""Read queries behind the console's pages (attendance, vehicles, occupancy, health)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from edge.store.queries import StoreReader

ATTENDANCE_STATUSES = ("PRESENT", "LATE", "EARLY_EXIT")


def day_bounds(day: date, tz: str) -> tuple[str, str]:
    """``[start, end)`` of a local calendar day as UTC ISO strings (how rows store time).

    >>> day_bounds(date(2026, 1, 2), "Asia/Kolkata")
    ('2026-01-01T18:30:00+00:00', '2026-01-02T18:30:00+00:00')
    """
    start = datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tz)).astimezone(
        timezone.utc)
    return start.isoformat(), end.isoformat()


def local_today(tz: str) -> date:
    """Today's date at the site."""
    return datetime.now(ZoneInfo(tz)).date()


class Reports:
    """The console's queries; every one reads, none writes."""

    def __init__(self, reader: StoreReader) -> None:
        self.reader = reader

    def attendance(self, day: date, tz: str, status: str = "",
                   group: str = "") -> list[dict[str, Any]]:
        """A work day's attendance records with the employee's name and group."""
        start, end = day_bounds(day, tz)
        sql = ("SELECT a.employee_id, COALESCE(e.name, '') AS name, "
               "COALESCE(e.employee_group, '') AS employee_group, a.status, a.check_in_time, "
               "a.check_out_time, a.grace_period_used, a.aws_face_confidence, a.camera_id, "
               "a.track_id, COALESCE(a.work_date, '') AS work_date "
               "FROM attendance_records a LEFT JOIN employees e USING (employee_id) "
               "WHERE a.voided = 0 AND (a.work_date = ? OR (a.work_date IS NULL "
               "AND a.check_in_time >= ? AND a.check_in_time < ?))")
        params: list[Any] = [day.isoformat(), start, end]
        if status:
            sql += " AND a.status = ?"
            params.append(status)
        if group:
            sql += " AND e.employee_group = ?"
            params.append(group)
        return self.reader.rows(sql + " ORDER BY a.check_in_time, a.employee_id",
                                tuple(params))

    def groups(self) -> list[str]:
        """Every employee group in use."""
        return [r["g"] for r in self.reader.rows(
            "SELECT DISTINCT employee_group AS g FROM employees ORDER BY g")]

    def vehicles(self, day: date, tz: str, plate: str = "",
                 limit: int = 500) -> list[dict[str, Any]]:
        """Vehicles that entered on a local day, newest first, with their plate's list."""
        start, end = day_bounds(day, tz)
        sql = ("SELECT v.id, v.camera_id, v.track_id, v.vehicle_uid, v.plate_number, "
               "v.vehicle_type, v.entry_time, v.exit_time, v.ocr_confidence, v.status, "
               "l.list AS listed FROM vehicle_logs v LEFT JOIN plate_lists l "
               "ON l.plate = v.plate_number WHERE v.entry_time >= ? AND v.entry_time < ?")
        params: list[Any] = [start, end]
        if plate:
            sql += " AND v.plate_number LIKE ?"
            params.append(f"%{plate}%")
        return self.reader.rows(sql + " ORDER BY v.entry_time DESC, v.id DESC LIMIT ?",
                                (*params, limit))

    def crossings(self, day: date, tz: str) -> list[dict[str, Any]]:
        """A local day's person crossings (camera, line, direction, time)."""
        start, end = day_bounds(day, tz)
        return self.reader.rows(
            "SELECT camera_id, line_id, direction, timestamp FROM line_crossings "
            "WHERE class_name = 'person' AND timestamp >= ? AND timestamp < ? ORDER BY id",
            (start, end))

    def identity_today(self, day: date, tz: str) -> dict[str, float]:
        """Cloud identity calls and their estimated cost on a local day."""
        start, end = day_bounds(day, tz)
        rows = self.reader.rows(
            "SELECT COALESCE(SUM(aws_calls), 0) AS calls, "
            "COALESCE(SUM(aws_cost_estimated), 0) AS cost, "
            "COALESCE(SUM(cache_hits), 0) AS hits, COALESCE(SUM(cache_misses), 0) AS misses "
            "FROM system_metrics WHERE timestamp >= ? AND timestamp < ?", (start, end))
        return {k: float(v) for k, v in rows[0].items()} if rows else \
            {"calls": 0.0, "cost": 0.0, "hits": 0.0, "misses": 0.0}


def hourly(crossings: list[dict[str, Any]], tz: str,
           lines: set[tuple[str, str]] | None = None) -> dict[str, list[int]]:
    """Entries and exits per local hour (24 buckets), only on ``lines`` when given."""
    entries, exits = [0] * 24, [0] * 24
    zone = ZoneInfo(tz)
    for row in crossings:
        if lines is not None and (row["camera_id"], row["line_id"]) not in lines:
            continue
        hour = datetime.fromisoformat(row["timestamp"]).astimezone(zone).hour
        (entries if row["direction"] == "entry" else exits)[hour] += 1
    return {"entries": entries, "exits": exits}
