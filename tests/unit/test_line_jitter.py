"""The dead band widened by a track's own jitter (``LineConfig.jitter_band``)."""

from __future__ import annotations

import numpy as np

from edge.analytics.lines import LineCounter
from tests.unit.test_lines import horizontal_line, run, walk


def standing_on_the_line(blocks: int = 10) -> list[float]:
    """Foot y of someone who walks up to the line at y = 200, stands on it while their box's
    bottom edge jumps 8 px either side (legs hidden and shown, three frames at a time),
    then walks on across it."""
    ys = [100.0, 130.0, 160.0, 185.0]
    for b in range(blocks):
        ys += [192.0 + (b % 2) * 16.0 + d for d in (0.0, 1.0, -1.0)]
    return [*ys, 230.0, 260.0, 290.0, 320.0]


def test_a_standing_persons_jumping_box_edge_counts_once_not_at_every_jump() -> None:
    ys = standing_on_the_line()
    without = LineCounter(horizontal_line(jitter_band=0.0))
    run(without, walk(1, 300, ys))
    # Before: each jump of the box edge held three frames beyond the 1.6 px band.
    assert without.entries + without.exits > 1
    counter = LineCounter(horizontal_line())  # the default widens the band by the jitter
    assert [d for _, d in run(counter, walk(1, 300, ys))] == ["entry"]


def test_a_steady_walk_has_no_jitter_whatever_its_speed() -> None:
    for step in (3.0, 12.0, 40.0):
        ys = list(np.arange(200.0 - 20 * step, 200.0 + 20 * step, step))
        counter = LineCounter(horizontal_line())
        assert [d for _, d in run(counter, walk(1, 300, ys))] == ["entry"], step


def test_walkers_with_detector_noise_still_count_once() -> None:
    rng = np.random.default_rng(5)
    for trial in range(20):
        step = rng.uniform(2.0, 8.0)  # slow to brisk, px per frame
        ys = 200.0 + np.arange(-30, 31) * step + rng.normal(0.0, 1.5, 61)
        counter = LineCounter(horizontal_line())
        assert [d for _, d in run(counter, walk(1, 300, list(ys)))] == ["entry"], trial


def test_a_person_who_stands_and_walks_back_counts_nothing() -> None:
    ys = [*standing_on_the_line()[:-4], 180.0, 150.0, 120.0]
    counter = LineCounter(horizontal_line())
    assert run(counter, walk(1, 300, ys)) == []
