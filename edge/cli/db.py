"""``edge db stats|export|vacuum``: look into and tidy the local store."""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import typer

from edge.cli.common import config_option, settings_or_exit
from edge.tables import all_tables

db_app = typer.Typer(help="The local SQLite store.", no_args_is_help=True)

ConfigOpt = config_option("Path to cameras.yaml (for the database path).")

TABLES: dict[str, str] = {name: t.time_column for name, t in all_tables().items()
                          if t.exported}
"""Tables that can be listed and exported, with the column ``--since`` filters on.
(``face_embeddings`` is biometric data and is never exported.)"""


def utc_iso(text: str) -> str:
    """``text`` (ISO date or date-time; no zone means UTC) as the UTC ISO-8601 form the store
    writes, so it compares in time order with stored values.

    Raises:
        ValueError: not an ISO date or date-time.

    Example:
        >>> utc_iso("2026-11-10T05:30:00+05:30")
        '2026-11-10T00:00:00+00:00'
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    dt = dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    return dt.isoformat()


def _columns(path: Path, table: str) -> list[str]:
    from edge.store.schema import connect

    conn = connect(path, readonly=True)
    try:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


def _path(config: Path) -> Path:
    path = Path(settings_or_exit(config).storage.path)
    if not path.exists():
        typer.echo(f"edge: {path}: no database yet (the daemon creates it)", err=True)
        raise typer.Exit(1)
    return path


@db_app.command("stats")
def stats(config: Path = ConfigOpt) -> None:
    """Rows per table with their time span, file sizes and schema version.

    Example: edge db stats -c /etc/edge/cameras.yaml
    """
    from edge.store.queries import StoreReader
    from edge.store.schema import connect

    path = _path(config)
    conn = connect(path, readonly=True)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    typer.echo(f"{path}: {path.stat().st_size / 2**20:.1f} MB, WAL "
               f"{(wal.stat().st_size if wal.exists() else 0) / 2**20:.1f} MB, schema v{version}")
    conn.close()
    reader = StoreReader(path)
    for table, column in TABLES.items():
        n, first, last = reader.table_span(table, column)
        span = f"  {first[:19]} .. {last[:19]}" if first and last else ""
        typer.echo(f"  {table:<24} {n:>9}{span}")


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
    cutoff = None
    if since:
        try:
            cutoff = utc_iso(since)
        except ValueError:
            typer.echo(f"edge: --since: not an ISO date or date-time: {since!r}", err=True)
            raise typer.Exit(2) from None
    path = _path(config)
    rows = StoreReader(path).table_rows(table, TABLES[table], cutoff)
    out = output.open("w", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            json.dump(rows, out, indent=1, default=str)
            out.write("\n")
        else:
            writer = csv.DictWriter(out, fieldnames=_columns(path, table))
            writer.writeheader()  # even with no rows, so a script can tell the columns
            writer.writerows(rows)
    finally:
        if output:
            out.close()
    if output:
        typer.echo(f"wrote {len(rows)} row(s) of {table} to {output}")


@db_app.command("vacuum")
def vacuum(full: bool = typer.Option(
               False, help="Rewrite the whole file (VACUUM); the daemon must be stopped."),
           force: bool = typer.Option(False, help="With --full: skip the open-file check."),
           config: Path = ConfigOpt) -> None:
    """Give free pages back to the file system.

    By default in small steps (``PRAGMA incremental_vacuum``), safe while the daemon runs:
    each step holds the write lock for milliseconds. ``--full`` rewrites the file to its
    smallest size and converts databases made without ``auto_vacuum``; it holds the write
    lock for as long as it takes, so it refuses while another process has the database open
    (a daemon whose writes wait past their busy timeout would lose events).

    Example: edge db vacuum
    Example: systemctl stop edge && edge db vacuum --full && systemctl start edge
    """
    from edge.store.retention import incremental_vacuum
    from edge.store.schema import connect

    path = _path(config)
    before = _size(path)
    if full and not force:
        holders, unknown = open_by_others(path)
        if holders or unknown:
            why = (f"process(es) {', '.join(map(str, holders))} have it open" if holders else
                   "cannot see every process's open files (run as root, or --force)")
            typer.echo(f"edge: not vacuumed: {path}: {why}; stop the daemon first "
                       "(systemctl stop edge)", err=True)
            raise typer.Exit(1)
    conn = connect(path)
    try:
        if full:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # applied by the VACUUM below
            conn.execute("VACUUM")
        else:
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                typer.echo(f"edge: {path} was created without incremental auto_vacuum; "
                           "convert it once with `edge db vacuum --full` (daemon stopped)",
                           err=True)
                raise typer.Exit(1)
            left, previous = -1, None
            while left and left != previous:
                previous = left
                conn.execute("BEGIN IMMEDIATE")
                left = incremental_vacuum(conn)
                conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)" if not full else
                     "PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    typer.echo(f"{path}: {before / 2**20:.1f} MB -> {_size(path) / 2**20:.1f} MB")


def _size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def open_by_others(path: Path) -> tuple[list[int], bool]:
    """Processes other than this one holding ``path`` (or its WAL) open, from ``/proc``.

    Returns:
        The pids found, and whether some processes' open files could not be read.
    """
    names = {str(path.resolve()), str(path.resolve()) + "-wal"}
    pids: list[int] = []
    unknown = False
    proc = Path("/proc")
    if not proc.is_dir():
        return [], True
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except PermissionError:
            unknown = True
            continue
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in names:
                    pids.append(int(entry.name))
                    break
            except OSError:
                continue
    return sorted(pids), unknown
