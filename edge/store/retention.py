"""Retention: delete rows past their table's age, then give the space back; disk guard.

Runs on the store writer's connection (``StoreWriter.call``) at start and daily. New databases
use ``auto_vacuum=INCREMENTAL`` (set by the first migration), so freed pages are returned with
``PRAGMA incremental_vacuum`` in small steps instead of a full ``VACUUM`` that would hold the
writer for minutes on a big file.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

from edge.store.direct import WriteRunner
from edge.tables import all_tables
from edge.telemetry import metrics
from edge.threads import BackgroundThread

log = logging.getLogger(__name__)

T = TypeVar("T")

TIME_COLUMN: dict[str, str] = {name: t.time_column for name, t in all_tables().items()}
"""How old a row is, per table (ISO-8601 text compares in time order)."""


CHUNK_ROWS = 5000
"""Rows deleted per writer transaction: the writer commits events between chunks, so a first
run over years of rows neither stalls the watchdog nor fills the writer's queue."""
VACUUM_PAGES = 2000
"""Free pages returned to the file system per writer transaction (8 MB at 4 KB pages)."""


def retention_days(storage_days: dict[str, float], sync_enabled: bool,
                   outbox_days: float) -> dict[str, float]:
    """Days to keep per table. Without sync nothing drains the outbox (the upstream copy of
    every event), so it is kept ``outbox_days`` and then deleted like a log; with sync the
    sync worker's cap owns it (it never drops protected rows)."""
    days = dict(storage_days)
    if not sync_enabled:
        days["outbox"] = outbox_days
    return days


def cutoffs(days: dict[str, float], now: datetime | None = None) -> dict[str, str]:
    """ISO-8601 UTC cutoff per table: rows older than it are due."""
    now = now or datetime.now(timezone.utc)
    return {table: (now - timedelta(days=keep)).isoformat() for table, keep in days.items()}


def delete_due(conn: sqlite3.Connection, table: str, cutoff: str,
               limit: int | None = None) -> int:
    """Delete up to ``limit`` rows of ``table`` older than ``cutoff``; return how many.

    Raises:
        KeyError: a table without a known time column.
    """
    column = TIME_COLUMN[table]
    if limit is None:
        n = conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (cutoff,)).rowcount
    else:
        n = conn.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} "
                         f"WHERE {column} < ? LIMIT ?)", (cutoff, int(limit))).rowcount
    if n and table == "outbox":  # acknowledgements of rows that are gone
        conn.execute("DELETE FROM outbox_acks WHERE outbox_id < "
                     "COALESCE((SELECT MIN(id) FROM outbox), (SELECT MAX(outbox_id) + 1 "
                     "FROM outbox_acks))")
    if n:
        metrics.RETENTION_DELETED.labels(table).inc(n)
    return n


def apply_retention(conn: sqlite3.Connection, days: dict[str, float],
                    now: datetime | None = None) -> dict[str, int]:
    """Delete every row older than ``days[table]`` in one go; return deleted rows per table.

    Raises:
        KeyError: a table without a known time column.
    """
    deleted: dict[str, int] = {}
    for table, cutoff in cutoffs(days, now).items():
        n = delete_due(conn, table, cutoff)
        if n:
            deleted[table] = n
    return deleted


def incremental_vacuum(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> int:
    """Return up to ``pages`` free pages to the file system (no-op without auto_vacuum);
    return the free pages left."""
    conn.execute(f"PRAGMA incremental_vacuum({int(pages)})").fetchall()
    return int(conn.execute("PRAGMA freelist_count").fetchone()[0])


class RetentionJob(BackgroundThread):
    """Applies retention at start and every ``interval_s`` through the single writer.

    Each chunk of ``chunk_rows`` deletions and each vacuum step is its own writer
    transaction, so events keep being committed while a large backlog is cleared.

    Args:
        run_write: the writer's ``call`` (runs a function on its connection, in a
            transaction).
        days: days to keep, per table.
        interval_s: seconds between runs.
        chunk_rows: rows per delete transaction.
        vacuum_pages: free pages returned per vacuum transaction.
    """

    def __init__(self, run_write: WriteRunner, days: dict[str, float],
                 interval_s: float = 86_400.0, *, chunk_rows: int = CHUNK_ROWS,
                 vacuum_pages: int = VACUUM_PAGES) -> None:
        self.run_write = run_write
        self.days = days
        self.interval_s = interval_s
        self.chunk_rows = chunk_rows
        self.vacuum_pages = vacuum_pages
        self.transactions = 0
        super().__init__("retention", stop_timeout_s=2.0)
        self.last: dict[str, int] = {}

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """Delete what is due now and free pages; return rows deleted per table."""
        deleted: dict[str, int] = {}
        for table, cutoff in cutoffs(self.days, now).items():
            while not self._stop.is_set():
                n = self._write(lambda c, t=table, k=cutoff: delete_due(c, t, k,
                                                                        self.chunk_rows))
                if n:
                    deleted[table] = deleted.get(table, 0) + n
                if n < self.chunk_rows:
                    break
        left = self._write(lambda c: int(c.execute("PRAGMA freelist_count").fetchone()[0]))
        before = None
        while left and left != before and not self._stop.is_set():  # stuck: no auto_vacuum
            before = left
            left = self._write(lambda c: incremental_vacuum(c, self.vacuum_pages))
        self.last = deleted
        if deleted:
            log.info("retention deleted %s", deleted)
        return deleted

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self.transactions += 1
        return self.run_write(fn)

    def _run(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("retention failed; will try again")
            if self._stop.wait(self.interval_s):
                return


class DiskGuard:
    """Says whether there is room to write files (face crops); events are never stopped."""

    def __init__(self, path: str | Path, min_free_mb: float) -> None:
        self.path = Path(path)
        self.min_free_mb = min_free_mb

    def free_mb(self) -> float:
        """Free space where ``path`` lives, in MB."""
        target = self.path if self.path.exists() else self.path.parent
        while not target.exists():
            target = target.parent
        free = shutil.disk_usage(target).free / 2**20
        metrics.DISK_FREE.set(free * 2**20)
        return free

    def room_for_files(self) -> bool:
        """False when free space is under the configured minimum (and logs it)."""
        free = self.free_mb()
        if free < self.min_free_mb:
            metrics.DISK_GUARD_SKIPPED.inc()
            log.warning("disk nearly full (%.0f MB free < %.0f MB): not writing files",
                        free, self.min_free_mb)
            return False
        return True
