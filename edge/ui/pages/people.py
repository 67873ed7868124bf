"""People: employees, enrolment by uploaded photos (the gate's verdict per photo is shown
before anything is stored), removal.

Uploaded photos are biometric data: they stay in memory only, for at most ``STAGE_S``
seconds between the verdict and the enrolment, and every page that shows them is sent with
``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from edge.api.decode import FrameError, decode_image
from edge.identity.enroll import EMPLOYEE_ID, EnrollmentError
from edge.identity.gallery import Gallery
from edge.ui.auth import CSRF_FIELD, require_change
from edge.ui.forms import FormError, read_form, text

if TYPE_CHECKING:
    from edge.ui.app import Console

STAGE_S = 600.0
MAX_PHOTOS = 10
MAX_STAGED = 16


@dataclass
class Verdict:
    """One uploaded photo and what the face gate said of it."""

    label: str
    ok: bool
    reason: str
    thumb: str
    """``data:`` URL of a small JPEG copy (shown on the no-store verdict page only)."""
    image: np.ndarray | None


@dataclass
class Staged:
    """Photos checked and waiting for the operator's go-ahead."""

    employee_id: str
    name: str
    group: str
    verdicts: list[Verdict]
    expires: float


class Staging:
    """Checked uploads by a random key, forgotten after ``STAGE_S`` seconds."""

    def __init__(self) -> None:
        self._items: dict[str, Staged] = {}
        self._lock = threading.Lock()

    def put(self, staged: Staged) -> str:
        """Keep ``staged``; return its key."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v.expires > now}
            while len(self._items) >= MAX_STAGED:
                self._items.pop(next(iter(self._items)))
            self._items[key] = staged
        return key

    def take(self, key: str) -> Staged | None:
        """Remove and return the staged photos, or None when gone or expired."""
        with self._lock:
            staged = self._items.pop(key, None)
        return staged if staged is not None and staged.expires > time.monotonic() else None


def thumbnail(image: np.ndarray, width: int = 160) -> str:
    """A small JPEG of ``image`` as a ``data:`` URL."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode() if ok else ""


def routes(console: Console, app: FastAPI) -> None:
    """Add the people routes."""
    ctx = console.ctx
    staging = Staging()
    gallery = Gallery(ctx.reader.path)

    def page(request: Request, status: int = 200, **values: object) -> Response:
        return console.render(request, "people.html", code=status, no_store=True,
                              employees=gallery.employees(),
                              faces_on=ctx.check_photo is not None, **values)

    @app.get("/people")
    async def people_page(request: Request) -> Response:
        return page(request)

    @app.post("/people/check")
    async def check(request: Request) -> Response:
        form = await read_form(request, console.cfg.max_upload_bytes, max_files=MAX_PHOTOS)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        if ctx.check_photo is None:
            raise FormError(503, "enrolment unavailable: the face engine is not installed")
        employee_id = text(form, "employee_id", max_len=64)
        name = text(form, "name", max_len=200)
        group = text(form, "group", max_len=64) or "default"
        errors = {}
        if not EMPLOYEE_ID.match(employee_id):
            errors["employee_id"] = "1-64 letters, digits, _ . or -"
        if not name:
            errors["name"] = "must not be empty"
        uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            errors["photos"] = "choose at least one photo"
        if errors:
            return page(request, 422, errors=errors,
                        form={"employee_id": employee_id, "name": name, "group": group})
        verdicts = []
        max_pixels = ctx.settings().api.max_pixels
        for upload in uploads[:MAX_PHOTOS]:
            label = (upload.filename or "photo")[:80]
            try:
                image = decode_image(await upload.read(), max_pixels, label)
            except FrameError as exc:
                verdicts.append(Verdict(label, False, exc.message, "", None))
                continue
            ok, reason = ctx.check_photo(image)
            verdicts.append(Verdict(label, ok, reason or "one good face", thumbnail(image),
                                    image if ok else None))
        key = staging.put(Staged(employee_id, name, group, verdicts,
                                 time.monotonic() + STAGE_S))
        return page(request, staged=key, verdicts=verdicts,
                    form={"employee_id": employee_id, "name": name, "group": group},
                    accepted=sum(v.ok for v in verdicts))

    @app.post("/people/enroll")
    async def enroll(request: Request) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        staged = staging.take(text(form, "staged", max_len=64))
        if staged is None:
            raise FormError(410, "those photos are gone (checked more than 10 minutes ago, "
                                 "or already used): upload them again")
        photos = [(v.label, v.image) for v in staged.verdicts if v.ok and v.image is not None]
        if not photos or ctx.enroll is None:
            raise FormError(422, "no photo passed the face check; nothing was stored")
        try:
            total = ctx.enroll(staged.employee_id, staged.name, staged.group, photos)
        except (EnrollmentError, RuntimeError) as exc:
            raise FormError(422, f"not enrolled: {exc}") from None
        return console.done("/people", f"enrolled {staged.employee_id} ({staged.name}): "
                                       f"{len(photos)} photo(s) added, {total} on file")

    @app.post("/people/remove")
    async def remove(request: Request) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        employee_id = text(form, "employee_id", max_len=64)
        if ctx.remove_employee is None:
            raise FormError(503, "removal unavailable in this daemon")
        try:
            removed = ctx.remove_employee(employee_id)
        except RuntimeError as exc:
            raise FormError(503, f"not removed: {exc}") from None
        if not removed:
            raise FormError(404, f"no employee {employee_id!r}")
        return console.done("/people", f"removed {employee_id} and all of their face data")
