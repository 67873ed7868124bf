"""Configuration of occupancy resets: the daily schedule and how long a CLI request waits."""

from __future__ import annotations

import re
from datetime import time

from pydantic import Field, field_validator

from edge.config.base import Strict

_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class OccupancyConfig(Strict):
    """When occupancy is set back to zero by itself, and how CLI reset requests age.

    Example (``cameras.yaml``)::

        occupancy:
          reset_at: ["06:00", "22:30"]   # local times in site.timezone
          request_ttl_s: 60
    """

    reset_at: list[str] = Field(default_factory=list)
    """Local times (``HH:MM``, 24-hour, in ``site.timezone``) at which every camera's and the
    site's occupancy are reset to 0 (people who left unseen stop counting as inside).
    Stored sorted; read by the running daemon on every tick, so a reload changes it."""
    request_ttl_s: float = Field(60.0, gt=0, le=86_400)
    """A reset requested with ``edge occupancy reset`` that no running daemon applied within
    this many seconds expires (it is never applied later by surprise)."""

    @field_validator("reset_at")
    @classmethod
    def _times(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if not isinstance(t, str) or not _HH_MM.fullmatch(t)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a time of day as HH:MM (00:00 to 23:59, "
                             f"e.g. '06:00')")
        dupes = sorted({t for t in v if v.count(t) > 1})
        if dupes:
            raise ValueError(f"{', '.join(dupes)} listed more than once")
        return sorted(v)

    def reset_times(self) -> list[time]:
        """``reset_at`` as ``datetime.time`` values, earliest first."""
        return [time(int(t[:2]), int(t[3:])) for t in self.reset_at]
