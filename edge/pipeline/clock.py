"""The tracker's clock: how far to predict each track, when the loop skipped camera frames.

The capture thread keeps only a camera's newest frame, so when inference cannot keep up the
step sees every second, third, ... frame, and unevenly: a slow pass of the loop (a plate
read, a face crop, a busy core) skips more. ByteTrack in fixed-rate mode predicts every
track one step ahead per update whatever the gap, so after a long gap the predicted boxes
lag the people and their matches fail (id switches, lost tracks, missed crossings).

:class:`FrameClock` gives the tracker a time for each analysed frame from the camera's
frame numbers (``seq`` counts every decoded frame, analysed or not), in units of the
*typical* gap between analysed frames (the median of the latest ones): a frame that comes
after the usual gap is one step, one after twice the usual gap two steps. A camera
analysed at any steady rate is tracked exactly as in fixed-rate mode, and ``trackers``'
own variable-rate prediction (``update(timestamp=...)``) handles the uneven gaps. The time
is not the stream's wall-clock time: a camera's reported fps is often wrong (PETS' file
says 10 for about 7) and would scale every prediction; frame numbers need no fps.

Measured on the PETS random lines with analysed frames dropped unevenly (README, "Counting
when the box cannot keep up"): the reported lines' mean error went from 10.3 % to 6.7 % for
gaps of 1, 1, 1 and 4 frames, and did not change for even gaps.
"""

from __future__ import annotations

from collections import deque
from statistics import median

SLOW_COUNTING_FPS = 2.0
"""Analysed frames a second below which a camera's lines count poorly (``edge doctor`` warns,
the health page flags it): on PETS (README, "Counting when the box cannot keep up") 5 % of
crossings were wrong at 7 frames a second, 6-7 % at 2.3-3.5, 12 % at 1.2 and 25 % at 0.7."""


def analysed_rate(fps: float, gap: float) -> float | None:
    """Frames a second a camera's lines see: its frame rate ``fps`` (0: not known) over the
    loop's usual ``gap``; None when the rate is not known."""
    return fps / gap if fps > 0 else None


def counts_poorly(fps: float, gap: float) -> bool:
    """Whether lines that see one frame in ``gap`` of a camera at ``fps`` (0: not known)
    count poorly: under :data:`SLOW_COUNTING_FPS` a second, or frames skipped at an unknown
    rate (``edge doctor`` warns, the health page flags it).

    >>> counts_poorly(7.0, 6.0), counts_poorly(25.0, 3.0), counts_poorly(0.0, 2.0)
    (True, False, True)
    """
    rate = analysed_rate(fps, gap)
    return gap > 1 if rate is None else rate < SLOW_COUNTING_FPS


class FrameClock:
    """Tracker time of each analysed frame of one camera.

    Args:
        frame_rate: the rate the tracker was built with (its time budgets are in seconds
            at that rate).
        window: how many of the latest gaps the typical gap is the median of.

    >>> clock = FrameClock(frame_rate=10.0)
    >>> [round(clock.time(seq), 2) for seq in (1, 3, 5, 7, 15)]  # gaps 2, 2, 2, then 8
    [0.0, 0.1, 0.2, 0.3, 0.7]
    """

    def __init__(self, frame_rate: float, window: int = 15) -> None:
        self.frame_rate = frame_rate
        self._gaps: deque[int] = deque(maxlen=window)
        self._seq: int | None = None
        self._now = 0.0
        self._typical = 1.0

    def time(self, seq: int) -> float:
        """The tracker time of frame ``seq`` (seconds at ``frame_rate``): the last one's
        plus one step per typical gap elapsed. A frame number that does not increase
        (a restarted source) counts as the typical gap."""
        if self._seq is not None:
            gap = seq - self._seq
            if gap <= 0:
                gap = round(self._typical)
            self._gaps.append(gap)
            self._typical = float(median(self._gaps))
            self._now += gap / self._typical / self.frame_rate
        self._seq = seq
        return self._now

    @property
    def gap(self) -> float:
        """The typical gap between analysed frames, in camera frames (1.0: every frame; 2.0:
        every other one), the median of the latest gaps; 1.0 before the second frame."""
        return self._typical

    def reset(self) -> None:
        """Forget the gaps and start again at 0 (the tracker was reset)."""
        self._gaps.clear()
        self._seq = None
        self._now = 0.0
        self._typical = 1.0
