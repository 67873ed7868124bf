"""Tracks survive the frames a loop that cannot keep up skips (``tracking.predict_skipped``):
the tracker predicts as far as the gap in the camera's frame numbers says, and nothing
changes while frames come at a steady rate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pytest
import supervision as sv

from edge.config.models import CANONICAL_CLASSES, CameraConfig, LineConfig, TrackingConfig
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
                          fps=7, heartbeat_s=3600)  # PETS' rate: the settings' own
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
    with_prediction = run(frames, TrackingConfig(gap_buffer=0.0))
    one_step = run(frames, TrackingConfig(predict_skipped=False, gap_buffer=0.0))
    buffered = run(frames, TrackingConfig(predict_skipped=False))
    assert {i for ids in with_prediction for i in ids if i >= 0} == {0}
    assert len({i for ids in one_step for i in ids if i >= 0}) == 2  # before: a new id
    # The buffer follows the usual gap (every frame here: none), not a burst's: that is
    # the clock's to predict across.
    assert len({i for ids in buffered for i in ids if i >= 0}) == 2


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


def crossings(frames: list[int], gap_scaled: bool, walk: Callable[[int], list[float]],
              fps: float | None = 7.0) -> list[str]:
    """Directions counted on a vertical line at x 300 when the step analyses ``frames`` of
    a camera at ``fps`` (None: not known)."""
    line = {"id": "door", "start": (300, 0), "end": (300, 400), "gap_scaled": gap_scaled}
    pipe = CameraPipeline(CameraConfig(id="door", url="x.avi", lines=[line]),
                          TrackingConfig(minimum_consecutive_frames=1), SiteOccupancy(),
                          fps=fps, heartbeat_s=3600)
    out = []
    for seq in frames:
        box = walk(seq)
        result = pipe.process(seq, NOW, detections(box) if box else detections(),
                              (0, 0, 640, 400))
        out += [c.direction for c in result.crossings]
    return out


def test_a_crossing_seen_in_few_analysed_frames_counts_at_a_wide_gap() -> None:
    # Someone walks out over the line at frame 30 and is hidden (a pillar) from frame 37: the
    # camera saw them on the far side for 6 frames; a loop analysing every third frame saw
    # 2 of them, fewer than min_frames: 3.
    def walk(seq: int) -> list[float]:
        return walker(seq, speed=4.0, x0=160.0) if seq < 37 else []

    every_third = list(range(3, 60, 3))
    assert crossings(every_third, True, walk) == ["exit"]
    assert crossings(every_third, False, walk) == []  # as before: missed
    assert crossings(list(range(1, 60)), False, walk) == ["exit"]  # every frame: seen


def test_line_settings_are_times_at_any_rate() -> None:
    line = LineConfig(id="door", start=(0, 0), end=(9, 9), min_frames=6, jitter_window=10,
                      handover_frames=10, smoothing=0.5)
    at3 = line.at_rate(7.0, gap=3.0)  # PETS' rate, one frame in three analysed
    assert (at3.min_frames, at3.jitter_window, at3.handover_frames) == (2, 3, 3)
    assert at3.smoothing == pytest.approx(0.125)
    assert line.at_rate(7.0 / 3.0) == at3  # a camera that slow: the same
    assert line.at_rate(7.0, gap=12.0).min_frames == 1
    fast = line.at_rate(28.0)  # four frames for every one at 7 fps
    assert (fast.min_frames, fast.jitter_window, fast.handover_frames) == (24, 40, 40)
    assert fast.smoothing == pytest.approx(0.5 ** 0.25)
    assert line.at_rate(None, gap=3.0) == line.at_rate(7.0, gap=3.0)  # fps not known
    assert line.at_rate(None) is line
    assert line.model_copy(update={"gap_scaled": False}).at_rate(7.0, gap=3.0).min_frames == 6
    other = line.model_copy(update={"frames_at_fps": 14.0})
    assert other.at_rate(7.0).min_frames == 3


def test_a_slow_camera_counts_like_a_loop_that_skips_frames() -> None:
    # The pillar walker of the test above, filmed by a camera of 7/3 fps: its frames are
    # numbered 1, 2, 3, ... (no gaps), and only its frame rate says they are far apart.
    def walk(seq: int) -> list[float]:
        return walker(3 * seq, speed=4.0, x0=160.0) if 3 * seq < 37 else []

    frames = list(range(1, 20))
    assert crossings(frames, True, walk, fps=7.0 / 3.0) == ["exit"]
    assert crossings(frames, True, walk, fps=None) == []  # rate not known: frames


def test_a_fast_camera_does_not_count_a_brief_lean_over_the_line() -> None:
    # At 28 fps someone standing at the door (feet at x 290, the line at 300) leans over it
    # for 6 frames (0.2 s) and back, twice; then walks in for real. At 7 fps the same lean
    # is one or two frames, which min_frames: 3 ignores; counted in frames at 28 fps it
    # was two entries and two exits too many.
    lean = [290, 296, 304, 312, 312, 312, 312, 304, 296, 290] + [290] * 20

    def walk(seq: int) -> list[float]:
        if seq <= 2 * len(lean):
            x = lean[(seq - 1) % len(lean)]
        else:
            x = 290 + 3.0 * (seq - 2 * len(lean))
        return [x - 20.0, 100.0, x + 20.0, 220.0]

    frames = list(range(1, 2 * len(lean) + 60))
    assert crossings(frames, True, walk, fps=28.0) == ["exit"]
    assert crossings(frames, False, walk, fps=28.0) == ["exit", "entry", "exit", "entry",
                                                        "exit"]


def test_a_fast_walker_seen_every_third_frame_is_tracked_with_the_buffer() -> None:
    # 20 px a frame, a box 40 px wide: 60 px between analysed frames, no overlap at all.
    frames = list(range(1, 40, 3))

    def fast(seq: int) -> list[list[float]]:
        return [walker(seq, speed=20.0)]

    plain = {i for ids in run(frames, TrackingConfig(gap_buffer=0.0), fast) for i in ids}
    buffered = {i for ids in run(frames, TrackingConfig(), fast) for i in ids}
    assert plain == {-1}  # before: never two matches in a row, never an id
    assert buffered == {-1, 0}  # one id, after its first two frames


def test_the_buffer_changes_nothing_at_full_rate() -> None:
    frames = list(range(1, 60))
    assert run(frames, TrackingConfig()) == run(frames, TrackingConfig(gap_buffer=0.0))


def test_a_slow_camera_keeps_a_lost_track_as_many_frames_as_a_loop_that_skips() -> None:
    # 1.2 fps: someone hidden for 10 of the camera's frames (8.6 s). lost_track_buffer's
    # 2.9 s is 3 frames at that rate; a loop analysing 1 frame in 6 of a 7 fps camera keeps
    # a lost track 20 analysed frames (its clock counts the usual gap as one frame).
    def ids_after(missed: int, tracking: TrackingConfig, fps: float, step: int) -> list[int]:
        pipe = CameraPipeline(CameraConfig(id="door", url="x.avi"), tracking,
                              SiteOccupancy(), fps=fps)
        box = [100.0, 100.0, 140.0, 220.0]
        seqs = iter(range(step, 1000, step))
        for _ in range(5):
            pipe.process(next(seqs), NOW, detections(box))
        for _ in range(missed):
            pipe.process(next(seqs), NOW, detections())
        back = pipe.process(next(seqs), NOW, detections(box)).detections
        return [int(i) for i in back.tracker_id]

    slow = 7.0 / 6
    assert ids_after(10, TrackingConfig(), slow, 1) == [0]
    assert ids_after(10, TrackingConfig(), 7.0, 6) == [0]  # the loop, the same frames
    assert ids_after(10, TrackingConfig(lost_track_frames=0), slow, 1) != [0]  # before
