"""``edge camera add|list|remove|set`` and ``edge line add|list|remove``: config edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from edge.cli.common import camera_or_exit, config_option, settings_or_exit
from edge.config.edit import (
    ConfigEditError,
    add_line,
    edit_config,
    find,
    remove_line,
    set_camera_key,
)

line_app = typer.Typer(help="Counting lines of a camera.", no_args_is_help=True)

ConfigOpt = config_option()

SETTABLE = {"url", "name", "substream_url", "enabled", "transport", "fps_cap",
            "open_timeout_s", "read_timeout_s", "attendance_point", "loop", "roi"}
UNSETTABLE = {"substream_url", "fps_cap", "roi", "name"}
"""Optional keys that ``null`` (or an empty value) removes."""


def _apply(config: Path, change: Any) -> None:
    try:
        typer.echo(edit_config(config, change))
    except ConfigEditError as exc:
        typer.echo(f"edge: not changed: {exc}", err=True)
        raise typer.Exit(1) from None


TEXT_KEYS = {"url", "name", "substream_url"}
"""Kept as typed: a camera named ``101`` or a URL stays a string."""


def _value(key: str, raw: str) -> Any:
    """The value for ``key`` from the command line: text keys as typed, others as a YAML
    scalar (``true``, ``12.5``, ``tcp``)."""
    if key in TEXT_KEYS:
        return raw
    from ruamel.yaml import YAML

    try:
        return YAML(typ="safe").load(raw)
    except Exception as exc:
        raise ConfigEditError(f"{key}: {raw!r} is not a YAML value ({exc})") from None


def camera_add(camera_id: str = typer.Argument(..., help="New camera id."),
               url: str = typer.Option(..., help="rtsp://... or a video file."),
               name: str = typer.Option("", help="Display name."),
               config: Path = ConfigOpt) -> None:
    """Add a camera (validated before the file is written; comments are kept).

    Example: edge camera add dock2 --url rtsp://10.0.0.12/stream1 --name "Dock 2"
    """
    def change(doc: Any) -> str:
        cams = doc.setdefault("cameras", [])
        if any(str(c.get("id")) == camera_id for c in cams):
            raise ConfigEditError(f"camera {camera_id!r} exists; use `edge camera set`")
        entry: dict[str, Any] = {"id": camera_id, "url": url}
        if name:
            entry["name"] = name
        cams.append(entry)
        return f"added camera {camera_id}"

    _apply(config, change)


def camera_list(config: Path = ConfigOpt) -> None:
    """List cameras: id, state, lines, URL (credentials in URLs are masked).

    Example: edge camera list
    """
    import re

    settings = settings_or_exit(config)
    for cam in settings.cameras:
        url = re.sub(r"//[^/@]*@", "//***@", cam.url)
        typer.echo(f"{cam.id:<14} {'on' if cam.enabled else 'off':<4} "
                   f"{len(cam.lines)} line(s)  {url}")
    if not settings.cameras:
        typer.echo("no cameras")


def camera_remove(camera_id: str, config: Path = ConfigOpt) -> None:
    """Remove a camera and its lines (models that name it must be changed first).

    Example: edge camera remove dock2
    """
    def change(doc: Any) -> str:
        cams = doc.get("cameras") or []
        cams.remove(find(cams, camera_id, "camera"))
        return f"removed camera {camera_id}"

    _apply(config, change)


def camera_set(camera_id: str, key: str = typer.Argument(..., help=", ".join(sorted(SETTABLE))),
               value: str = typer.Argument(..., help="YAML value: true, 12.5, tcp ..."),
               config: Path = ConfigOpt) -> None:
    """Change one setting of a camera (``null`` removes an optional one).

    Example: edge camera set dock2 fps_cap 10
    Example: edge camera set dock2 roi "[0, 200, 1280, 720]"
    """
    if key not in SETTABLE:
        typer.echo(f"edge: {key!r} cannot be set here; one of {sorted(SETTABLE)}", err=True)
        raise typer.Exit(2)

    unset = key in UNSETTABLE and value.strip().lower() in ("", "null", "~", "none")
    try:
        change = set_camera_key(camera_id, key, None if unset else _value(key, value))
    except ConfigEditError as exc:
        typer.echo(f"edge: not changed: {exc}", err=True)
        raise typer.Exit(1) from None
    _apply(config, change)


@line_app.command("add")
def line_add(camera_id: str, line_id: str,
             start: tuple[int, int] = typer.Option(..., help="x y of the start point."),
             end: tuple[int, int] = typer.Option(..., help="x y of the end point."),
             in_side: str = typer.Option("right", help="left or right of start->end."),
             config: Path = ConfigOpt) -> None:
    """Add a counting line to a camera (check it with `edge camera snapshot`).

    Example: edge line add dock2 door --start 0 400 --end 1280 400 --in-side right
    """
    change = add_line(camera_id, {"id": line_id, "start": list(start), "end": list(end),
                                  "in_side": in_side})
    _apply(config, change)


@line_app.command("list")
def line_list(camera_id: str, config: Path = ConfigOpt) -> None:
    """List a camera's lines.

    Example: edge line list dock2
    """
    cam = camera_or_exit(config, camera_id)
    for ln in cam.lines:
        typer.echo(f"{ln.id:<12} {list(ln.start)} -> {list(ln.end)}  in: {ln.in_side}  "
                   f"classes: {','.join(ln.classes)}")
    if not cam.lines:
        typer.echo("no lines")


@line_app.command("remove")
def line_remove(camera_id: str, line_id: str, config: Path = ConfigOpt) -> None:
    """Remove a line from a camera.

    Example: edge line remove dock2 door
    """
    _apply(config, remove_line(camera_id, line_id))
