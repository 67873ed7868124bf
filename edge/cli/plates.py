"""``edge plates ...``: the allow and deny lists kept in the store (besides the config's)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import typer

from edge.config import ConfigError, load_settings

plates_app = typer.Typer(help="Licence-plate allow and deny lists.", no_args_is_help=True)

ConfigOpt = typer.Option(Path("config/cameras.yaml"), "--config", "-c",
                         help="Path to cameras.yaml (for the database path).")


def _db(config: Path) -> str:
    try:
        return load_settings(config).storage.path
    except ConfigError as exc:
        typer.echo("\n".join(exc.errors), err=True)
        raise typer.Exit(1) from None


def _put(config: Path, plate: str, which: str, note: str) -> None:
    from edge.anpr.formats import normalise
    from edge.store.direct import direct_writer

    p = normalise(plate)
    if not 2 <= len(p) <= 12:
        typer.echo(f"edge: {plate!r} is not a plate number (2-12 letters and digits)", err=True)
        raise typer.Exit(2)

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO plate_lists (plate, list, note, created_at) VALUES (?,?,?,?)"
                     " ON CONFLICT (plate) DO UPDATE SET list = excluded.list,"
                     " note = excluded.note",
                     (p, which, note, datetime.now(timezone.utc).isoformat()))

    direct_writer(_db(config))(write)
    typer.echo(f"{p}: {which} (the daemon reads the lists when it starts)")


@plates_app.command("allow")
def allow(plate: str, note: str = typer.Option("", help="Why, who."),
          config: Path = ConfigOpt) -> None:
    """Put a plate on the allow list (spaces and dashes are ignored).

    Example: edge plates allow "KA 01 AB 1234" --note "director's car"
    """
    _put(config, plate, "allow", note)


@plates_app.command("deny")
def deny(plate: str, note: str = typer.Option("", help="Why, who."),
         config: Path = ConfigOpt) -> None:
    """Put a plate on the deny list: a match is an event synced upstream first.

    Example: edge plates deny TG02XY5678 --note "banned contractor"
    """
    _put(config, plate, "deny", note)


@plates_app.command("list")
def list_(config: Path = ConfigOpt) -> None:
    """Show both lists (from the database; the config's own lists are added at start).

    Example: edge plates list
    """
    from edge.store.queries import StoreReader

    rows = StoreReader(_db(config)).rows("SELECT * FROM plate_lists ORDER BY list, plate")
    for r in rows:
        typer.echo(f"{r['plate']:<14} {r['list']:<6} {r['note']}")
    if not rows:
        typer.echo("no plates listed")


@plates_app.command("remove")
def remove(plate: str, config: Path = ConfigOpt) -> None:
    """Take a plate off whichever list holds it.

    Example: edge plates remove TG02XY5678
    """
    from edge.anpr.formats import normalise
    from edge.store.direct import direct_writer

    p = normalise(plate)
    gone = direct_writer(_db(config))(
        lambda conn: conn.execute("DELETE FROM plate_lists WHERE plate = ?", (p,)).rowcount)
    if not gone:
        typer.echo(f"edge: {p} is on no list", err=True)
        raise typer.Exit(1)
    typer.echo(f"{p}: removed")
