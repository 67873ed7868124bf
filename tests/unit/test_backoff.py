"""The shared backoff: steps double to the cap, waits fall inside the jitter band, a success
starts again from the first step, and a long outage never overflows."""

from __future__ import annotations

import random

import pytest

from edge.backoff import Backoff


@pytest.mark.parametrize(("floor", "initial", "cap", "steps"), [
    (0.0, 1.0, 8.0, [1, 2, 4, 8, 8, 8]),  # the sync workers: full jitter
    (0.5, 0.5, 30.0, [0.5, 1, 2, 4, 8, 16, 30, 30]),  # camera reconnects
])
def test_steps_double_to_the_cap_and_waits_stay_in_the_band(
        floor: float, initial: float, cap: float, steps: list[float]) -> None:
    b = Backoff(initial, cap, random.Random(7), floor=floor)
    seen = []
    for _ in steps:
        step = b.step()
        seen.append(step)
        assert floor * step <= b.next_delay() <= step
    assert seen == steps
    assert b.failures == len(steps)
    b.reset()
    assert b.failures == 0 and b.step() == initial


def test_a_very_long_outage_stays_at_the_cap() -> None:
    b = Backoff(1e-3, 60.0)
    b.failures = 5000  # 2**5000 would not fit a float
    assert b.step() == 60.0
    assert 0 <= b.next_delay() <= 60.0
