"""``edge occupancy reset|show``: set occupancy back to zero, see the counts and resets.

The CLI never touches the running daemon's memory: it writes a request row into the store,
which the daemon's control poller applies within a second (``edge.pipeline.control``).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import typer

from edge.cli.common import config_option, settings_or_exit

occupancy_app = typer.Typer(help="People inside: reset the count, show counts and resets.",
                            no_args_is_help=True)

ConfigOpt = config_option("Path to cameras.yaml (the running daemon's).")
NOTE_MAX = 200
"""Longest note kept with a reset, in characters."""


@occupancy_app.command("reset")
def reset(camera: str = typer.Option(None, "--camera",
                                     help="Only this camera (default: every camera and "
                                          "the site)."),
          note: str = typer.Option("", help="Why, who (kept with the reset)."),
          wait: float = typer.Option(5.0, min=0, help="Seconds to wait for the daemon."),
          config: Path = ConfigOpt) -> None:
    """Reset occupancy to 0 in the running daemon; stored as an occupancy_reset event.

    Resetting one camera lowers the site occupancy by that camera's count. Exits 1 when no
    running daemon applied the request in time (it expires after occupancy.request_ttl_s).

    Example: edge occupancy reset --note "night shift: building empty"
    Example: edge occupancy reset --camera gate-1 -c /etc/edge/cameras.yaml
    """
    from edge.store.direct import direct_writer
    from edge.store.occupancy import add_reset_request
    from edge.store.queries import StoreReader

    s = settings_or_exit(config)
    cameras = [c.id for c in s.cameras if c.enabled]
    if camera is not None and camera not in cameras:
        typer.echo(f"edge: --camera: no enabled camera {camera!r} in {config} (cameras: "
                   f"{', '.join(cameras) or 'none'})", err=True)
        raise typer.Exit(2)
    if len(note) > NOTE_MAX:
        typer.echo(f"edge: --note is {len(note)} characters; at most {NOTE_MAX}", err=True)
        raise typer.Exit(2)
    now = datetime.now(timezone.utc).isoformat()
    rid = direct_writer(s.storage.path)(lambda conn: add_reset_request(conn, camera, note, now))
    reader = StoreReader(s.storage.path)
    deadline = time.monotonic() + wait
    req = reader.reset_request(rid)
    while req is not None and req["state"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        req = reader.reset_request(rid)
    state = req["state"] if req else "missing"
    if state == "applied":
        typer.echo(f"applied: {req['outcome']}")  # type: ignore[index]
        return
    if state == "pending":
        typer.echo(f"edge: no running daemon picked up the reset within {wait:g}s; the "
                   f"request expires after {s.occupancy.request_ttl_s:g}s "
                   f"(occupancy.request_ttl_s) if none does", err=True)
    else:
        why = req["outcome"] if req else "the request row is gone"
        typer.echo(f"edge: not reset ({state}): {why}", err=True)
    raise typer.Exit(1)


@occupancy_app.command("show")
def show(last: int = typer.Option(10, min=1, help="How many resets to list."),
         config: Path = ConfigOpt) -> None:
    """The last stored occupancy of each camera, then the latest resets.

    Example: edge occupancy show -c /etc/edge/cameras.yaml
    """
    from edge.store.queries import StoreReader

    reader = StoreReader(settings_or_exit(config).storage.path)
    counts = reader.last_occupancy()
    if counts:
        typer.echo(f"{'camera':<14} {'inside':>6} {'site':>5} {'in':>6} {'out':>6}  at (UTC)")
    for r in counts:
        typer.echo(f"{r['camera_id']:<14} {r['current_occupancy']:>6} {r['site_occupancy']:>5} "
                   f"{r['entries_count']:>6} {r['exits_count']:>6}  {r['timestamp'][:19]}")
    if not counts:
        typer.echo("no occupancy stored yet")
    resets = reader.occupancy_resets(last)
    typer.echo("resets (UTC):" if resets else "no resets yet")
    for r in resets:
        note = f"  {r['note']}" if r["note"] else ""
        typer.echo(f"  {r['timestamp'][:19]}  {r['camera_id']:<14} "
                   f"{r['previous_occupancy']} -> {r['occupancy']} (site "
                   f"{r['site_occupancy']})  {r['source']}{note}")
