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
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from edge.store.direct import WriteRunner
from edge.telemetry import metrics

log = logging.getLogger(__name__)

TIME_COLUMN: dict[str, str] = {
    "occupancy_logs": "timestamp", "system_metrics": "timestamp",
    "line_crossings": "timestamp", "identity_events": "timestamp", "plate_reads": "timestamp",
    "vehicle_logs": "COALESCE(exit_time, entry_time)",
    "attendance_records": "COALESCE(check_out_time, check_in_time, work_date)",
}
"""How old a row is, per table (ISO-8601 text compares in time order)."""


def apply_retention(conn: sqlite3.Connection, days: dict[str, float],
                    now: datetime | None = None) -> dict[str, int]:
    """Delete rows older than ``days[table]``; return deleted rows per table.

    Raises:
        KeyError: a table without a known time column.
    """
    now = now or datetime.now(timezone.utc)
    deleted: dict[str, int] = {}
    for table, keep in days.items():
        column = TIME_COLUMN[table]
        cutoff = (now - timedelta(days=keep)).isoformat()
        n = conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (cutoff,)).rowcount
        if n:
            deleted[table] = n
            metrics.RETENTION_DELETED.labels(table).inc(n)
    return deleted


def incremental_vacuum(conn: sqlite3.Connection, pages: int = 2000) -> None:
    """Return up to ``pages`` free pages to the file system (no-op without auto_vacuum)."""
    conn.execute(f"PRAGMA incremental_vacuum({int(pages)})").fetchall()


class RetentionJob:
    """Applies retention at start and every ``interval_s`` through the single writer."""

    def __init__(self, run_write: WriteRunner, days: dict[str, float],
                 interval_s: float = 86_400.0) -> None:
        self.run_write = run_write
        self.days = days
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self.last: dict[str, int] = {}

    def run_once(self) -> dict[str, int]:
        """Delete what is due now and free pages; return rows deleted per table."""

        def job(conn: sqlite3.Connection) -> dict[str, int]:
            deleted = apply_retention(conn, self.days)
            incremental_vacuum(conn)
            return deleted

        self.last = self.run_write(job)
        if self.last:
            log.info("retention deleted %s", self.last)
        return self.last

    def start(self) -> None:
        """Run now and then daily, on a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._thread.join(2.0)

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
