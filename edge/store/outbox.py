"""The outbox as the sync worker sees it: unsent rows per sink, acknowledgements, the cap.

Reads use their own read-only connection; every write (acknowledgements, drops, replays) goes
through a write runner: the store writer's ``call`` inside the daemon, a direct connection in
the CLI. A row counts as sent for a sink once that sink acknowledged it; ``low_water`` marks
the id below which every row is acknowledged, so a scan starts there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from edge.store.direct import WriteRunner
from edge.store.schema import connect
from edge.telemetry import metrics


@dataclass(frozen=True)
class OutboxRow:
    """One stored event waiting to go upstream (``payload`` is its JSON)."""

    id: int
    event_id: str
    type: str
    camera_id: str
    ts: str
    priority: int
    payload: str


UNACKED = ("FROM outbox o WHERE o.id > ? AND NOT EXISTS (SELECT 1 FROM outbox_acks a"
           " WHERE a.outbox_id = o.id AND a.sink = ?)")
"""Rows above a sink's low-water mark that it has not acknowledged (params: low, sink)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Outbox:
    """Outbox queries and updates for the sync worker and ``edge sync``.

    Args:
        path: the SQLite database.
        run_write: runs a function in one write transaction (``StoreWriter.call``).
    """

    def __init__(self, path: str | Path, run_write: WriteRunner) -> None:
        self.path = Path(path)
        self.run_write = run_write

    def _read(self) -> sqlite3.Connection:
        return connect(self.path, readonly=True)

    def pending(self, sink: str, limit: int) -> list[OutboxRow]:
        """The next rows ``sink`` has not acknowledged: protected ones first, then by id."""
        conn = self._read()
        try:
            low = _low_water(conn, sink)
            rows = conn.execute(
                "SELECT o.id, o.event_id, o.type, o.camera_id, o.ts, o.priority, o.payload "
                + UNACKED + " ORDER BY o.priority DESC, o.id LIMIT ?", (low, sink, limit)
            ).fetchall()
        finally:
            conn.close()
        return [OutboxRow(*tuple(r)) for r in rows]

    def ack(self, sink: str, rows: Sequence[OutboxRow], status: str = "sent",
            reason: str = "") -> None:
        """Record that ``sink`` took ``rows`` (or refused them for good: ``rejected``)."""
        if not rows:
            return
        ids = [r.id for r in rows]

        def write(conn: sqlite3.Connection) -> None:
            now = _now()
            conn.executemany(
                "INSERT OR REPLACE INTO outbox_acks (outbox_id, sink, status, reason, acked_at)"
                " VALUES (?,?,?,?,?)", [(i, sink, status, reason, now) for i in ids])
            low = _low_water(conn, sink)
            first_gap = conn.execute("SELECT MIN(o.id) " + UNACKED, (low, sink)).fetchone()[0]
            if first_gap is None:
                first_gap = (conn.execute("SELECT MAX(id) FROM outbox").fetchone()[0] or 0) + 1
            conn.execute(
                "INSERT INTO sync_progress (sink, low_water, last_sent_at) VALUES (?,?,?)"
                " ON CONFLICT (sink) DO UPDATE SET low_water = excluded.low_water,"
                " last_sent_at = excluded.last_sent_at", (sink, first_gap - 1, now))
            # Acknowledgements under the low-water mark are implied by it.
            conn.execute("DELETE FROM outbox_acks WHERE sink = ? AND outbox_id < ?",
                         (sink, first_gap))

        self.run_write(write)

    def record_error(self, sink: str, error: str) -> None:
        """Remember the sink's last error (``edge sync status``)."""

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO sync_progress (sink, last_error, last_error_at) VALUES (?,?,?)"
                " ON CONFLICT (sink) DO UPDATE SET last_error = excluded.last_error,"
                " last_error_at = excluded.last_error_at", (sink, error[:500], _now()))

        self.run_write(write)

    def backlog(self, sink: str) -> tuple[int, str | None]:
        """(rows not acknowledged by ``sink``, creation time of the oldest of them)."""
        conn = self._read()
        try:
            low = _low_water(conn, sink)
            row = conn.execute("SELECT COUNT(*), MIN(o.created_at) " + UNACKED,
                               (low, sink)).fetchone()
        finally:
            conn.close()
        return int(row[0]), row[1]

    def status(self) -> list[dict[str, object]]:
        """Per sink: backlog, oldest unsent, last sent, last error; plus drops per type."""
        conn = self._read()
        try:
            sinks = [dict(r) for r in conn.execute("SELECT * FROM sync_progress ORDER BY sink")]
            drops = {r["type"]: r["dropped"] for r in conn.execute("SELECT * FROM sync_drops")}
        finally:
            conn.close()
        for s in sinks:
            s["backlog"], s["oldest_unsent"] = self.backlog(str(s["sink"]))
        return sinks + ([{"dropped": drops}] if drops else [])

    def enforce_cap(self, sinks: Sequence[str], max_rows: int, max_age_days: float,
                    keep_sent_days: float = 7.0) -> dict[str, int]:
        """Drop the oldest routine rows some sink still lacks beyond ``max_rows`` or older
        than ``max_age_days``; forget rows every sink has had for ``keep_sent_days``.

        Protected rows (priority > 0: attendance, deny-list hits) are never dropped. Only the
        upstream copy goes: the event's own table keeps it. Returns drops per event type.
        """
        now = datetime.now(timezone.utc)
        too_old = (now - timedelta(days=max_age_days)).isoformat()
        sent_before = (now - timedelta(days=keep_sent_days)).isoformat()

        def write(conn: sqlite3.Connection) -> dict[str, int]:
            floor = min((_low_water(conn, s) for s in sinks), default=0)
            conn.execute("DELETE FROM outbox WHERE id <= ? AND created_at < ?",
                         (floor, sent_before))
            undelivered = conn.execute("SELECT COUNT(*) FROM outbox WHERE id > ?",
                                       (floor,)).fetchone()[0]
            excess = max(0, undelivered - max_rows)
            victims = conn.execute(
                "SELECT id, type FROM outbox WHERE id > ? AND priority = 0 AND"
                " (created_at < ? OR id IN (SELECT id FROM outbox WHERE id > ? AND"
                " priority = 0 ORDER BY id LIMIT ?))", (floor, too_old, floor, excess)
            ).fetchall()
            dropped: dict[str, int] = {}
            for _vid, vtype in victims:
                dropped[vtype] = dropped.get(vtype, 0) + 1
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(v[0],) for v in victims])
            conn.executemany("DELETE FROM outbox_acks WHERE outbox_id = ?",
                             [(v[0],) for v in victims])
            for vtype, n in dropped.items():
                conn.execute("INSERT INTO sync_drops (type, dropped) VALUES (?, ?) ON CONFLICT"
                             " (type) DO UPDATE SET dropped = dropped + excluded.dropped",
                             (vtype, n))
            return dropped

        dropped = self.run_write(write)
        for vtype, n in dropped.items():
            metrics.SYNC_DROPPED.labels(vtype).inc(n)
        return dropped

    def replay(self, since: datetime, sink: str | None = None) -> int:
        """Make rows with event time at or after ``since`` unsent again; return how many."""
        since_iso = since.astimezone(timezone.utc).isoformat()

        def write(conn: sqlite3.Connection) -> int:
            first = conn.execute("SELECT MIN(id), COUNT(*) FROM outbox WHERE ts >= ?",
                                 (since_iso,)).fetchone()
            if first[0] is None:
                return 0
            sinks = [sink] if sink else [r[0] for r in conn.execute(
                "SELECT sink FROM sync_progress")]
            for s in sinks:
                conn.execute("DELETE FROM outbox_acks WHERE sink = ? AND outbox_id >= ?",
                              (s, first[0]))
                conn.execute("UPDATE sync_progress SET low_water = MIN(low_water, ?)"
                             " WHERE sink = ?", (first[0] - 1, s))
            # Rows between the new low-water mark and ``since`` were sent: keep them so.
            for s in sinks:
                conn.execute(
                    "INSERT OR IGNORE INTO outbox_acks (outbox_id, sink, status, reason,"
                    " acked_at) SELECT id, ?, 'sent', 'before replay', ? FROM outbox"
                    " WHERE id >= ? AND ts < ?", (s, _now(), first[0], since_iso))
            return int(first[1])

        return int(self.run_write(write))


def _low_water(conn: sqlite3.Connection, sink: str) -> int:
    row = conn.execute("SELECT low_water FROM sync_progress WHERE sink = ?", (sink,)).fetchone()
    return int(row[0]) if row else 0
