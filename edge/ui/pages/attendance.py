"""Attendance: a day's records with filters, and their CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from edge.store.reports import ATTENDANCE_STATUSES, Reports, local_today
from edge.ui.forms import FormError

if TYPE_CHECKING:
    from edge.ui.app import Console

CSV_COLUMNS = ("work_date", "employee_id", "name", "employee_group", "status", "check_in_time",
               "check_out_time", "grace_period_used", "aws_face_confidence", "camera_id",
               "track_id")


def _day(raw: str | None, tz: str) -> date:
    if not raw:
        return local_today(tz)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FormError(422, f"date: not a calendar date (YYYY-MM-DD): {raw[:40]!r}") from None


def _status(raw: str) -> str:
    if raw and raw not in ATTENDANCE_STATUSES:
        raise FormError(422, f"status: one of {', '.join(ATTENDANCE_STATUSES)}, not {raw!r}")
    return raw


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header; cells that a spreadsheet would run as a formula are quoted
    with a leading apostrophe."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        cells = ["" if r.get(c) is None else str(r.get(c)) for c in CSV_COLUMNS]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return buf.getvalue()


def routes(console: Console, app: FastAPI) -> None:
    """Add the attendance routes."""
    ctx = console.ctx
    reports = Reports(ctx.reader)
    day_q = Query(None, alias="date", max_length=40)
    status_q = Query("", max_length=20)
    group_q = Query("", max_length=64)

    @app.get("/attendance")
    async def attendance_page(request: Request, day: str | None = day_q,
                              status: str = status_q, group: str = group_q) -> Response:
        tz = ctx.settings().site.timezone
        when = _day(day, tz)
        rows = reports.attendance(when, tz, _status(status), group)
        counts = {s: sum(r["status"] == s for r in rows) for s in ATTENDANCE_STATUSES}
        return console.render(request, "attendance.html", rows=rows, day=when.isoformat(),
                              status=status, group=group, groups=reports.groups(),
                              statuses=ATTENDANCE_STATUSES, counts=counts, tz=tz)

    @app.get("/attendance.csv")
    async def attendance_csv(day: str | None = day_q, status: str = status_q,
                             group: str = group_q) -> Response:
        tz = ctx.settings().site.timezone
        when = _day(day, tz)
        body = to_csv(reports.attendance(when, tz, _status(status), group))
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="attendance-{when.isoformat()}.csv"'})
