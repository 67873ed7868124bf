"""Occupancy of a camera's counting lines: people inside, entries minus exits."""

from __future__ import annotations


class Occupancy:
    """People inside: entries minus exits, never below zero.

    An exit that would take it below zero is ignored and counted in ``clamped`` (someone
    entered unseen, e.g. before the daemon started).
    """

    def __init__(self) -> None:
        self.value = 0
        self.entries = 0
        self.exits = 0
        self.clamped = 0

    def apply(self, direction: str) -> bool:
        """Apply one crossing; return True if the exit was clamped at zero."""
        if direction == "entry":
            self.entries += 1
            self.value += 1
            return False
        self.exits += 1
        if self.value == 0:
            self.clamped += 1
            return True
        self.value -= 1
        return False

    def reset(self, value: int = 0) -> int:
        """Set the occupancy to ``value`` (an operator's count); return the previous one.

        Entries and exits are totals since start and are kept.

        Raises:
            ValueError: ``value`` is negative.
        """
        if value < 0:
            raise ValueError(f"occupancy cannot be reset to a negative value ({value})")
        previous, self.value = self.value, value
        return previous
