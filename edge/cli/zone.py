"""``edge zone add|list|remove``: a camera's polygon zones, edited in ``cameras.yaml``.

Edits go through :mod:`edge.config.edit` like ``edge line``: validated with the daemon's
models before an atomic write that keeps comments, so a refused edit leaves the file
byte-identical. A running daemon applies them on reload (SIGHUP).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, get_args

import typer

from edge.cli.common import config_option, settings_or_exit
from edge.config.base import CANONICAL_CLASSES
from edge.config.edit import Change, ConfigEditError, add_zone, edit_config, remove_zone
from edge.config.zones import ZoneAnchor, ZoneConfig

zone_app = typer.Typer(help="Polygon zones of a camera: who is inside, dwell, restricted "
                            "areas.", no_args_is_help=True)

ConfigOpt = config_option()
RELOAD_HINT = "a running daemon applies it on reload (systemctl reload edge, or kill -HUP)"
EVENT_KINDS = ("dwell", "restricted_entry")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"edge: {message}", err=True)
    return typer.Exit(code)


def parse_point(raw: str) -> list[int]:
    """``"x,y"`` (whole pixels, full-frame) as ``[x, y]``.

    >>> parse_point(" 768, 288")
    [768, 288]

    Raises:
        ValueError: naming the point when it is not two whole numbers.
    """
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 2 or not all(p.lstrip("-").isdigit() for p in parts):
        raise ValueError(f"--point {raw!r}: expected X,Y in whole pixels, such as 768,288")
    return [int(parts[0]), int(parts[1])]


def _classes(raw: str) -> list[str]:
    names = [c.strip() for c in raw.split(",") if c.strip()]
    unknown = sorted(set(names) - set(CANONICAL_CLASSES))
    if not names or unknown:
        raise ValueError(f"--classes {raw!r}: unknown class(es) {unknown}; "
                         f"one or more of {', '.join(CANONICAL_CLASSES)}")
    return names


def _apply(config: Path, change: Change) -> None:
    try:
        typer.echo(f"{edit_config(config, change)}; {RELOAD_HINT}")
    except ConfigEditError as exc:
        raise _fail(f"not changed: {exc}", 1) from None


@zone_app.command("add")
def zone_add(
    camera: str = typer.Option(..., "--camera", help="Camera id."),
    zone_id: str = typer.Option(..., "--id", help="New zone id (letters, digits, _ . -)."),
    point: list[str] = typer.Option(..., "--point", help="X,Y of a corner in full-frame "
                                                         "pixels; 3 or more, in order."),
    dwell_s: float | None = typer.Option(None, "--dwell-s", help="An event when a track "
                                         "stays inside this many seconds (once per visit)."),
    restricted: bool = typer.Option(False, "--restricted", help="An event whenever a track "
                                    "enters (nobody of these classes belongs here)."),
    classes: str = typer.Option("person", "--classes", help="Comma-separated classes."),
    anchor: str = typer.Option("bottom_center", "--anchor", help="Point of a box that must "
                               f"be inside: {', '.join(get_args(ZoneAnchor))}."),
    config: Path = ConfigOpt,
) -> None:
    """Add a polygon zone to a camera (validated before the file is written).

    Example: edge zone add --camera pets --id plaza --point 0,288 --point 768,288
             --point 768,576 --point 0,576 --dwell-s 10
    """
    try:
        polygon = [parse_point(p) for p in point]
        kinds = _classes(classes)
    except ValueError as exc:
        raise _fail(f"not changed: {exc}", 2) from None
    if len(polygon) < 3:
        raise _fail(f"not changed: a zone needs at least 3 --point corners, got "
                    f"{len(polygon)}", 2)
    if anchor not in get_args(ZoneAnchor):
        raise _fail(f"not changed: --anchor {anchor!r}: one of "
                    f"{', '.join(get_args(ZoneAnchor))}", 2)
    zone: dict[str, Any] = {"id": zone_id, "polygon": polygon}
    if kinds != ["person"]:
        zone["classes"] = kinds
    if anchor != "bottom_center":
        zone["anchor"] = anchor
    if dwell_s is not None:
        zone["dwell_s"] = int(dwell_s) if dwell_s.is_integer() else dwell_s  # 10, not 10.0
    if restricted:
        zone["restricted"] = True
    _apply(config, add_zone(camera, zone))


def _zone_row(camera_id: str, zone: ZoneConfig,
              events: dict[tuple[str, str], dict[str, int]] | None) -> dict[str, Any]:
    counts = None if events is None else {
        k: events.get((camera_id, zone.id), {}).get(k, 0) for k in EVENT_KINDS}
    return {"camera_id": camera_id, "id": zone.id,
            "polygon": [list(p) for p in zone.polygon], "classes": list(zone.classes),
            "anchor": zone.anchor, "dwell_s": zone.dwell_s, "restricted": zone.restricted,
            "exit_grace_s": zone.exit_grace_s, "events_24h": counts}


@zone_app.command("list")
def zone_list(
    camera: str | None = typer.Option(None, "--camera", help="Only this camera's zones."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout (nothing else)."),
    config: Path = ConfigOpt,
) -> None:
    """List zones with their settings and, when the database exists, their dwell and
    restricted-entry events of the last 24 hours.

    Example: edge zone list --camera pets
    Example: edge zone list --json
    """
    from edge.store.queries import StoreReader

    settings = settings_or_exit(config)
    cameras = settings.cameras
    if camera is not None:
        cameras = [c for c in cameras if c.id == camera]
        if not cameras:
            raise _fail(f"no camera with id {camera!r} in {config}", 1)
    db = Path(settings.storage.path)
    events = None
    if db.exists():
        since = (datetime.now(timezone.utc) - timedelta(hours=24)).isoformat()
        events = StoreReader(db).zone_event_counts(since)
    rows = [_zone_row(c.id, z, events) for c in cameras for z in c.zones]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        rules = [f"dwell {r['dwell_s']:g}s" if r["dwell_s"] is not None else "no dwell"]
        if r["restricted"]:
            rules.append("restricted")
        got = r["events_24h"]
        seen = "no database" if got is None else \
            f"24h: {got['dwell']} dwell, {got['restricted_entry']} restricted_entry"
        typer.echo(f"{r['camera_id']:<12} {r['id']:<12} {len(r['polygon'])} points  "
                   f"{', '.join(rules)}  classes: {','.join(r['classes'])}  "
                   f"anchor: {r['anchor']}  {seen}")
    if not rows:
        typer.echo("no zones")


@zone_app.command("remove")
def zone_remove(camera: str = typer.Option(..., "--camera", help="Camera id."),
                zone_id: str = typer.Option(..., "--id", help="Zone id."),
                config: Path = ConfigOpt) -> None:
    """Remove a zone from a camera.

    Example: edge zone remove --camera pets --id plaza
    """
    _apply(config, remove_zone(camera, zone_id))
