"""The camera page's zone editor: reading its form, naming the field of a validator message,
and the zones table (inside now, events of the last 24 hours).

The routes live with the camera page (``edge.ui.pages.cameras``); saving goes through
``edge.config.edit`` (``add_zone`` / ``replace_zone`` / ``remove_zone``, as ``edge zone``).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, get_args

from starlette.datastructures import FormData

from edge.config.base import CANONICAL_CLASSES
from edge.config.models import CameraConfig
from edge.config.zones import ZoneAnchor
from edge.store.queries import StoreReader
from edge.ui.forms import text, validator_errors

ZONE_FIELD_OF = re.compile(r"zones\[\d+\]\.(\w+)")
_POINT = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
MAX_POINTS_TEXT = 4000
"""The points field's longest accepted text (64 corners of ``12345,12345`` fit easily)."""


def zone_field_errors(message: str) -> dict[str, str]:
    """Validator lines (``FILE: cameras[0].zones[1].polygon: msg``) by zone form field.

    >>> zone_field_errors("c.yaml: cameras[0].zones[2].dwell_s: Input should be greater than 0")
    {'dwell_s': 'Input should be greater than 0'}
    >>> zone_field_errors("camera 'door' already has a zone 'plaza'")
    {'general': "camera 'door' already has a zone 'plaza'"}
    """
    return validator_errors(message, ZONE_FIELD_OF)


def parse_points(raw: str) -> tuple[list[list[int]], str | None]:
    """Corners from the form's text (``"0,288 768,288 768,576"``; spaces, newlines or ``;``
    between corners), rounded to whole pixels, and the error naming a bad one.

    >>> parse_points("0,288; 768.4, 288\\n768,576")
    ([[0, 288], [768, 288], [768, 576]], None)
    >>> parse_points("0,288 768")
    ([], "points: '768' is not X,Y")
    """
    raw = re.sub(r"\s*,\s*", ",", raw.strip())
    if not raw:
        return [], "points: draw the zone on the picture (at least 3 corners)"
    points = []
    for token in re.split(r"[;\s]+", raw):
        m = _POINT.fullmatch(token)
        if m is None:
            return [], f"points: {token[:40]!r} is not X,Y"
        x, y = float(m.group(1)), float(m.group(2))
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 1e6:
            return [], f"points: {token[:40]!r} is out of range"
        points.append([round(x), round(y)])
    if len(points) < 3:
        return [], f"points: a zone needs at least 3 corners, got {len(points)}"
    return points, None


def zone_from_form(form: FormData) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The zone the form describes, its field errors, and what to show the form again with.

    The zone is a ``ZoneConfig`` mapping in which defaults (no dwell, not restricted,
    ``person``, ``bottom_center``) are ``None``: ``add_zone`` leaves them out of the file and
    ``replace_zone`` removes them there.
    """
    errors: dict[str, str] = {}
    raw_points = text(form, "points", max_len=MAX_POINTS_TEXT)
    polygon, bad = parse_points(raw_points)
    if bad:
        errors["polygon"] = bad
    classes = [str(c) for c in form.getlist("zone_classes") if isinstance(c, str)]
    unknown = sorted(set(classes) - set(CANONICAL_CLASSES))
    if unknown:
        errors["classes"] = f"unknown class(es) {unknown}; one of {list(CANONICAL_CLASSES)}"
    anchor = text(form, "anchor", max_len=20) or "bottom_center"
    if anchor not in get_args(ZoneAnchor):
        errors["anchor"] = f"{anchor!r} is not one of {', '.join(get_args(ZoneAnchor))}"
    raw_dwell = text(form, "dwell_s", max_len=12)
    dwell: float | None = None
    if raw_dwell:
        try:
            dwell = float(raw_dwell)
        except ValueError:
            errors["dwell_s"] = f"not a number: {raw_dwell!r}"
        else:
            if not math.isfinite(dwell):
                errors["dwell_s"] = f"not a number: {raw_dwell!r}"
            elif dwell.is_integer():
                dwell = int(dwell)  # written as 10, not 10.0
    restricted = text(form, "restricted", max_len=5) in ("on", "true", "1")
    classes = classes or ["person"]
    zone = {"id": text(form, "zone_id", max_len=64), "polygon": polygon,
            "classes": None if classes == ["person"] else classes,
            "anchor": None if anchor == "bottom_center" else anchor,
            "dwell_s": dwell if "dwell_s" not in errors else None,
            "restricted": True if restricted else None}
    shown = {"id": zone["id"], "points": raw_points, "classes": classes, "anchor": anchor,
             "dwell_s": raw_dwell, "restricted": restricted,
             "original_id": text(form, "original_zone_id", max_len=64)}
    return zone, errors, shown


def outside_picture(polygon: list[list[int]], width: int, height: int) -> dict[str, str]:
    """An error for corners beyond the camera's picture (when its size is known)."""
    if not (width and height):
        return {}
    out = [f"({x}, {y})" for x, y in polygon if x > width or y > height]
    if not out:
        return {}
    return {"polygon": f"{', '.join(out[:3])} lies outside the {width}x{height} picture"}


def zones_json(cam: CameraConfig) -> list[dict[str, Any]]:
    """The camera's zones for the editor's script."""
    return [{"id": z.id, "polygon": [list(p) for p in z.polygon], "classes": list(z.classes),
             "anchor": z.anchor, "dwell_s": z.dwell_s, "restricted": z.restricted}
            for z in cam.zones]


def zone_rows(cam: CameraConfig, inside: dict[str, int],
              reader: StoreReader) -> list[dict[str, Any]]:
    """One row per zone: its settings, tracks inside now (None while the camera's step has
    not run), and its dwell and restricted-entry events of the last 24 hours."""
    since = (datetime.now(timezone.utc) - timedelta(hours=24)).isoformat()
    events = reader.zone_event_counts(since) if cam.zones else {}
    return [{"id": z.id, "restricted": z.restricted, "dwell_s": z.dwell_s,
             "classes": list(z.classes), "inside": inside.get(z.id),
             "dwell_24h": events.get((cam.id, z.id), {}).get("dwell", 0),
             "restricted_24h": events.get((cam.id, z.id), {}).get("restricted_entry", 0)}
            for z in cam.zones]
