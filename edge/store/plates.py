"""SQL of the ``plate_lists`` table (the allow and deny lists kept in the store).

Callers validate and normalise plates first (:mod:`edge.anpr.lists`); these functions run
inside a write transaction (:data:`edge.store.direct.WriteRunner`).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone


def upsert_plate(conn: sqlite3.Connection, plate: str, which: str, note: str) -> None:
    """Put ``plate`` on list ``which`` (``allow`` or ``deny``), moving it off the other one.

    A plate already listed keeps its ``created_at``; its list and note are replaced.

    Raises:
        sqlite3.IntegrityError: ``which`` is not ``allow`` or ``deny``.
    """
    conn.execute("INSERT INTO plate_lists (plate, list, note, created_at) VALUES (?,?,?,?)"
                 " ON CONFLICT (plate) DO UPDATE SET list = excluded.list,"
                 " note = excluded.note",
                 (plate, which, note, datetime.now(timezone.utc).isoformat()))


def delete_plate(conn: sqlite3.Connection, plate: str) -> bool:
    """Take ``plate`` off whichever list holds it; False when it was on none."""
    return conn.execute("DELETE FROM plate_lists WHERE plate = ?", (plate,)).rowcount > 0
