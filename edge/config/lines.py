"""A counting line of ``cameras.yaml`` (``cameras[].lines[]``) and its counter's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from edge.config.base import CANONICAL_CLASSES, Point, Strict


class LineConfig(Strict):
    """A counting line: a segment from ``start`` to ``end`` in the camera's pixel coordinates.

    Sides are named as seen by someone walking along the line from ``start`` to ``end`` on the
    image: ``left`` is where the cross product ``(x2-x1)*(y-y1)-(y2-y1)*(x-x1)`` is negative
    (image y grows downwards). Moving from the outside to the ``in_side`` is an entry.
    """

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    start: Point
    end: Point
    in_side: Literal["left", "right"] = "right"
    classes: list[Literal[CANONICAL_CLASSES]] = Field(default_factory=lambda: ["person"])  # type: ignore[valid-type]
    counts_occupancy: bool = True
    min_frames: int = Field(3, ge=1, le=60)
    """Frames an anchor must stay on the new side before a crossing counts (jitter guard)."""
    band: float = Field(0.02, ge=0.0, le=1.0)
    """Dead band around the line, as a fraction of the box height: a foot point closer to
    the line than this says nothing about the side (boxes wobble by a few pixels). This
    default and ``smoothing`` were chosen on random PETS lines and checked on others (README,
    "Counting accuracy")."""
    end_margin: float = Field(0.0, ge=0.0, le=5.0)
    """How far beyond either end of the segment a crossing still counts, as a fraction of
    the box height (foot points are a few pixels off the true ones)."""
    handover: bool = True
    """A new track appearing where another vanished a moment ago takes over its side (the
    tracker switched ids mid-crossing), so that crossing counts once."""
    handover_frames: int = Field(10, ge=1, le=300)
    handover_reach: float = Field(0.5, gt=0.0, le=5.0)
    """How close, in box heights, the new track must appear to the vanished one."""
    smoothing: float = Field(0.3, ge=0.0, lt=1.0)
    """Weight of a track's previous foot point in an exponential average of its path
    (0: raw points); damps a standing person's box edge jumping across the line."""
    count_on_loss: bool = False
    """Count a track lost while already beyond the band on the new side (fewer than
    ``min_frames`` points there) when the tracker gives it up."""
    jitter_band: float = Field(1.0, ge=0.0, le=10.0)
    """The dead band is at least this many times the track's own jitter (the mean absolute
    second difference of its foot's distance from the line over its last ``jitter_window``
    points): a standing person whose box edge jumps as legs are hidden and shown says
    nothing about its side until it moves past the jumps, while a steady walk has none and
    keeps the plain ``band``. 0 turns it off."""
    jitter_window: int = Field(10, ge=3, le=100)
    """How many of a track's latest foot points its jitter is measured over."""
    edge_feet: bool = True
    """Complete boxes the picture's border cuts (a person walking out of the picture) from
    the track's last uncut size before taking their feet, so a line near the edge of the
    picture still sees them cross (``edge.analytics.anchors``)."""
    border_crossing: bool = True
    """A track first seen cut by the picture's border came in through it, one last seen so
    went out (``edge.analytics.lines``): lines near the edge count people seen only inside."""

    gap_scaled: bool = True
    """``min_frames``, ``jitter_window`` and ``handover_frames`` count frames at
    ``frames_at_fps`` and ``smoothing`` weighs one such frame: they are times. At another
    analysed rate (a camera of another fps, or a loop that analyses only every g-th frame
    because inference is behind the camera) they become as many analysed frames as span the
    same time (rounded down; at least 1, the jitter window at least 3) and the weight
    becomes ``smoothing ** (interval * frames_at_fps)`` (:meth:`at_rate`). Off: they count
    analysed frames whatever the rate."""
    frames_at_fps: float = Field(7.0, gt=0.0, le=240.0)
    """The frame rate the frame counts above are meant at: 7, PETS' own rate, where the
    defaults were chosen (README, "Counting accuracy")."""

    def at_rate(self, fps: float | None, gap: float = 1.0) -> LineConfig:
        """These settings for a camera delivering ``fps`` frames a second (None: not known;
        then frames count as at ``frames_at_fps``) of which the loop analyses one in
        ``gap``.

        >>> line = LineConfig(id="door", start=(0, 0), end=(9, 9))
        >>> s = line.at_rate(7.0, gap=2.0)  # a 7 fps camera, every other frame analysed
        >>> (s.min_frames, s.jitter_window, s.handover_frames, round(s.smoothing, 2))
        (1, 5, 5, 0.09)
        >>> line.at_rate(3.5) == s  # a 3.5 fps camera, every frame: the same times
        True
        >>> f = line.at_rate(25.0)  # a 25 fps camera: more frames for the same times
        >>> (f.min_frames, f.jitter_window, f.handover_frames, round(f.smoothing, 2))
        (10, 35, 35, 0.71)
        >>> line.at_rate(None) is line and line.at_rate(7.0) is line
        True
        """
        scale = gap * (self.frames_at_fps / fps if fps else 1.0)
        if not self.gap_scaled or abs(scale - 1.0) < 1e-9:
            return self
        return self.model_copy(update={
            "min_frames": max(1, int(self.min_frames / scale + 1e-9)),
            "jitter_window": max(3, int(self.jitter_window / scale + 1e-9)),
            "handover_frames": max(1, int(self.handover_frames / scale + 1e-9)),
            "smoothing": self.smoothing ** scale})

    @model_validator(mode="after")
    def _non_degenerate(self) -> LineConfig:
        if tuple(self.start) == tuple(self.end):
            raise ValueError("start and end are the same point")
        if min(*self.start, *self.end) < 0:
            raise ValueError("coordinates must not be negative")
        return self
