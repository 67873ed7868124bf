"""FastAPI app: the legacy ``/api/process`` route and read-only status routes.

No business logic lives here: frames go to :class:`SingleFrameProcessor` (the same per-camera
step as live cameras), status comes from the daemon's objects and the store's read queries.
Every error is a JSON :class:`ErrorResponse`; nothing answers with a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from starlette.exceptions import HTTPException as StarletteHTTPException

from edge.api.body import BodyError, read_json
from edge.api.decode import FrameError, decode_frame
from edge.api.enroll import enroll_router
from edge.api.schemas import (
    CameraStatus,
    ErrorResponse,
    OccupancyStatus,
    Page,
    Performance,
    ProcessRequest,
    ProcessResponse,
    ReadyResponse,
)
from edge.capture.camera import CameraCapture
from edge.pipeline.services import Ticket
from edge.pipeline.single import SingleFrameProcessor, TooManyVirtualCameras
from edge.pipeline.step import SiteOccupancy
from edge.store.queries import StoreReader

log = logging.getLogger(__name__)


@dataclass
class ApiServices:
    """What the routes read from; filled in by the composition root as things come up."""

    site: SiteOccupancy
    reader: StoreReader
    max_body_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 4096 * 4096
    processor: SingleFrameProcessor | None = None
    cameras: dict[str, CameraCapture] = field(default_factory=dict)
    live_counts: Any = None
    """Callable returning {camera_id: {occupancy, entries, exits}} for live cameras."""
    writer_alive: Any = lambda: False
    inference_alive: Any = lambda: False
    api_token: str | None = None
    enroll: Any = None
    """Callable (employee_id, name, BGR image) -> EnrollResult, or None without a face engine."""
    answer_wait_s: float = 2.0
    """Longest ``/api/process`` waits for one service's answers for its frame."""


async def collect(ticket: Ticket | None, wait_s: float) -> tuple[list[dict[str, Any]], float,
                                                                  str | None]:
    """A service's answers for one frame in the legacy shape, waiting at most ``wait_s``.

    Returns:
        (answers as dicts, milliseconds waited, warning or None). Answers not in by the
        deadline are left out and named in the warning; the camera state is unaffected.
    """
    if ticket is None:
        return [], 0.0, None
    t0 = time.perf_counter()
    if not ticket.done:
        await asyncio.get_running_loop().run_in_executor(None, ticket.wait, wait_s)
    warning = ticket.warning
    if not ticket.done:
        warning = warning or f"some answers took longer than {wait_s:g}s and are left out"
    answers = [a.to_legacy() for a in list(ticket.answers)]
    return answers, (time.perf_counter() - t0) * 1000, warning


