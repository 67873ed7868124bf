"""Reading console forms with limits: size, time, field count, encoding.

Hostile bodies (huge, slow, deeply nested, wrongly encoded) get a clear 4xx, never a 5xx.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
READ_TIMEOUT_S = 30.0
"""A sender slower than this for the whole body is cut off (408)."""


class FormError(Exception):
    """The form cannot be used; ``status`` and ``message`` are shown to the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FormError(413, f"the form is {int(declared)} bytes, over the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise FormError(413, f"the form is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, max_bytes: int, *, max_files: int = 20,
                    max_fields: int = 200) -> FormData:
    """The request's form, parsed once its body is in.

    Raises:
        FormError: 415 not a form, 413 too large, 408 too slow, 400 unparsable.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in FORM_TYPES:
        raise FormError(415, f"expected a form ({' or '.join(FORM_TYPES)}), "
                             f"got {ctype or 'no content type'}")
    try:
        body = await asyncio.wait_for(_read_capped(request, max_bytes), READ_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise FormError(408, f"the form took longer than {READ_TIMEOUT_S:g}s to arrive") from None
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=max_files,
                                                         max_fields=max_fields)
    except Exception as exc:  # multipart and url-decoding errors share no public base
        raise FormError(400, f"the form cannot be read: {exc}") from None


def text(form: FormData, name: str, *, max_len: int = 200, default: str = "") -> str:
    """A text field, stripped; FormError when it is a file or too long."""
    value = form.get(name, default)
    if isinstance(value, UploadFile):
        raise FormError(400, f"{name}: expected text, got a file")
    value = str(value).strip()
    if len(value) > max_len:
        raise FormError(400, f"{name}: at most {max_len} characters")
    return value


def integer(form: FormData, name: str, *, low: int = 0, high: int = 100_000) -> int:
    """An integer field in ``[low, high]``; FormError naming it otherwise."""
    raw = text(form, name, max_len=12)
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        raise FormError(422, f"{name}: not a whole number: {raw!r}") from None
    if not low <= value <= high:
        raise FormError(422, f"{name}: must be between {low} and {high}, got {value}")
    return value


def validator_errors(message: str, field_of: re.Pattern[str]) -> dict[str, str]:
    r"""Validator lines (``FILE: cameras[0].lines[1].start: msg``) by form field: the first
    group of ``field_of`` that matched the line's location (or its whole match), else
    ``general``; several messages for one field are joined with ``; ``.

    >>> validator_errors("c.yaml: cameras[0].zones[2].dwell_s: Input should be > 0",
    ...                  re.compile(r"zones\[\d+\]\.(\w+)"))
    {'dwell_s': 'Input should be > 0'}
    """
    out: dict[str, str] = {}
    for line in message.splitlines():
        parts = line.split(": ", 2)
        where, msg = (parts[1], parts[2]) if len(parts) == 3 else ("", line)
        m = field_of.search(where)
        key = (m.group(1) or m.group(0)) if m else "general"
        out[key] = f"{out[key]}; {msg}" if key in out else msg
    return out

