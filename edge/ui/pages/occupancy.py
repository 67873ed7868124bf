"""Occupancy: now per camera and for the site, today's entries and exits per hour, resets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from edge.store.reports import Reports, hourly, local_today
from edge.ui.auth import CSRF_FIELD, require_change
from edge.ui.forms import FormError, read_form, text
from edge.ui.status import camera_states

if TYPE_CHECKING:
    from edge.ui.app import Console


def routes(console: Console, app: FastAPI) -> None:
    """Add the occupancy routes."""
    ctx = console.ctx
    reports = Reports(ctx.reader)

    def occupancy_lines() -> set[tuple[str, str]]:
        return {(c.id, ln.id) for c in ctx.settings().cameras for ln in c.lines
                if ln.counts_occupancy}

    @app.get("/occupancy")
    async def occupancy_page(request: Request) -> Response:
        tz = ctx.settings().site.timezone
        per_hour = hourly(reports.crossings(local_today(tz), tz), tz, occupancy_lines())
        return console.render(request, "occupancy.html", cameras=camera_states(ctx),
                              site_occupancy=ctx.site_occupancy(),
                              resets=ctx.reader.occupancy_resets(20),
                              today=local_today(tz).isoformat(), tz=tz,
                              entries_today=sum(per_hour["entries"]),
                              exits_today=sum(per_hour["exits"]))

    @app.get("/occupancy/hourly.json")
    async def hourly_json() -> Response:
        """Today's entries and exits per local hour, on lines that count occupancy."""
        tz = ctx.settings().site.timezone
        day = local_today(tz)
        return JSONResponse({"date": day.isoformat(), "timezone": tz, "hours": list(range(24)),
                             **hourly(reports.crossings(day, tz), tz, occupancy_lines())})

    @app.post("/occupancy/reset")
    async def reset(request: Request) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        camera = text(form, "camera_id", max_len=64) or None
        note = text(form, "note", max_len=200)
        if camera is not None and ctx.camera(camera) is None:
            raise FormError(422, f"camera_id: no camera {camera!r}")
        try:
            events = ctx.reset_occupancy(camera, "console", note)
        except KeyError as exc:
            raise FormError(422, f"camera_id: {exc.args[0]}") from None
        except RuntimeError as exc:
            raise FormError(503, f"not reset: {exc}") from None
        what = ", ".join(f"{e.camera_id} {e.previous_occupancy}→{e.occupancy}" for e in events)
        return console.done("/occupancy", f"occupancy reset: {what or 'no running camera'}")
