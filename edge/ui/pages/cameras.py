"""Cameras: the list, and each camera's page with the line, zone and ROI editors.

Saving goes through ``edge.config.edit`` (the validated, comment-keeping, atomic YAML edit of
``edge line add``) and is then applied through the reload path, so a saved line counts at
once. A refused edit leaves the file as it was and shows the validator's message beside the
field it names.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, get_args

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from edge.config import CANONICAL_CLASSES, ConfigError, load_settings
from edge.config.edit import (
    Change,
    ConfigEditError,
    add_line,
    add_zone,
    edit_config,
    remove_line,
    remove_zone,
    replace_line,
    replace_zone,
    set_camera_key,
)
from edge.config.zones import ZoneAnchor
from edge.ui import zones as zone_forms
from edge.ui.auth import CSRF_FIELD, require_change
from edge.ui.forms import FormError, read_form, text, validator_errors
from edge.ui.status import camera_states

if TYPE_CHECKING:
    from edge.config.models import CameraConfig
    from edge.ui.app import Console

FIELD_OF = re.compile(r"lines\[\d+\]\.(\w+)|\broi\b")
_EDIT_LOCK = threading.Lock()
"""One console edit at a time (the file is read, changed and replaced)."""


def field_errors(message: str) -> dict[str, str]:
    """Validator lines (``FILE: cameras[0].lines[1].start: msg``) by form field.

    >>> field_errors("c.yaml: cameras[0].lines[2].id: String should match pattern")
    {'id': 'String should match pattern'}
    """
    return validator_errors(message, FIELD_OF)


def _number(form: FormData, name: str, errors: dict[str, str], key: str) -> int:
    raw = text(form, name, max_len=12)
    try:
        return round(float(raw))
    except (ValueError, OverflowError):
        errors[key] = f"{name}: not a number: {raw!r}" if raw else f"{name}: missing"
        return 0


def line_from_form(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The line the form describes, as a ``LineConfig`` mapping, and field errors."""
    errors: dict[str, str] = {}
    classes = [str(c) for c in form.getlist("classes") if isinstance(c, str)]
    unknown = sorted(set(classes) - set(CANONICAL_CLASSES))
    if unknown:
        errors["classes"] = f"unknown class(es) {unknown}; one of {list(CANONICAL_CLASSES)}"
    line = {
        "id": text(form, "id", max_len=64),
        "start": [_number(form, "x1", errors, "start"), _number(form, "y1", errors, "start")],
        "end": [_number(form, "x2", errors, "end"), _number(form, "y2", errors, "end")],
        "in_side": text(form, "in_side", max_len=10) or "right",
        "classes": classes or ["person"],
        "counts_occupancy": text(form, "counts_occupancy", max_len=5) in ("on", "true", "1"),
    }
    return line, errors


def outside_picture(line: dict[str, Any], width: int, height: int) -> dict[str, str]:
    """Errors for points beyond the camera's picture (when its size is known)."""
    errors = {}
    if width and height:
        for key in ("start", "end"):
            x, y = line[key]
            if x > width or y > height:
                errors[key] = f"({x}, {y}) lies outside the {width}x{height} picture"
    return errors


