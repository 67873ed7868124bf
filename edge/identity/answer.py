"""What an identity backend answers for one face."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identification:
    """A backend's answer for one face."""

    employee_id: str | None
    name: str
    confidence: float
    distance: float | None
    source: str

    @property
    def matched(self) -> bool:
        """True when the face belongs to an enrolled employee."""
        return self.employee_id is not None
