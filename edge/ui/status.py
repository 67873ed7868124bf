"""What the live tiles and the health page say about each camera."""

from __future__ import annotations

from dataclasses import dataclass

from edge.pipeline.clock import analysed_rate, counts_poorly
from edge.ui.context import ConsoleContext


@dataclass(frozen=True)
class CameraState:
    """One camera's state in words and numbers."""

    id: str
    name: str
    state: str
    """``up``, ``down``, ``ended`` or ``off``."""
    why: str
    fps: float
    frame_age_s: float | None
    width: int
    height: int
    frames: int
    reconnects: int
    occupancy: int
    entries: int
    exits: int
    frame_gap: float = 1.0
    """Typical camera frames between two analysed frames (1.0: every frame analysed)."""
    counts_lines: bool = False
    """Whether the camera has counting lines (which count less well when frames are
    skipped: README, "Counting when the box cannot keep up")."""
    analysed_fps: float | None = None
    """Frames a second the lines see: the camera's frame rate over the gap (None: its rate
    is not known)."""
    counts_poorly: bool = False
    """Its lines see too few frames a second to count well (``edge doctor``'s rule,
    :func:`edge.pipeline.clock.counts_poorly`)."""
    frame_rate: float = 0.0
    """The rate the camera is timed by (0: not known; ``CameraHealth.frame_rate``)."""
    timed_by: str = "not known"
    """Where that rate came from, in words (:data:`RATE_WORDS`)."""


RATE_WORDS = {"config": "cameras[].fps", "stamps": "its timestamps", "header": "its header",
              "fps_cap": "fps_cap", "": "not known"}
"""``CameraHealth.rate_source`` in the health page's words."""


def camera_states(ctx: ConsoleContext) -> list[CameraState]:
    """Every configured camera, in the config's order."""
    live = ctx.cameras()
    counts = ctx.live_counts()
    gaps = ctx.frame_gaps()
    out = []
    for cfg in ctx.settings().cameras:
        cam = live.get(cfg.id)
        c = counts.get(cfg.id, {})
        if cam is None:
            out.append(CameraState(cfg.id, cfg.name or cfg.id, "off",
                                   "disabled in the config" if not cfg.enabled else "starting",
                                   0.0, None, 0, 0, 0, 0, 0, 0, 0))
            continue
        h = cam.health
        if h.up:
            state, why = "up", ""
        elif h.finished:
            state, why = "ended", "the file has ended"
        else:
            state, why = "down", h.last_error or "waiting for the first frame"
        age = h.seconds_since_frame()
        gap = gaps.get(cfg.id, 1.0)
        rate = analysed_rate(h.frame_rate, gap)
        out.append(CameraState(
            cfg.id, cfg.name or cfg.id, state, why, round(h.decode_fps, 1),
            None if age is None else round(age, 1), h.width, h.height, h.frames, h.reconnects,
            c.get("occupancy", 0), c.get("entries", 0), c.get("exits", 0),
            round(gap, 1), bool(cfg.lines), None if rate is None else round(rate, 1),
            bool(cfg.lines) and counts_poorly(h.frame_rate, gap), round(h.frame_rate, 1),
            RATE_WORDS.get(h.rate_source, h.rate_source)))
    return out