def error(status: int, message: str, details: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response in the one error shape."""
    return JSONResponse(ErrorResponse(error=message, details=details).model_dump(
        exclude_none=True), status_code=status, headers=headers)


class BadQuery(Exception):
    """A query parameter that parsed but means nothing (answered with 422)."""


def parse_time(name: str, value: str | None) -> str | None:
    """Validate an ISO-8601 date-time query value; return it normalised, or None."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise BadQuery(f"{name}: not an ISO-8601 date-time: {value!r}") from None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 413, 415, 422, 429, 503)}


def camera_status(cam: CameraCapture) -> CameraStatus:
    """Health of one live camera."""
    h = cam.health
    return CameraStatus(id=cam.camera_id, up=h.up, frames=h.frames, reconnects=h.reconnects,
                        decode_fps=round(h.decode_fps, 2), width=h.width, height=h.height,
                        seconds_since_frame=h.seconds_since_frame(), last_error=h.last_error)


def create_app(services: ApiServices) -> FastAPI:
    """Build the app around ``services``."""
    app = FastAPI(title="edge daemon API", version="1", docs_url=None, redoc_url=None)
    app.mount("/metrics", make_asgi_app())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return error(422, f"{where}: {first['msg']}" if where else str(first["msg"]))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(BadQuery)
    async def _bad_query(_req: Request, exc: BadQuery) -> JSONResponse:
        return error(422, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("API request failed")
        return error(500, f"internal error: {type(exc).__name__}")

    def checks() -> dict[str, bool]:
        return {"models_loaded": services.processor is not None,
                "writer_alive": bool(services.writer_alive()),
                "inference_alive": bool(services.inference_alive())}

    def not_ready() -> JSONResponse:
        return error(503, "pipeline not initialised", {"check_items": checks()})

    @app.post("/api/process", response_model=ProcessResponse, response_model_exclude_none=True,
              responses=ERRORS, summary="Process one frame (legacy contract)",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": ProcessRequest.model_json_schema()}
              }}})
    async def process(request: Request) -> Any:
        t_start = time.perf_counter()
        try:
            req = await read_json(request, ProcessRequest, services.max_body_bytes)
        except BodyError as exc:
            # The legacy contract calls a missing or malformed frame an invalid frame (400).
            if exc.field in {"frame", "body"}:
                return error(400, f"invalid frame: {exc.message}")
            if exc.field:
                return error(exc.status, f"invalid frame: {exc.message}")
            return error(exc.status, exc.message)
        t_decode = time.perf_counter()
        try:
            image = decode_frame(req.frame, services.max_pixels)
        except FrameError as exc:
            return error(exc.status, f"invalid frame: {exc.message}")
        decoding_ms = (time.perf_counter() - t_decode) * 1000
        if services.processor is None:
            return not_ready()
        try:
            result, timings, tickets = services.processor.process(req.camera_id, image)
        except TooManyVirtualCameras as exc:
            return error(429, str(exc))
        faces, face_ms, face_warning = await collect(tickets.get("identity"),
                                                     services.answer_wait_s)
        plates, plate_ms, plate_warning = await collect(tickets.get("anpr"),
                                                        services.answer_wait_s)
        resp = ProcessResponse(
            frame_id=result.frame_seq, timestamp=result.ts.isoformat(),
            occupancy=result.occupancy, entries=result.entries, exits=result.exits,
            entries_this_frame=result.entries_this_frame,
            exits_this_frame=result.exits_this_frame, faces_recognized=faces,
            vehicles_detected=plates, people_count=result.people_count,
            vehicle_count=result.vehicle_count,
            processing_time_ms=round((time.perf_counter() - t_start) * 1000, 2),
            performance=Performance(
                decoding_time_ms=round(decoding_ms, 2),
                yolo_inference_ms=round(timings.inference_ms, 2),
                face_processing_ms=round(face_ms, 2), vehicle_processing_ms=round(plate_ms, 2),
                database_write_ms=round(timings.database_ms, 2)),
            note=None if len(result.detections) else "no people or vehicles in this frame",
            warning="; ".join(w for w in (face_warning, plate_warning) if w) or None)
        return resp

    app.include_router(enroll_router(services, error))

    @app.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
    async def readyz() -> Any:
        items = checks()
        body = ReadyResponse(ready=all(items.values()), **items,
                             cameras=[camera_status(c) for c in services.cameras.values()])
        return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)

    @app.get("/api/cameras", response_model=list[CameraStatus])
    async def cameras() -> Any:
        return [camera_status(c) for c in services.cameras.values()]

    @app.get("/api/occupancy", response_model=OccupancyStatus)
    async def occupancy() -> Any:
        counts = dict(services.live_counts() if services.live_counts else {})
        if services.processor is not None:
            for cam_id, pipe in services.processor.pipelines.items():
                counts[cam_id] = pipe.counts()
        return OccupancyStatus(site_occupancy=services.site.value, cameras=counts)

    @app.get("/api/attendance", response_model=Page, responses=ERRORS)
    async def attendance(day: str | None = Query(None, alias="date",
                                                 json_schema_extra={"format": "date"},
                                                 description="YYYY-MM-DD (UTC); today if unset")
                         ) -> Any:
        try:
            today = datetime.now(timezone.utc).date()
            when = date.fromisoformat(day) if day is not None else today
        except ValueError:
            raise BadQuery(f"date: not a calendar date: {day!r}") from None
        return Page(items=services.reader.attendance(when.isoformat()), next_after_id=None)

    @app.get("/api/vehicles", response_model=Page, responses=ERRORS)
    async def vehicles(since: str | None = Query(None, description="ISO-8601 date-time",
                                              json_schema_extra={"format": "date-time"}),
                       plate: str | None = Query(None, max_length=20),
                       after_id: int = Query(0, ge=0, le=2**62),
                       limit: int = Query(100, ge=1, le=1000)) -> Any:
        rows = services.reader.vehicles(parse_time("since", since), plate, limit, after_id)
        return Page(items=rows, next_after_id=rows[-1]["id"] if len(rows) == limit else None)

    @app.get("/api/events", response_model=Page, responses=ERRORS)
    async def events(since: str | None = Query(None, description="ISO-8601 date-time",
                                              json_schema_extra={"format": "date-time"}),
                     after_id: int = Query(0, ge=0, le=2**62),
                     limit: int = Query(100, ge=1, le=1000)) -> Any:
        rows = services.reader.events(parse_time("since", since), after_id, limit)
        return Page(items=rows, next_after_id=rows[-1]["id"] if len(rows) == limit else None)

    return app
