"""SQL of ``occupancy_reset_requests``: how ``edge occupancy reset`` asks the running daemon.

The CLI inserts a ``pending`` row; the daemon's control poller applies it and marks it
``applied`` (or ``failed``, with the reason), or marks it ``expired`` when it is older than
``occupancy.request_ttl_s``. The functions run inside a write transaction
(:data:`edge.store.direct.WriteRunner`); reads are on :class:`edge.store.queries.StoreReader`.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

RequestState = Literal["applied", "expired", "failed"]


def add_reset_request(conn: sqlite3.Connection, camera_id: str | None, note: str,
                      requested_at: str) -> int:
    """Queue a reset of ``camera_id`` (``None``: every camera); return the request's id.

    Args:
        requested_at: ISO-8601 UTC time of the request (its age decides expiry).
    """
    cur = conn.execute("INSERT INTO occupancy_reset_requests (camera_id, note, requested_at,"
                       " state) VALUES (?, ?, ?, 'pending')", (camera_id, note, requested_at))
    return int(cur.lastrowid or 0)


def finish_reset_request(conn: sqlite3.Connection, request_id: int, state: RequestState,
                         outcome: str, done_at: str) -> bool:
    """Mark a pending request done; False when it was not pending (already finished).

    Raises:
        sqlite3.IntegrityError: ``state`` is not one the table allows.
    """
    return conn.execute(
        "UPDATE occupancy_reset_requests SET state = ?, outcome = ?, done_at = ?"
        " WHERE id = ? AND state = 'pending'",
        (state, outcome, done_at, request_id)).rowcount > 0
