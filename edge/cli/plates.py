"""``edge plates ...``: the allow and deny lists kept in the store (besides the config's).

A running daemon applies a change within a second (no restart, no reload).
"""

from __future__ import annotations

from pathlib import Path

import typer

from edge.cli.common import config_option, settings_or_exit

plates_app = typer.Typer(help="Licence-plate allow and deny lists.", no_args_is_help=True)

ConfigOpt = config_option("Path to cameras.yaml (for the database path).")


def _db(config: Path) -> str:
    return settings_or_exit(config).storage.path


def _put(config: Path, plate: str, which: str, note: str) -> None:
    from edge.anpr.lists import PlateListError, put_plate
    from edge.store.direct import direct_writer

    db = _db(config)
    try:
        p = put_plate(direct_writer(db), plate, which, note)
    except PlateListError as exc:
        typer.echo(f"edge: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{p}: {which} (a running daemon applies it within a second)")


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
    """Show both lists kept in the database (the config's anpr.allow/deny apply as well).

    Example: edge plates list
    """
    from edge.store.queries import StoreReader

    rows = StoreReader(_db(config)).plate_lists()
    for r in rows:
        typer.echo(f"{r['plate']:<14} {r['list']:<6} {r['note']}")
    if not rows:
        typer.echo("no plates listed")


@plates_app.command("remove")
def remove(plate: str, config: Path = ConfigOpt) -> None:
    """Take a plate off whichever list holds it.

    Example: edge plates remove TG02XY5678
    """
    from edge.anpr.lists import PlateListError, remove_plate
    from edge.store.direct import direct_writer

    db = _db(config)
    try:
        p = remove_plate(direct_writer(db), plate)
    except PlateListError as exc:
        typer.echo(f"edge: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{p}: removed (a running daemon applies it within a second)")
