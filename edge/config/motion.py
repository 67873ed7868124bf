"""Per-camera motion gate settings: detect only where something moves."""

from __future__ import annotations

from pydantic import Field, field_validator

from edge.config.base import Strict


class MotionConfig(Strict):
    """When on, a camera's frame goes to the detector only while its picture moves, while it
    has live tracks that moved lately, and at least every ``keepalive_s``; otherwise its
    tracker and lines age as if it saw nothing. Motion is measured on the capture thread,
    on a small grey copy."""

    enabled: bool = False
    width: int = Field(160, ge=32, le=640)
    """Width the picture is scaled down to before comparing (cheap: about 1 ms a frame)."""
    threshold: int = Field(25, ge=1, le=255)
    """Grey-level change that counts a pixel as changed (sensor noise stays below it)."""
    min_area: float = Field(0.002, gt=0.0, le=1.0)
    """Smallest changed blob, as a share of the picture, that counts as motion: a person far
    away is about 0.2 % of a 1080p picture; a burnt-in clock's digits are separate, smaller
    blobs."""
    learn_rate: float = Field(0.05, gt=0.0, le=1.0)
    """How fast the background follows the picture (slow light changes are absorbed)."""
    keepalive_s: float = Field(5.0, gt=0.0, le=3600.0)
    """Detect at least this often even without motion."""
    track_hold_s: float = Field(3.0, ge=0.0, le=600.0)
    """Live tracks keep the detector on this long after the last motion (someone who stops
    walking); after that a still picture is left alone even with tracks on it."""
    masks: list[tuple[int, int, int, int]] = Field(default_factory=list)
    """Rectangles ``[x1, y1, x2, y2]`` (full-frame pixels) never looked at: a timestamp
    overlay, a screen, trees in the wind."""

    @field_validator("masks")
    @classmethod
    def _boxes(cls, v: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
        for box in v:
            if not (0 <= box[0] < box[2] and 0 <= box[1] < box[3]):
                raise ValueError(f"mask {list(box)} must be [x1, y1, x2, y2] with "
                                 f"0 <= x1 < x2 and 0 <= y1 < y2")
        return v
