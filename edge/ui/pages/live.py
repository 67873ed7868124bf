"""Live: one tile per camera with its newest annotated picture and its state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from edge.ui.status import camera_states

if TYPE_CHECKING:
    from edge.ui.app import Console

FIRST_WAIT_S = 1.0


def routes(console: Console, app: FastAPI) -> None:
    """Add the live routes."""
    ctx = console.ctx

    @app.get("/live")
    async def live_page(request: Request) -> Response:
        return console.render(request, "live.html", cameras=camera_states(ctx),
                              site_occupancy=ctx.site_occupancy())

    @app.get("/live/tiles")
    async def tiles_fragment(request: Request) -> Response:
        """The tiles' captions (htmx refreshes them)."""
        return console.render(request, "_tile_status.html", cameras=camera_states(ctx),
                              site_occupancy=ctx.site_occupancy())

    @app.get("/live/{camera_id}.jpg")
    async def picture(camera_id: str, lines: int = Query(1, ge=0, le=1)) -> Response:
        """The camera's newest annotated picture. An encoded picture younger than the
        rate cap is answered at once; drawing and encoding run on a worker thread."""
        if ctx.camera(camera_id) is None:
            return JSONResponse({"error": f"no camera {camera_id!r}"}, status_code=404)
        got = ctx.live.cached(camera_id, lines=bool(lines))
        if got is None:
            got = await run_in_threadpool(first_picture, camera_id, bool(lines))
        if got is None:
            return JSONResponse({"error": f"camera {camera_id} has no processed frame yet"},
                                status_code=503, headers={"Retry-After": "1"})
        jpeg, seq = got
        return Response(jpeg, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store", "X-Frame-Seq": str(seq)})

    def first_picture(camera_id: str, lines: bool) -> tuple[bytes, int] | None:
        got = ctx.live.jpeg(camera_id, lines=lines)
        deadline = time.monotonic() + FIRST_WAIT_S
        while got is None and time.monotonic() < deadline:
            # Frames are kept only while someone watches: the first request waits for one.
            time.sleep(0.05)
            got = ctx.live.jpeg(camera_id, lines=lines)
        return got
