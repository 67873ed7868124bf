"""A camera's frame rate: configured, read from the stream's own timestamps, or its header.

The counter's windows and the tracker's budgets are times (``LineConfig.frames_at_fps``),
so the step must know how far apart a camera's frames are. A stream's header rate is often
wrong: many IP cameras report none (OpenCV reads 0, or the RTP clock's 90000), others a
nominal 25 or 30 while they send 12.5 (a lowered frame rate, a "smart" encoder, a night
mode). Each decoded frame of a stream carries its presentation time
(``CAP_PROP_POS_MSEC``), which says how far apart frames were *sent*, whatever the box's own
decoding speed; :class:`StampRate` turns those into a rate. Files are played at their header's
rate (or ``cameras[].fps``): their timestamps are the header's rate again (an AVI's are frame
numbers over it), so they add nothing.

Which rate a camera is timed by, first known of (:func:`choose_rate`):

1. ``cameras[].fps`` (a person said so);
2. the stream's timestamps, once :class:`StampRate` has enough of them;
3. the header's rate (``CAP_PROP_FPS``, when between 0 and 240);

then capped by ``fps_cap`` (the capture skips frames down to it), or the cap alone when
none is known.
"""

from __future__ import annotations

from collections import deque
from statistics import median

RATE_SOURCES = ("config", "stamps", "header", "fps_cap", "")
"""Where a camera's rate came from (``""``: not known)."""


class StampRate:
    """The rate a stream's frames were sent at, from their presentation times.

    The rate is one over the median step between consecutive stamps, over the latest
    ``window`` steps: a frame lost on the way (a step twice as long) or a late one does not
    move it, a camera that changes its rate moves it within half a window. Steps that are
    not forward, or longer than ``max_step_ms`` (a stream restarting its clock, a long
    stall), are left out; stamps that never move (a stream without timestamps) give no rate.

    Args:
        window: how many of the latest steps the median is taken over.
        min_steps: steps needed before a rate is given.
        max_step_ms: longest step between two frames that still measures the rate.

    >>> rate = StampRate(min_steps=3)
    >>> [rate.add(ms) for ms in (0.0, 40.0, 80.0)]  # two steps: not yet
    [None, None, None]
    >>> rate.add(120.0), rate.add(200.0), rate.add(240.0)  # one frame lost: still 25
    (25.0, 25.0, 25.0)
    >>> StampRate(min_steps=2).add(0.0) is None
    True
    """

    def __init__(self, window: int = 15, min_steps: int = 5,
                 max_step_ms: float = 2000.0) -> None:
        self.min_steps = min_steps
        self.max_step_ms = max_step_ms
        self._steps: deque[float] = deque(maxlen=window)
        self._last: float | None = None
        self.rate: float | None = None
        """The latest rate (frames a second), None until ``min_steps`` steps were seen."""

    def add(self, stamp_ms: float) -> float | None:
        """Take the next decoded frame's presentation time (milliseconds); return the rate
        so far (None: not known yet)."""
        last, self._last = self._last, stamp_ms
        if last is None:
            return self.rate
        step = stamp_ms - last
        if 0.0 < step <= self.max_step_ms:
            self._steps.append(step)
            if len(self._steps) >= self.min_steps:
                rate = 1000.0 / median(self._steps)
                self.rate = rate if 0.0 < rate <= 240.0 else None
        return self.rate

    def restart(self) -> None:
        """The stream was opened again and its clock starts anew: forget the last stamp,
        keep the steps (and the rate) until new ones replace them, since it is most often
        the same camera at the same rate."""
        self._last = None


def choose_rate(configured: float | None, stamps: float | None, header: float,
                cap: float | None) -> tuple[float, str]:
    """The rate a camera's published frames come at, and where it came from
    (:data:`RATE_SOURCES`; ``(0.0, "")`` when nothing is known).

    >>> choose_rate(None, 12.5, 25.0, None)  # the header says 25; the stamps 12.5
    (12.5, 'stamps')
    >>> choose_rate(7.0, 12.5, 25.0, None)  # a person said 7
    (7.0, 'config')
    >>> choose_rate(None, None, 25.0, 10.0)  # capped: 10 of them a second are published
    (10.0, 'header')
    >>> choose_rate(None, None, 0.0, 10.0), choose_rate(None, None, 0.0, None)
    ((10.0, 'fps_cap'), (0.0, ''))
    """
    for value, source in ((configured, "config"), (stamps, "stamps"), (header, "header")):
        if value:
            return (min(value, cap) if cap else value), source
    return (cap, "fps_cap") if cap else (0.0, "")


def moved(old: float, new: float, tolerance: float = 0.1) -> bool:
    """Whether a camera's rate changed enough to re-time its step by (more than
    ``tolerance`` of the old one; any change from or to unknown, 0).

    >>> moved(25.0, 24.0), moved(25.0, 12.5), moved(0.0, 25.0), moved(25.0, 25.0)
    (False, True, True, False)
    """
    if not old or not new:
        return old != new
    return abs(new - old) > tolerance * old
