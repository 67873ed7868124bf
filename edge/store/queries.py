"""Read-only queries for the API and CLI, on connections of their own (never the writer's)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from edge.store.schema import connect


class StoreReader:
    """Opens a fresh read-only connection per query (cheap in WAL mode, thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run one read query; an absent database or table reads as no rows."""
        if not self.path.exists():
            return []
        conn = connect(self.path, readonly=True)
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def events(self, since: str | None, after_id: int, limit: int) -> list[dict[str, Any]]:
        """Line crossings in id order after ``after_id``, at or after ``since`` (ISO time)."""
        return self.rows(
            "SELECT id, event_id, camera_id, line_id, track_id, class_name, direction, "
            "timestamp FROM line_crossings WHERE id > ? AND timestamp >= ? ORDER BY id LIMIT ?",
            (after_id, since or "", limit))

    def vehicles(self, since: str | None, plate: str | None, limit: int,
                 after_id: int = 0) -> list[dict[str, Any]]:
        """Vehicle log rows in id order after ``after_id``, since ``since``, optionally for
        one plate."""
        sql = ("SELECT id, event_id, camera_id, track_id, plate_number, vehicle_type, "
               "entry_time, exit_time, ocr_confidence, status FROM vehicle_logs "
               "WHERE id > ? AND entry_time >= ?")
        params: list[Any] = [after_id, since or ""]
        if plate:
            sql += " AND plate_number = ?"
            params.append(plate.upper().replace(" ", "").replace("-", ""))
        return self.rows(sql + " ORDER BY id LIMIT ?", (*params, limit))

    def attendance(self, day: str) -> list[dict[str, Any]]:
        """Attendance records whose check-in falls on ``day`` (YYYY-MM-DD)."""
        return self.rows(
            "SELECT id, event_id, camera_id, employee_id, check_in_time, check_out_time, "
            "status, grace_period_used, aws_face_confidence, track_id FROM attendance_records "
            "WHERE substr(check_in_time, 1, 10) = ? AND voided = 0 ORDER BY check_in_time",
            (day,))

    def plate_lists(self) -> list[dict[str, Any]]:
        """The stored allow and deny lists: plate, list, note, created_at, by list and plate."""
        return self.rows("SELECT plate, list, note, created_at FROM plate_lists "
                         "ORDER BY list, plate")

    def pending_reset_requests(self) -> list[dict[str, Any]]:
        """Occupancy reset requests no daemon has answered yet, oldest first."""
        return self.rows("SELECT id, camera_id, note, requested_at FROM "
                         "occupancy_reset_requests WHERE state = 'pending' ORDER BY id")

    def reset_request(self, request_id: int) -> dict[str, Any] | None:
        """One occupancy reset request (state, outcome, done_at), or None."""
        rows = self.rows("SELECT id, camera_id, note, requested_at, state, outcome, done_at "
                         "FROM occupancy_reset_requests WHERE id = ?", (request_id,))
        return rows[0] if rows else None

    def last_occupancy(self) -> list[dict[str, Any]]:
        """Each camera's newest ``occupancy_logs`` row (occupancy, site occupancy, entries,
        exits, timestamp), by camera id."""
        return self.rows(
            "SELECT camera_id, current_occupancy, site_occupancy, entries_count, exits_count,"
            " timestamp FROM occupancy_logs WHERE id IN (SELECT MAX(id) FROM occupancy_logs"
            " GROUP BY camera_id) ORDER BY camera_id")

    def occupancy_resets(self, limit: int = 10) -> list[dict[str, Any]]:
        """The newest ``limit`` occupancy resets, newest first."""
        return self.rows(
            "SELECT camera_id, previous_occupancy, occupancy, site_occupancy, source, note,"
            " timestamp FROM occupancy_resets ORDER BY timestamp DESC, id DESC LIMIT ?",
            (limit,))

    def cloud_calls(self, day: str, month: str) -> tuple[int, int]:
        """Cloud calls recorded in ``system_metrics`` since ``day`` and since ``month`` (ISO
        prefixes such as ``2026-12-02`` and ``2026-12-01``)."""
        rows = self.rows(
            "SELECT COALESCE(SUM(CASE WHEN timestamp >= ? THEN aws_calls END), 0) AS day,"
            " COALESCE(SUM(aws_calls), 0) AS month FROM system_metrics WHERE timestamp >= ?",
            (day, month))
        return (int(rows[0]["day"]), int(rows[0]["month"])) if rows else (0, 0)

    def attendance_since(self, work_date: str) -> list[dict[str, Any]]:
        """Every attendance record of ``work_date`` (ISO date) and later, voided ones too."""
        return self.rows("SELECT * FROM attendance_records WHERE work_date >= ?", (work_date,))

    def zone_event_counts(self, since: str) -> dict[tuple[str, str], dict[str, int]]:
        """``zone_events`` at or after ``since`` (ISO UTC time), counted per
        ``(camera_id, zone_id)`` and event (``dwell``, ``restricted_entry``)."""
        out: dict[tuple[str, str], dict[str, int]] = {}
        for r in self.rows("SELECT camera_id, zone_id, event, COUNT(*) AS n FROM zone_events "
                           "WHERE timestamp >= ? GROUP BY camera_id, zone_id, event",
                           (since,)):
            out.setdefault((r["camera_id"], r["zone_id"]), {})[r["event"]] = int(r["n"])
        return out

    def table_span(self, table: str, time_column: str) -> tuple[int, str | None, str | None]:
        """Rows of a catalogued table (``edge.tables``) with its oldest and newest time."""
        rows = self.rows(f"SELECT COUNT(*) AS n, MIN({time_column}) AS first, "
                         f"MAX({time_column}) AS last FROM {table}")
        return (int(rows[0]["n"]), rows[0]["first"], rows[0]["last"]) if rows else (0, None,
                                                                                   None)

    def table_rows(self, table: str, time_column: str, since: str | None = None
                   ) -> list[dict[str, Any]]:
        """Every row of a catalogued table, at or after ``since`` on its time column when
        given, in insertion order."""
        where, params = (f" WHERE {time_column} >= ?", (since,)) if since else ("", ())
        return self.rows(f"SELECT * FROM {table}{where} ORDER BY 1", params)

