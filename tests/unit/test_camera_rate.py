"""A camera's rate from its stream's timestamps, and a camera step that follows it."""

from __future__ import annotations

import doctest
import random
from datetime import datetime, timezone

import cv2
import numpy as np
import pytest
import supervision as sv

import edge.capture.rate
import edge.config.models
import edge.pipeline.workers
from edge.capture.camera import CameraCapture
from edge.capture.rate import StampRate, choose_rate
from edge.capture.slot import Frame
from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.loop import InferenceLoop
from edge.pipeline.step import CameraPipeline, SiteOccupancy

NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize("module", [edge.capture.rate, edge.pipeline.workers,
                                    edge.config.models])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def stamps(fps: float, n: int, start: float = 0.0, jitter_ms: float = 0.0,
           lost: float = 0.0, seed: int = 1) -> list[float]:
    """Presentation times (ms) of ``n`` frames sent at ``fps``: each jittered, a share of
    them lost on the way."""
    rng = random.Random(seed)
    out = [start + i * 1000.0 / fps + rng.uniform(-jitter_ms, jitter_ms) for i in range(n)]
    return [s for s in out if rng.random() >= lost]


def test_rate_of_a_jittery_lossy_stream() -> None:
    rate = StampRate()
    for s in stamps(12.5, 80, jitter_ms=3.0, lost=0.2):
        rate.add(s)
    assert rate.rate is not None and abs(rate.rate - 12.5) < 0.5


def test_rate_follows_a_camera_that_halves_its_rate() -> None:
    rate = StampRate()
    for s in stamps(25.0, 40):
        rate.add(s)
    assert rate.rate == 25.0
    seen = [rate.add(s) for s in stamps(12.5, 20, start=40 * 40.0)]
    assert seen.index(12.5) <= 8  # within about half the window
    assert seen[-1] == 12.5


def test_stamps_that_never_move_or_run_backwards_give_no_rate() -> None:
    still = StampRate()
    assert [still.add(0.0) for _ in range(30)] == [None] * 30
    back = StampRate()
    for s in [*stamps(10.0, 10), *stamps(10.0, 10, start=-5000.0)]:
        back.add(s)
    assert back.rate == 10.0  # the jump back is left out, the steps after it are not


def test_a_reopened_stream_keeps_its_rate_until_new_stamps_replace_it() -> None:
    rate = StampRate()
    for s in stamps(25.0, 20):
        rate.add(s)
    rate.restart()
    assert rate.add(0.0) == 25.0  # its clock starts anew: no step from the old stamps
    for s in stamps(10.0, 20, start=100.0):
        rate.add(s)
    assert rate.rate == 10.0


def test_choose_rate_prefers_config_then_stamps_then_header() -> None:
    assert choose_rate(None, None, 25.0, None) == (25.0, "header")
    assert choose_rate(None, 12.5, 25.0, 10.0) == (10.0, "stamps")


class FakeStream:
    """A network camera as ``cv2.VideoCapture`` sees it: a header rate, then frames whose
    presentation times go at another."""

    def __init__(self, header_fps: float, stamps_ms: list[float]) -> None:
        self.header_fps = header_fps
        self.stamps = stamps_ms
        self.i = -1

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self.header_fps
        if prop == cv2.CAP_PROP_POS_MSEC:
            return self.stamps[self.i]
        return 64.0  # width and height

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.i += 1
        if self.i >= len(self.stamps):
            return False, None
        return True, np.zeros((64, 64, 3), np.uint8)


def published_rates(config: CameraConfig, stream: FakeStream) -> tuple[CameraCapture,
                                                                        list[float]]:
    cam = CameraCapture(config)
    seen: list[float] = []
    cam.slot.put = lambda frame, stop=None: seen.append(frame.frame_rate) or False  # type: ignore[method-assign]
    assert cam._read_loop(stream, cam._generation) == "read failed or timed out"  # type: ignore[arg-type]
    return cam, seen


