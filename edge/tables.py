"""The catalogue of the store's tables: each declared once, read by everyone who needs it.

An event type declares its table on its class (``Event.table``, see :mod:`edge.events`); the
few tables that hold no events are listed here. The store's retention, the configuration's
retention defaults and validation, and the CLI's ``edge db stats|export`` all read
:func:`all_tables`, so a new event type (with its inserter in ``edge.store.tables`` and its
``CREATE TABLE`` in a migration) needs no other list edited.

This module is a leaf: it imports nothing else of ``edge`` at import time, so ``config`` may
read it.

Example:
    >>> tables = all_tables()
    >>> tables["line_crossings"].time_column, tables["line_crossings"].retention_days
    ('timestamp', 365)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One SQLite table.

    Attributes:
        name: the table's name.
        time_column: SQL expression giving a row's age (ISO-8601 text); retention deletes
            rows below a cutoff on it and ``edge db export --since`` filters on it.
        retention_days: days rows are kept by default; ``None``: kept until deleted.
        exported: listed by ``edge db stats`` and exportable with ``edge db export``
            (biometric tables are not).
    """

    name: str
    time_column: str
    retention_days: float | None = None
    exported: bool = True


OTHER_TABLES: tuple[Table, ...] = (
    Table("occupancy_reset_requests", "requested_at", 30),
    Table("outbox", "created_at"),  # its age limit belongs to the sync settings
    Table("employees", "created_at"),
    Table("plate_lists", "created_at"),
)
"""Tables that hold no events."""


def all_tables() -> dict[str, Table]:
    """Every table by name: those of the event types, then :data:`OTHER_TABLES`."""
    from edge.events import EVENT_TYPES  # events imports Table from here

    found = {cls.table.name: cls.table for cls in EVENT_TYPES.values() if cls.table}
    found.update({t.name: t for t in OTHER_TABLES})
    return found


def retention_defaults() -> dict[str, float]:
    """Default days to keep per table (tables without a default keep their rows)."""
    return {name: t.retention_days for name, t in all_tables().items()
            if t.retention_days is not None}
