"""``edge sync ...``: the upstream backlog and re-sending."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from edge.cli.common import config_option, settings_or_exit

sync_app = typer.Typer(help="Upstream sync: backlog, errors, re-sending.", no_args_is_help=True)

ConfigOpt = config_option("Path to cameras.yaml (for the database and the sinks).")


def _outbox(config: Path):  # type: ignore[no-untyped-def]
    from edge.store.direct import direct_writer
    from edge.store.outbox import Outbox

    settings = settings_or_exit(config)
    return settings, Outbox(settings.storage.path, direct_writer(settings.storage.path))


@sync_app.command("status")
def status(config: Path = ConfigOpt) -> None:
    """Per sink: events not yet acknowledged, the oldest of them, last send, last error.

    Example: edge sync status -c /etc/edge/cameras.yaml
    """
    from edge.sync.worker import build_sinks

    settings, outbox = _outbox(config)
    names = [s.name for s in build_sinks(settings.sync, settings.site.id)] if \
        settings.sync.enabled else []
    if not names:
        typer.echo("sync is not enabled in this config")
    rows = {str(r["sink"]): r for r in outbox.status() if "sink" in r}
    for name in names:
        backlog, oldest = outbox.backlog(name)
        r = rows.get(name, {})
        typer.echo(f"{name}: backlog {backlog}"
                   + (f" (oldest {oldest})" if oldest else "")
                   + f"; last sent {r.get('last_sent_at') or 'never'}"
                   + (f"; last error {r['last_error_at']}: {r['last_error']}"
                      if r.get("last_error") else ""))
    drops = next((r["dropped"] for r in outbox.status() if "dropped" in r), None)
    if drops:
        typer.echo("dropped by the backlog cap (kept locally): "
                   + ", ".join(f"{k} {v}" for k, v in sorted(drops.items())))  # type: ignore[union-attr]


@sync_app.command("replay")
def replay(since: str = typer.Option(..., help="ISO time, e.g. 2026-11-23T06:00:00+05:30."),
           sink: str = typer.Option(None, help="Only this sink (as `edge sync status` names "
                                               "it); default all."),
           config: Path = ConfigOpt) -> None:
    """Send again every event from SINCE on (upstream drops duplicates by event_id).

    Events dropped by the backlog cap are not in the outbox any more and are not re-sent.

    Example: edge sync replay --since 2026-11-23T00:00:00Z
    """
    try:
        when = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        typer.echo(f"edge: --since: not an ISO date-time: {since!r}", err=True)
        raise typer.Exit(2) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    _settings, outbox = _outbox(config)
    n = outbox.replay(when, sink)
    typer.echo(f"{n} event(s) from {when.isoformat()} on will be sent again")
