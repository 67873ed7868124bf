"""Tracks survive the frames a loop that cannot keep up skips (``tracking.predict_skipped``):
the tracker predicts as far as the gap in the camera's frame numbers says, and nothing
changes while frames come at a steady rate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pytest
import supervision as sv

from edge.config.models import CANONICAL_CLASSES, CameraConfig, TrackingConfig
from edge.pipeline.clock import FrameClock
from edge.pipeline.step import CameraPipeline, SiteOccupancy

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
PERSON = CANONICAL_CLASSES.index("person")


def walker(seq: int, speed: float = 9.0, x0: float = 20.0) -> list[float]:
    """The box of someone 40 px wide walking right at ``speed`` px a frame, at frame ``seq``."""
    x = x0 + speed * seq
    return [x, 100.0, x + 40.0, 220.0]


def detections(*xyxy: list[float]) -> sv.Detections:
    return sv.Detections(xyxy=np.array(xyxy, np.float32).reshape(-1, 4),
                         confidence=np.full(len(xyxy), 0.9, np.float32),
                         class_id=np.full(len(xyxy), PERSON, int))


def run(frames: list[int], tracking: TrackingConfig,
        boxes: Callable[[int], list[list[float]]] = lambda seq: [walker(seq)]
        ) -> list[list[int]]:
    """The track ids the camera's step gives on the analysed frame numbers ``frames`` (the
    boxes of frame ``seq`` are ``boxes(seq)``)."""
    pipe = CameraPipeline(CameraConfig(id="door", url="x.avi"), tracking, SiteOccupancy(),
                          fps=10, heartbeat_s=3600)
    out = []
    for seq in frames:
        got = boxes(seq)
        tracked = pipe.process(seq, NOW, detections(*got) if got else detections()).detections
        out.append([int(t) for t in tracked.tracker_id])
    return out


def test_the_clock_counts_typical_gaps() -> None:
    clock = FrameClock(frame_rate=5.0)
    times = [clock.time(seq) for seq in (10, 13, 16, 19, 31)]
    assert np.allclose(np.diff(times), [0.2, 0.2, 0.2, 0.8])  # gaps 3, 3, 3, then 12
    assert clock.time(31) > times[-1]  # a repeated number moves on by the usual gap
    clock.reset()
    assert clock.time(500) == 0.0


def test_a_walker_keeps_its_id_across_a_burst_of_skipped_frames() -> None:
    # Every frame to 12, then the loop falls behind for 6 frames (54 px of walking, more
    # than the box's width): one step of prediction leaves the box behind.
    frames = [*range(1, 13), 18, 19, 20, 21]
    with_prediction = run(frames, TrackingConfig())
    one_step = run(frames, TrackingConfig(predict_skipped=False))
    assert {i for ids in with_prediction for i in ids if i >= 0} == {0}
    assert len({i for ids in one_step for i in ids if i >= 0}) == 2  # today: a new id


@pytest.mark.parametrize("gap", [1, 3])
def test_steady_gaps_track_exactly_as_one_step_an_update(gap: int) -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 2.0, (200, 4))

    def two_walkers(seq: int) -> list[list[float]]:
        a = (np.array(walker(seq, 3.0)) + noise[seq]).tolist()
        b = (np.array(walker(seq, -2.5, 400.0)) + noise[seq + 100]).tolist()
        return [a, b] if seq % 11 else [a]  # one of them missed now and then

    frames = list(range(1, 90, gap))
    assert run(frames, TrackingConfig(), two_walkers) == run(
        frames, TrackingConfig(predict_skipped=False), two_walkers)