def routes(console: Console, app: FastAPI) -> None:
    """Add the camera routes."""
    ctx = console.ctx

    def page(request: Request, cam: CameraConfig, status: int = 200,
             errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
             roi_errors: dict[str, str] | None = None,
             zone_errors: dict[str, str] | None = None,
             zone_form: dict[str, Any] | None = None) -> Response:
        state = next((s for s in camera_states(ctx) if s.id == cam.id), None)
        lines = [{"id": ln.id, "start": list(ln.start), "end": list(ln.end),
                  "in_side": ln.in_side, "classes": list(ln.classes),
                  "counts_occupancy": ln.counts_occupancy} for ln in cam.lines]
        inside = ctx.zone_counts().get(cam.id, {})
        return console.render(
            request, "camera.html", code=status, cam=cam, state=state,
            lines_json=json.dumps(lines), roi_json=json.dumps(cam.roi),
            zones_json=json.dumps(zone_forms.zones_json(cam)),
            zones=zone_forms.zone_rows(cam, inside, ctx.reader),
            anchors=get_args(ZoneAnchor), zone_errors=zone_errors or {},
            zone_form=zone_form or {},
            classes=CANONICAL_CLASSES, errors=errors or {}, form=form or {},
            roi_errors=roi_errors or {}, editable=ctx.config_path is not None)

    def camera_or_404(camera_id: str) -> CameraConfig:
        cam = ctx.camera(camera_id)
        if cam is None:
            raise FormError(404, f"no camera {camera_id!r} in the configuration")
        return cam

    def save(change: Change) -> str:
        """Edit the YAML, then apply it live; the message says both."""
        if ctx.config_path is None:
            raise FormError(409, "this daemon was started without a config file to edit")
        with _EDIT_LOCK:
            message = edit_config(ctx.config_path, change)
            try:
                notes = ctx.apply_settings(load_settings(ctx.config_path))
            except (ConfigError, RuntimeError) as exc:
                return f"{message}; saved, but not applied yet: {exc}"
        live = [n for n in notes if "lines now" in n or "camera" in n]
        return f"{message}; applied live" + (f" ({'; '.join(live)})" if live else "")

    @app.get("/cameras")
    async def cameras_page(request: Request) -> Response:
        return console.render(request, "cameras.html", cameras=camera_states(ctx),
                              configs={c.id: c for c in ctx.settings().cameras})

    @app.get("/cameras/{camera_id}")
    async def camera_page(request: Request, camera_id: str) -> Response:
        return page(request, camera_or_404(camera_id))

    @app.post("/cameras/{camera_id}/lines")
    async def save_line(request: Request, camera_id: str) -> Response:
        form = await read_form(request, 64 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        cam = camera_or_404(camera_id)
        original = text(form, "original_id", max_len=64)
        line, errors = line_from_form(form)
        state = next((s for s in camera_states(ctx) if s.id == cam.id), None)
        if state is not None:
            errors.update(outside_picture(line, state.width, state.height))
        if not errors:
            change = replace_line(cam.id, original, line) if original \
                else add_line(cam.id, line)
            try:
                return console.done(f"/cameras/{cam.id}", save(change))
            except ConfigEditError as exc:
                errors = field_errors(str(exc))
        return page(request, cam, status=422, errors=errors,
                    form={**line, "original_id": original})

    async def delete(request: Request, camera_id: str, field: str,
                     remove: Callable[[str, str], Change], errors_key: str) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        cam = camera_or_404(camera_id)
        try:
            return console.done(f"/cameras/{cam.id}",
                                save(remove(cam.id, text(form, field, max_len=64))))
        except ConfigEditError as exc:
            return page(request, cam, status=422, **{errors_key: {"general": str(exc)}})

    @app.post("/cameras/{camera_id}/lines/delete")
    async def delete_line(request: Request, camera_id: str) -> Response:
        return await delete(request, camera_id, "line_id", remove_line, "errors")

    @app.post("/cameras/{camera_id}/roi")
    async def save_roi(request: Request, camera_id: str) -> Response:
        form = await read_form(request, 16 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        cam = camera_or_404(camera_id)
        errors: dict[str, str] = {}
        roi = None
        if text(form, "clear", max_len=5) != "1":
            roi = [_number(form, k, errors, "roi") for k in ("rx1", "ry1", "rx2", "ry2")]
        if not errors:
            try:
                return console.done(f"/cameras/{cam.id}",
                                    save(set_camera_key(cam.id, "roi", roi)))
            except ConfigEditError as exc:
                errors = {"roi": "; ".join(field_errors(str(exc)).values())}
        return page(request, cam, status=422, roi_errors=errors)

    @app.post("/cameras/{camera_id}/zones")
    async def save_zone(request: Request, camera_id: str) -> Response:
        form = await read_form(request, 64 * 1024)
        require_change(console.sessions, request, text(form, CSRF_FIELD, max_len=100))
        cam = camera_or_404(camera_id)
        zone, errors, shown = zone_forms.zone_from_form(form)
        state = next((s for s in camera_states(ctx) if s.id == cam.id), None)
        if state is not None and not errors:
            errors.update(zone_forms.outside_picture(zone["polygon"], state.width,
                                                     state.height))
        if not errors:
            original = shown["original_id"]
            change = replace_zone(cam.id, original, zone) if original \
                else add_zone(cam.id, zone)
            try:
                return console.done(f"/cameras/{cam.id}", save(change))
            except ConfigEditError as exc:
                errors = zone_forms.zone_field_errors(str(exc))
        return page(request, cam, status=422, zone_errors=errors, zone_form=shown)

    @app.post("/cameras/{camera_id}/zones/delete")
    async def delete_zone(request: Request, camera_id: str) -> Response:
        return await delete(request, camera_id, "zone_id", remove_zone, "zone_errors")
