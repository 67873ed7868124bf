"""Health: cameras, inference, store and sync backlogs, identity spend, disk, version."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

import edge
from edge.store.reports import Reports, local_today
from edge.store.retention import DiskGuard
from edge.ui.status import camera_states

if TYPE_CHECKING:
    from edge.ui.app import Console
    from edge.ui.context import ConsoleContext

BREAKER = {0: "closed (calls go through)", 1: "half-open (one trial call)",
           2: "open (calls refused)"}


def sync_state(ctx: ConsoleContext) -> list[dict[str, Any]]:
    """Each sink's backlog, oldest unsent row, last send and last error."""
    settings = ctx.settings()
    if not settings.sync.enabled:
        return []
    from edge.store.outbox import Outbox

    return [s for s in Outbox(settings.storage.path, ctx.run_write).status() if "sink" in s]


def identity_state(ctx: ConsoleContext) -> dict[str, Any] | None:
    """Calls and cost today, cache use, backend, breaker and budget; None when off."""
    settings = ctx.settings()
    if not settings.identity.enabled:
        return None
    tz = settings.site.timezone
    out: dict[str, Any] = {"backend": settings.identity.backend,
                           **Reports(ctx.reader).identity_today(local_today(tz), tz)}
    service = ctx.services().get("identity")
    if service is not None:
        breaker = getattr(service, "breaker", None)
        state = getattr(breaker, "state", None)
        out["breaker"] = BREAKER.get(int(state), str(state)) if state is not None else "n/a"
        budget = getattr(service, "budget", None)
        out["budget"] = budget.used() if budget is not None else {}
    return out


def health(ctx: ConsoleContext) -> dict[str, Any]:
    """Everything the health page shows, as plain data (also served as JSON)."""
    settings = ctx.settings()
    db = settings.storage.path
    guard = DiskGuard(db, settings.storage.min_free_disk_mb)
    free = guard.free_mb()
    return {
        "version": edge.__version__,
        "cameras": [c.__dict__ for c in camera_states(ctx)],
        "inference_fps": round(ctx.loop_fps(), 2),
        "store_backlog": ctx.store_backlog(),
        "db_mb": round(os.path.getsize(db) / 2**20, 1) if os.path.exists(db) else 0.0,
        "sync": sync_state(ctx),
        "identity": identity_state(ctx),
        "anpr": settings.anpr.enabled,
        "disk_free_mb": round(free, 0),
        "disk_low": free < settings.storage.min_free_disk_mb,
        "min_free_disk_mb": settings.storage.min_free_disk_mb,
    }


def routes(console: Console, app: FastAPI) -> None:
    """Add the health routes."""
    ctx = console.ctx

    @app.get("/health")
    def health_page(request: Request) -> Response:
        return console.render(request, "health.html", h=health(ctx))

    @app.get("/health/panel")
    def health_panel(request: Request) -> Response:
        """The page's body (htmx refreshes it)."""
        return console.render(request, "_health_panel.html", h=health(ctx))

    @app.get("/health.json")
    def health_json() -> Response:
        return JSONResponse(health(ctx))
