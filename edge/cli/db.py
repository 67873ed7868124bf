"""``edge db stats|export|vacuum``: look into and tidy the local store."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path

import typer

from edge.config import ConfigError, load_settings

db_app = typer.Typer(help="The local SQLite store.", no_args_is_help=True)

ConfigOpt = typer.Option(Path("config/cameras.yaml"), "--config", "-c",
                         help="Path to cameras.yaml (for the database path).")

TABLES: dict[str, str] = {
    "attendance_records": "COALESCE(check_in_time, check_out_time)",
    "vehicle_logs": "entry_time", "occupancy_logs": "timestamp",
    "system_metrics": "timestamp", "line_crossings": "timestamp",
    "identity_events": "timestamp", "plate_reads": "timestamp", "outbox": "ts",
    "employees": "created_at", "plate_lists": "created_at",
}
"""Tables that can be listed and exported, with the column ``--since`` filters on.
(``face_embeddings`` is biometric data and is never exported.)"""


def _path(config: Path) -> Path:
    try:
        path = Path(load_settings(config).storage.path)
    except ConfigError as exc:
        typer.echo("\n".join(exc.errors), err=True)
        raise typer.Exit(1) from None
    if not path.exists():
        typer.echo(f"edge: {path}: no database yet (the daemon creates it)", err=True)
        raise typer.Exit(1)
    return path


@db_app.command("stats")
def stats(config: Path = ConfigOpt) -> None:
    """Rows per table with their time span, file sizes and schema version.

    Example: edge db stats -c /etc/edge/cameras.yaml
    """
    from edge.store.schema import connect

    path = _path(config)
    conn = connect(path, readonly=True)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    typer.echo(f"{path}: {path.stat().st_size / 2**20:.1f} MB, WAL "
               f"{(wal.stat().st_size if wal.exists() else 0) / 2**20:.1f} MB, schema v{version}")
    for table, column in TABLES.items():
        n, first, last = conn.execute(
            f"SELECT COUNT(*), MIN({column}), MAX({column}) FROM {table}").fetchone()
        span = f"  {first[:19]} .. {last[:19]}" if first else ""
        typer.echo(f"  {table:<20} {n:>9}{span}")
    conn.close()


@db_app.command("export")
def export(table: str = typer.Option(..., help=", ".join(TABLES)),
           since: str = typer.Option(None, help="ISO date or date-time (UTC if no zone)."),
           fmt: str = typer.Option("csv", "--format", help="csv or json"),
           output: Path = typer.Option(None, "-o", "--output", help="File (default stdout)."),
           config: Path = ConfigOpt) -> None:
    """Export one table as CSV or JSON (read-only; the store is not changed).

    Example: edge db export --table attendance_records --since 2026-11-01 --format csv -o a.csv
    """
    from edge.store.queries import StoreReader

    if table not in TABLES:
        typer.echo(f"edge: --table must be one of {', '.join(TABLES)}", err=True)
        raise typer.Exit(2)
    if fmt not in ("csv", "json"):
        typer.echo("edge: --format must be csv or json", err=True)
        raise typer.Exit(2)
    where, params = "", ()
    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            typer.echo(f"edge: --since: not an ISO date or date-time: {since!r}", err=True)
            raise typer.Exit(2) from None
        where, params = f" WHERE {TABLES[table]} >= ?", (since,)
    rows = StoreReader(_path(config)).rows(f"SELECT * FROM {table}{where} ORDER BY 1", params)
    out = output.open("w", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            json.dump(rows, out, indent=1, default=str)
            out.write("\n")
        elif rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if output:
            out.close()
    if output:
        typer.echo(f"wrote {len(rows)} row(s) of {table} to {output}")


@db_app.command("vacuum")
def vacuum(config: Path = ConfigOpt) -> None:
    """Rewrite the database to its smallest size (takes the write lock for its duration).

    Example: edge db vacuum
    """
    from edge.store.schema import connect

    path = _path(config)
    before = path.stat().st_size
    conn = connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    typer.echo(f"{path}: {before / 2**20:.1f} MB -> {path.stat().st_size / 2**20:.1f} MB")
