"""Vehicles: the day's vehicle log with plates and list status; allow/deny from a row.

List edits call the same functions as ``edge plates`` and the running daemon applies them
at once (``ConsoleContext.plates_changed``), so the next decided plate gets the new status.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from edge.anpr.lists import PlateListError, put_plate, remove_plate
from edge.store.reports import Reports
from edge.ui.auth import CSRF_FIELD, require_change
from edge.ui.forms import FormError, read_form, text
from edge.ui.pages.attendance import _day

if TYPE_CHECKING:
    from edge.ui.app import Console

UID = re.compile(r"^[0-9a-f-]{36}$")


def routes(console: Console, app: FastAPI) -> None:
    """Add the vehicle routes."""
    ctx = console.ctx
    reports = Reports(ctx.reader)

    def crops_dir() -> Path | None:
        anpr = ctx.settings().anpr
        return Path(anpr.plate_crops_dir) if anpr.store_plate_crops else None

    @app.get("/vehicles")
    async def vehicles_page(request: Request, day: str | None = Query(None, alias="date",
                                                                     max_length=40),
                            plate: str = Query("", max_length=20)) -> Response:
        tz = ctx.settings().site.timezone
        when = _day(day, tz)
        query = re.sub(r"[^A-Za-z0-9]", "", plate).upper()
        rows = reports.vehicles(when, tz, query)
        root = crops_dir()
        for r in rows:
            r["crop"] = bool(root and r["vehicle_uid"]
                             and (root / f"{r['vehicle_uid']}.jpg").exists())
        return console.render(request, "vehicles.html", rows=rows, day=when.isoformat(),
                              plate=query, lists=ctx.reader.plate_lists(),
                              anpr_on=ctx.settings().anpr.enabled, tz=tz)

    @app.get("/vehicles/{vehicle_uid}/plate.jpg")
    def plate_crop(vehicle_uid: str) -> Response:
        root = crops_dir()
        path = root / f"{vehicle_uid}.jpg" if root and UID.match(vehicle_uid) else None
        if path is None or not path.is_file():
            return JSONResponse({"error": "no plate crop stored for this vehicle"},
                                status_code=404)
        return FileResponse(path, media_type="image/jpeg")

    @app.post("/vehicles/lists")
    async def list_plate(request: Request) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        which = text(form, "list", max_len=10)
        plate = text(form, "plate", max_len=40)
        back = f"/vehicles?date={text(form, 'date', max_len=10)}"
        try:
            if which == "remove":
                p = remove_plate(ctx.run_write, plate)
                message = f"{p}: taken off its list"
            else:
                p = put_plate(ctx.run_write, plate, which, text(form, "note", max_len=200))
                message = f"{p}: on the {which} list"
        except PlateListError as exc:
            raise FormError(422, str(exc)) from None
        ctx.plates_changed()
        return console.done(back, f"{message}; the daemon applies it to the next read")
