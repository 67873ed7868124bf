"""Reading a JSON request body with the shim's limits, into a pydantic model."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class BodyError(Exception):
    """The body cannot be used; ``status`` and ``message`` go into the JSON error.

    ``field`` names the offending field for validation errors ("" otherwise).
    """

    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


async def read_json(request: Request, model: type[M], max_bytes: int) -> M:
    """Check content type and size, parse JSON, validate into ``model``.

    Raises:
        BodyError: 415 wrong content type, 413 too large, 400 not JSON, 422 invalid fields.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise BodyError(415, f"content type must be application/json, got {ctype or 'none'}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyError(413, f"body of {declared} bytes is over the limit of {max_bytes}")
    body = await request.body()
    if len(body) > max_bytes:
        raise BodyError(413, f"body of {len(body)} bytes is over the limit of {max_bytes}")
    try:
        return model.model_validate(json.loads(body or b"null"))
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"body is not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise BodyError(400, "body is not valid JSON: not UTF-8 text") from None
    except RecursionError:
        # json.loads recurses once per nesting level: 100,000 brackets exhaust the stack.
        raise BodyError(400, "body is not valid JSON: nested too deeply") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BodyError(422, f"{where}: {first['msg']}", where) from None
