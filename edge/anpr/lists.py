"""Allow and deny lists with fuzzy matching (OCR is off by a character now and then).

The lists are the config's (``anpr.allow`` / ``anpr.deny``) plus the ``plate_lists`` table.
:func:`put_plate` and :func:`remove_plate` are the one way to edit the table, for the CLI
(``direct_writer``) and the daemon's console (``StoreWriter.call``) alike; the running daemon
picks the change up within a second (:mod:`edge.anpr.refresh`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from edge.anpr.formats import apply_folds, normalise
from edge.anpr.voting import edit_distance
from edge.config.anpr import AnprConfig
from edge.store.direct import WriteRunner
from edge.store.plates import delete_plate, upsert_plate

Status = Literal["allowed", "denied", "unknown"]


MATCH_FOLDS: dict[str, str] = {"O": "0"}
"""Folded on both sides of every list match, whatever the region: O and 0 are the commonest
confusion, and counting them as one only lets a listed plate match its own misreads (it
changes no stored plate and no read)."""


class PlateLists:
    """Deny wins over allow; a plate matches an entry within ``max_distance`` edits.

    :data:`MATCH_FOLDS` and ``folds`` (the reader's) are applied to entries and reads alike,
    so an entry typed ``BLOGGER`` matches the read ``BL0GGER`` without spending an edit.
    """

    def __init__(self, allow: Iterable[str] = (), deny: Iterable[str] = (),
                 max_distance: int = 1, folds: dict[str, str] | None = None) -> None:
        self.folds = {**MATCH_FOLDS, **(folds or {})}
        self.allow = {self._key(p) for p in allow if normalise(p)}
        self.deny = {self._key(p) for p in deny if normalise(p)}
        self.max_distance = max_distance

    def _key(self, plate: str) -> str:
        return apply_folds(normalise(plate), self.folds)

    def status(self, plate: str | None) -> Status:
        """``denied``, ``allowed`` or ``unknown`` for a read plate."""
        if not plate:
            return "unknown"
        p = self._key(plate)
        if self._hit(p, self.deny):
            return "denied"
        if self._hit(p, self.allow):
            return "allowed"
        return "unknown"

    def _hit(self, plate: str, entries: set[str]) -> bool:
        if plate in entries:
            return True
        return any(abs(len(e) - len(plate)) <= self.max_distance
                   and edit_distance(e, plate) <= self.max_distance for e in entries)


LISTS: tuple[str, ...] = ("allow", "deny")
NOTE_MAX = 200
"""Longest note kept with a listed plate, in characters."""
_PLATE_CHARS = re.compile(r"[A-Za-z0-9 .\-]+")


class PlateListError(ValueError):
    """A plate, list name or note that cannot go on the lists (the message says why)."""


def checked_plate(plate: str) -> str:
    """``plate`` normalised (``"ka-01 ab 1234"`` -> ``"KA01AB1234"``).

    Raises:
        PlateListError: characters other than letters, digits, spaces, dots and dashes, or
            not 2-12 letters and digits once those separators are removed.
    """
    p = normalise(plate)
    if not _PLATE_CHARS.fullmatch(plate) or not 2 <= len(p) <= 12:
        raise PlateListError(f"{plate!r} is not a plate number (2-12 letters and digits; "
                             f"spaces, dots and dashes are ignored)")
    return p


def put_plate(run_write: WriteRunner, plate: str, which: str, note: str = "") -> str:
    """Put a plate on the ``allow`` or ``deny`` list (moving it off the other one).

    Args:
        run_write: ``direct_writer(db)`` (CLI) or ``StoreWriter.call`` (daemon).
        plate: as typed; spaces, dots and dashes are ignored, case is not significant.
        which: ``allow`` or ``deny``.
        note: why, who (at most :data:`NOTE_MAX` characters).

    Returns:
        The normalised plate as stored.

    Raises:
        PlateListError: bad plate, list name or note (nothing is written).

    Example:
        >>> put_plate(direct_writer("var/edge.db"), "ka-01 ab 1234", "allow")  # doctest: +SKIP
        'KA01AB1234'
    """
    if which not in LISTS:
        raise PlateListError(f"list must be 'allow' or 'deny', not {which!r}")
    if len(note) > NOTE_MAX:
        raise PlateListError(f"note is {len(note)} characters; at most {NOTE_MAX}")
    p = checked_plate(plate)
    run_write(lambda conn: upsert_plate(conn, p, which, note))
    return p


def remove_plate(run_write: WriteRunner, plate: str) -> str:
    """Take a plate off whichever list holds it; return the normalised plate.

    Raises:
        PlateListError: not a plate number, or on no list (``"<P> is on no list"``).
    """
    p = checked_plate(plate)
    if not run_write(lambda conn: delete_plate(conn, p)):
        raise PlateListError(f"{p} is on no list")
    return p


def lists_from(cfg: AnprConfig, rows: Iterable[Mapping[str, Any]]) -> PlateLists:
    """The lists in force: the config's ``allow``/``deny`` plus stored rows (``plate``,
    ``list``), matched with the config's fuzzy distance and folds."""
    rows = list(rows)
    return PlateLists([*cfg.allow, *(r["plate"] for r in rows if r["list"] == "allow")],
                      [*cfg.deny, *(r["plate"] for r in rows if r["list"] == "deny")],
                      cfg.fuzzy_distance, cfg.folds)
