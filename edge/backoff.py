"""Exponential backoff with jitter, shared by camera reconnects and the sync workers.

A small class of our own rather than tenacity: the waits must end at once when the daemon
stops (callers pass the delay to a ``threading.Event.wait``), and neither loop is a retried
function call.

Example:
    >>> b = Backoff(1.0, 8.0)
    >>> steps = []
    >>> for _ in range(5):
    ...     steps.append(b.step())
    ...     assert 0 <= b.next_delay() <= steps[-1]
    >>> steps
    [1.0, 2.0, 4.0, 8.0, 8.0]
    >>> b.reset(); b.step()
    1.0
"""

from __future__ import annotations

import random

MAX_DOUBLINGS = 64
"""The exponent stops growing here, so a long outage never overflows a float."""


class Backoff:
    """Waits that double after each failure up to ``max_s``; :meth:`reset` after a success.

    The n-th wait since the last reset is drawn uniformly from ``[floor * step, step]`` with
    ``step = min(max_s, initial_s * 2**(n-1))``.

    Args:
        initial_s: the first step, in seconds.
        max_s: the largest step.
        rng: where the jitter comes from (seed one in tests).
        floor: the smallest share of the step a wait can be: 0 is full jitter (the sync
            workers); 0.5 keeps waits at 50-100 % of the step (camera reconnects), which
            still keeps cameras that failed together from reconnecting in lockstep.
    """

    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None,
                 *, floor: float = 0.0) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.floor = floor
        self.failures = 0
        self.rng = rng or random.Random()

    def step(self) -> float:
        """The cap of the next wait (it grows with each failure)."""
        return min(self.max_s, self.initial_s * 2 ** min(self.failures, MAX_DOUBLINGS))

    def next_delay(self) -> float:
        """Count a failure and return the wait before the next try."""
        step = self.step()
        self.failures += 1
        return self.rng.uniform(self.floor * step, step)

    def reset(self) -> None:
        """After a success: start again from ``initial_s``."""
        self.failures = 0
