"""Configuration of polygon zones (``cameras[].zones``), the second analytics rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from edge.config.base import CANONICAL_CLASSES, Strict

ZoneAnchor = Literal["bottom_center", "center", "top_center", "center_left", "center_right",
                     "bottom_left", "bottom_right", "top_left", "top_right"]
"""The point of a box that must lie in the polygon (``sv.Position`` names)."""


class ZoneConfig(Strict):
    """A polygon in the camera's full-frame pixel coordinates, watched for who is inside.

    Example (a press's guarded area, anyone inside for over 10 s is reported, and any person
    entering is reported at once)::

        zones:
          - id: press-3
            polygon: [[400, 300], [620, 300], [620, 560], [400, 560]]
            restricted: true
            dwell_s: 10
    """

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    polygon: list[tuple[int, int]] = Field(min_length=3, max_length=64)
    classes: list[Literal[CANONICAL_CLASSES]] = Field(default_factory=lambda: ["person"])  # type: ignore[valid-type]
    anchor: ZoneAnchor = "bottom_center"
    """Which point of a box decides inside: a person's feet by default."""
    dwell_s: float | None = Field(None, gt=0, le=86_400)
    """An event once per visit when a track has been inside this long (``None``: none)."""
    restricted: bool = False
    """An event when a track enters (once per visit): nobody of ``classes`` belongs here."""
    exit_grace_s: float = Field(1.0, ge=0, le=60)
    """A track outside (or unseen) for less than this is still on the same visit: boxes
    flicker and feet cross a polygon's edge for a frame or two."""

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, v: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if any(x < 0 or y < 0 for x, y in v):
            raise ValueError("coordinates must not be negative")
        area = 0.0
        for (x1, y1), (x2, y2) in zip(v, v[1:] + v[:1], strict=True):
            area += x1 * y2 - x2 * y1
        if abs(area) < 1.0:
            raise ValueError("polygon has no area (points on one line or repeated)")
        return v