def test_a_stream_whose_header_says_25_is_timed_by_the_12_its_stamps_say() -> None:
    cam, seen = published_rates(CameraConfig(id="door", url="rtsp://127.0.0.1:9/x"),
                                FakeStream(25.0, stamps(12.0, 40)))
    assert seen[:5] == [25.0] * 5  # the header until five steps are seen
    assert all(abs(r - 12.0) < 0.01 for r in seen[5:])
    h = cam.health
    assert (h.source_fps, round(h.stamp_fps, 2), h.rate_source) == (25.0, 12.0, "stamps")


def test_configured_fps_and_files_do_not_follow_stamps() -> None:
    cam, seen = published_rates(CameraConfig(id="door", url="rtsp://127.0.0.1:9/x", fps=7),
                                FakeStream(25.0, stamps(12.0, 20)))
    assert set(seen) == {7.0} and cam.health.rate_source == "config"
    cam, seen = published_rates(CameraConfig(id="capped", url="rtsp://127.0.0.1:9/x",
                                             fps_cap=5), FakeStream(0.0, stamps(12.0, 20)))
    assert set(seen) == {5.0}  # the cap alone, then the stamps' 12 capped
    h = cam.health
    assert (h.frame_rate, round(h.stamp_fps, 2), h.rate_source) == (5.0, 12.0, "stamps")


def walker(pipe: CameraPipeline, frames: range, y0: float, step: float) -> list[int]:
    """One person walking down past y 100; the track ids the step gave them."""
    ids = []
    for k, seq in enumerate(frames):
        y = y0 + step * k
        det = sv.Detections(xyxy=np.array([[40.0, y - 60.0, 60.0, y]]),
                            confidence=np.array([0.9]), class_id=np.array([0]))
        out = pipe.process(seq, NOW, det, bounds=(0.0, 0.0, 640.0, 480.0))
        ids += out.detections.tracker_id.tolist()
    return ids


def line_camera() -> CameraConfig:
    return CameraConfig(id="door", url="x", lines=[{"id": "l", "start": [0, 100],
                                                    "end": [640, 100]}])


def test_the_step_is_retimed_without_losing_tracks_or_counts() -> None:
    pipe = CameraPipeline(line_camera(), TrackingConfig(), SiteOccupancy())
    ids = walker(pipe, range(1, 11), 40.0, 2.0)  # 10 frames at an unknown rate
    (line,) = pipe.counters
    assert (pipe.fps, line.counter.run.min_frames) == (None, 3)
    pipe.set_rate(28.0)
    ids += walker(pipe, range(11, 71), 60.0, 2.0)  # on past the line at 28 fps
    assert set(ids) == {-1, 0} and ids.index(0) == 1  # one track, from its second frame on
    assert (line.counter.run.min_frames, line.counter.run.jitter_window) == (12, 40)
    assert pipe.tracker.people.maximum_frames_without_update == 81  # 2.9 s at 28 fps
    assert pipe.counts()["entries"] + pipe.counts()["exits"] == 1
    assert line.counter.memory_frames == 81 == pipe._feet.memory_frames  # as long


def test_a_fixed_tracking_rate_is_not_retimed() -> None:
    pipe = CameraPipeline(line_camera(), TrackingConfig(frame_rate=10.0), SiteOccupancy(),
                          fps=25.0)
    pipe.set_rate(12.0)
    assert pipe.fps == 10.0 and pipe.tracker.clock.frame_rate == 10.0


def test_the_loop_retimes_a_camera_step_from_its_frames() -> None:
    cam = CameraCapture(line_camera())
    loop = InferenceLoop({"door": cam}, [], lambda cid: CameraPipeline(
        cam.config, TrackingConfig(), SiteOccupancy()), lambda events: None)
    image = np.zeros((64, 64, 3), np.uint8)
    for seq, rate in ((1, 0.0), (2, 25.0), (3, 0.0), (4, 12.5)):
        cam.slot.put(Frame("door", image, seq, frame_rate=rate))
        loop.process_batch(loop.take_batch())
        if seq == 1:
            assert loop.pipelines["door"].fps is None
        if seq == 3:  # a frame of unknown rate keeps the one in use
            assert loop.pipelines["door"].fps == 25.0
    assert loop.pipelines["door"].fps == 12.5
    assert loop.pipelines["door"].counters[0].counter.run.min_frames == 5
