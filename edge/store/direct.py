"""Writes for processes that run no store writer (the CLI): one short transaction each.

Inside the daemon every write goes through :meth:`StoreWriter.call`; both have the shape of
a :data:`WriteRunner`, so code that writes rarely (enrolment, sync acknowledgements, plate
lists) takes either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from edge.store.schema import connect, migrate

T = TypeVar("T")
WriteRunner = Callable[[Callable[[sqlite3.Connection], Any]], Any]
"""Runs ``fn(conn)`` in one write transaction and returns its result."""


def direct_writer(path: str | Path) -> WriteRunner:
    """A write runner opening its own connection per call (the database is migrated first)."""

    def run(fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = connect(path)
        try:
            migrate(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()

    return run
