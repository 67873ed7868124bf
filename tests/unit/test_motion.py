"""The motion gate: wakes on a person within one frame, never on a clock, noise or slow light;
the loop keeps detecting while a camera has live tracks and every keepalive."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import supervision as sv

from edge.capture.camera import CameraCapture
from edge.capture.motion import MotionDetector
from edge.capture.slot import Frame
from edge.config.models import CameraConfig
from edge.config.motion import MotionConfig
from edge.pipeline.loop import ModelRoute
from tests.unit.test_loop import FakeDetector, loop_for

W, H = 640, 480


def scene(seed: int = 0) -> np.ndarray:
    """A still, textured scene (a corridor stand-in)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 190, (H // 8, W // 8, 3), dtype=np.uint8)
    return cv2.resize(base, (W, H), interpolation=cv2.INTER_CUBIC)


def frames(n: int, *, light: float = 0.0, clock: bool = False, person_from: int | None = None,
           seed: int = 1) -> Iterator[np.ndarray]:
    """``n`` frames of the scene with sensor noise, optional light drift (grey levels per
    frame), a burnt-in clock, and a person walking in from the left at ``person_from``."""
    rng = np.random.default_rng(seed)
    still = scene().astype(np.float32)
    for i in range(n):
        img = still + i * light + rng.normal(0, 3, still.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if clock:
            cv2.putText(img, f"2026-12-02 08:{i // 60:02d}:{i % 60:02d}", (W - 250, 25),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        if person_from is not None and i >= person_from:
            x = 40 + 12 * (i - person_from)
            cv2.rectangle(img, (x, 200), (x + 40, 330), (25, 25, 35), -1)
        yield img


def test_a_person_entering_an_empty_scene_wakes_the_gate_on_the_first_frame() -> None:
    gate = MotionDetector(MotionConfig(enabled=True))
    moving = [gate.moving(img) for img in frames(60, person_from=40)]
    assert moving[0]  # the first picture always goes to the detector
    assert not any(moving[1:40])  # noise alone: never
    assert moving[40]  # the very frame the person appears


def test_a_burnt_in_clock_alone_never_wakes_it() -> None:
    gate = MotionDetector(MotionConfig(enabled=True))
    assert not any([gate.moving(img) for img in frames(200, clock=True)][1:])


def test_slow_light_changes_are_absorbed() -> None:
    gate = MotionDetector(MotionConfig(enabled=True))
    # 0.3 grey levels a frame: 60 levels over 200 frames, a cloud or dusk
    assert not any([gate.moving(img) for img in frames(200, light=0.3)][1:])


def test_masked_areas_are_never_looked_at() -> None:
    gate = MotionDetector(MotionConfig(enabled=True, masks=[(0, 150, 640, 480)]))
    assert not any([gate.moving(img) for img in frames(60, person_from=20)][1:])


def gated_camera(keepalive_s: float = 5.0) -> dict[str, CameraCapture]:
    cfg = CameraConfig(id="c0", url="x.avi",
                       motion=MotionConfig(enabled=True, keepalive_s=keepalive_s))
    return {"c0": CameraCapture(cfg)}


class EmptyDetector(FakeDetector):
    """Sees nothing, and counts its calls."""

    def predict(self, images):  # type: ignore[no-untyped-def]
        self.calls.append(len(images))
        return [sv.Detections.empty() for _ in images]


def test_a_still_camera_skips_the_detector_but_keeps_alive() -> None:
    empty = EmptyDetector("p", 0)
    loop, _ = loop_for(gated_camera(keepalive_s=3600), [ModelRoute(empty)])  # type: ignore[arg-type]
    image = np.zeros((64, 64, 3), np.uint8)
    results = [loop.process_batch([Frame("c0", image, seq, moving=seq == 1)])[0]
               for seq in range(1, 6)]
    assert empty.calls == [1]  # the first (moving) frame only
    assert [r.frame_seq for r in results] == [1, 2, 3, 4, 5]  # every frame still stepped
    loop, _ = loop_for(gated_camera(keepalive_s=1e-9), [ModelRoute(empty)])  # type: ignore[arg-type]
    empty.calls.clear()
    for seq in range(1, 4):
        loop.process_batch([Frame("c0", image, seq, moving=False)])
    assert empty.calls == [1, 1, 1]  # keepalive due every frame


def test_a_camera_with_live_tracks_keeps_being_detected_while_it_moved_lately() -> None:
    cameras = gated_camera(keepalive_s=3600)
    person = FakeDetector("p", 0)  # one person box on every frame
    loop, _ = loop_for(cameras, [ModelRoute(person)])  # type: ignore[arg-type]
    image = np.zeros((64, 64, 3), np.uint8)
    for seq in range(1, 8):
        loop.process_batch([Frame("c0", image, seq, moving=seq == 1)])
    assert person.calls == [1] * 7  # no motion after the first frame, but a live track
    # A still picture with a static "person" on it (a poster): after track_hold_s, asleep.
    cameras["c0"].config.motion.track_hold_s = 0.0
    person.calls.clear()
    for seq in range(8, 12):
        loop.process_batch([Frame("c0", image, seq, moving=False)])
    assert person.calls == []
