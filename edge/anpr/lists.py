"""Allow and deny lists with fuzzy matching (OCR is off by a character now and then)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from edge.anpr.formats import apply_folds, normalise
from edge.anpr.voting import edit_distance

Status = Literal["allowed", "denied", "unknown"]


class PlateLists:
    """Deny wins over allow; a plate matches an entry within ``max_distance`` edits.

    ``folds`` (the reader's, e.g. ``{"O": "0"}``) are applied to entries and reads alike, so
    an entry typed ``BLOGGER`` matches the read ``BL0GGER`` without spending an edit.
    """

    def __init__(self, allow: Iterable[str] = (), deny: Iterable[str] = (),
                 max_distance: int = 1, folds: dict[str, str] | None = None) -> None:
        self.folds = dict(folds or {})
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
