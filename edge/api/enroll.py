"""``POST /api/enroll-employee``: bearer-protected, calls the same enrolment as the CLI."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from edge.api.body import BodyError, read_json
from edge.api.decode import FrameError, decode_frame
from edge.api.schemas import ErrorResponse

ENROLL_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 413, 415, 422, 503)}


class EnrollRequest(BaseModel):
    """The seed's enrolment body."""

    employee_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    employee_name: str = Field(min_length=1, max_length=200)
    frame: str = Field(min_length=1, description="Base64 JPEG or PNG with exactly one face")


class EnrollResponse(BaseModel):
    """The seed's enrolment answer."""

    success: bool
    message: str
    employee_id: str


def token_ok(header: str | None, expected: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer <token>`` header."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].encode(), expected.encode())


def enroll_router(services: Any, error: Any) -> APIRouter:
    """Routes for enrolment; ``services.enroll`` and ``services.api_token`` come from the app."""
    router = APIRouter()

    @router.post("/api/enroll-employee", response_model=EnrollResponse, responses=ENROLL_ERRORS,
                 summary="Enrol an employee from one frame (bearer token required)",
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": EnrollRequest.model_json_schema()}}}})
    async def enroll(request: Request) -> Any:
        if not services.api_token:
            return error(403, "enrolment disabled: no API token configured "
                              "(set the variable named by api.token_env)")
        if not token_ok(request.headers.get("authorization"), services.api_token):
            return error(401, "missing or wrong bearer token",
                         headers={"WWW-Authenticate": "Bearer"})
        try:
            req = await read_json(request, EnrollRequest, services.max_body_bytes)
        except BodyError as exc:
            return error(exc.status, exc.message)
        try:
            image = decode_frame(req.frame, services.max_pixels)
        except FrameError as exc:
            return error(exc.status, f"invalid frame: {exc.message}")
        if services.enroll is None:
            return error(503, "enrolment unavailable: face engine not installed")
        from edge.identity.enroll import EnrollmentError

        try:
            result = services.enroll(req.employee_id, req.employee_name, image)
        except EnrollmentError as exc:
            return error(400, f"not enrolled: {exc}")
        return EnrollResponse(success=True, employee_id=result.employee_id,
                              message=f"Employee {req.employee_name} enrolled "
                                      f"({result.faces_total} face(s) on file)")

    return router
