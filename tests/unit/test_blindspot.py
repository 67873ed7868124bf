"""The blind-spot watch: vehicle models silent while the camera's picture keeps changing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import supervision as sv
from prometheus_client import REGISTRY

from edge.capture.camera import CameraCapture
from edge.capture.slot import Frame
from edge.config.models import CANONICAL_CLASSES, CameraConfig, TrackingConfig
from edge.pipeline.blindspot import (
    BlindSpotTracker,
    changed_fraction,
    count_vehicles,
    thumbnail,
)
from edge.pipeline.loop import InferenceLoop, ModelRoute
from edge.pipeline.step import CameraPipeline, SiteOccupancy

CAR, PERSON = CANONICAL_CLASSES.index("car"), CANONICAL_CLASSES.index("person")


def street(t: int, h: int = 360, w: int = 640) -> np.ndarray:
    """A grey road with a white 'car' (a tenth of the width) driving across it."""
    img = np.full((h, w, 3), 90, np.uint8)
    x = (t * w // 10) % w
    img[h // 2 - 20:h // 2 + 20, x:x + w // 10] = 255
    return img


STILL = street(0)
DRIVING = [street(t) for t in range(10)]
"""The car at ten places: one picture per second is a car driving across, for ever."""


def run(spots: BlindSpotTracker, frames: Sequence[np.ndarray], vehicles: Sequence[int],
        fps: float = 5.0, start: float = 1000.0, model: str = "vehicle") -> list[float]:
    """Feed frames at ``fps`` on a fake clock; return the silent seconds after each."""
    return [spots.observe("mast", model, img, n, start + i / fps)
            for i, (img, n) in enumerate(zip(frames, vehicles, strict=True))]


def test_a_changing_picture_without_vehicles_passes_the_threshold_in_time() -> None:
    spots = BlindSpotTracker(export=False)
    n = 5 * 3700  # 5 fps for a little over an hour
    silent = run(spots, [DRIVING[(i // 5) % 10] for i in range(n)], [0] * n)
    assert silent[0] == 0.0
    assert silent[5 * 1800] == pytest.approx(1800, abs=2)  # half an hour: not yet
    assert silent[-1] > 3600
    assert spots.silent_seconds("mast", "vehicle") == silent[-1]


def test_a_still_picture_never_counts_as_silence() -> None:
    spots = BlindSpotTracker(export=False)
    n = 5 * 7200
    noisy = [np.clip(STILL.astype(np.int16) + np.random.default_rng(i).integers(
        -6, 7, STILL.shape), 0, 255).astype(np.uint8) for i in range(4)]  # sensor noise
    silent = run(spots, [noisy[i % 4] for i in range(n)], [0] * n)
    assert max(silent) == 0.0


def test_a_detection_resets_the_silence() -> None:
    spots = BlindSpotTracker(export=False)
    frames = [DRIVING[(i // 5) % 10] for i in range(5 * 100)]
    vehicles = [1 if i == 5 * 60 else 0 for i in range(len(frames))]
    silent = run(spots, frames, vehicles)
    assert silent[5 * 60 - 1] == pytest.approx(59, abs=1)
    assert silent[5 * 60] == 0.0
    assert silent[-1] == pytest.approx(39, abs=1)


def test_the_picture_is_sampled_at_most_once_a_second_and_gaps_are_capped() -> None:
    spots = BlindSpotTracker(export=False, sample_every_s=1.0, max_gap_s=5.0)
    assert spots.observe("mast", "v", street(0), 0, 0.0) == 0.0
    # A different picture 0.5 s later is not looked at yet ...
    assert spots.observe("mast", "v", street(3), 0, 0.5) == 0.0
    # ... and one a whole second later is, crediting the second since the last sample.
    assert spots.observe("mast", "v", street(6), 0, 1.0) == 1.0
    # The camera was down for ten minutes: the gap adds at most max_gap_s.
    assert spots.observe("mast", "v", street(9), 0, 601.0) == 6.0


def test_models_on_one_camera_share_its_picture_but_not_their_silence() -> None:
    spots = BlindSpotTracker(export=False)
    for t in range(0, 30):
        spots.observe("mast", "street-model", street(t), 0, float(t))
        spots.observe("mast", "coco", street(t), 1 if t % 10 == 0 else 0, float(t))
    assert spots.silent_seconds("mast", "street-model") == 29.0
    assert spots.silent_seconds("mast", "coco") == 9.0
    assert spots.silent_seconds("other", "coco") == 0.0


def test_the_gauge_is_exported_and_forgotten_with_the_camera() -> None:
    spots = BlindSpotTracker()
    labels = {"camera": "bs-gauge", "model": "vehicle"}
    changes = REGISTRY.get_sample_value("edge_camera_picture_changes_total",
                                        {"camera": "bs-gauge"}) or 0.0
    for t in range(12):
        spots.observe("bs-gauge", "vehicle", street(t), 0, float(t))
    assert REGISTRY.get_sample_value("edge_vehicle_model_silent_seconds", labels) == 11.0
    assert REGISTRY.get_sample_value("edge_camera_picture_changes_total",
                                     {"camera": "bs-gauge"}) == changes + 11
    spots.observe("bs-gauge", "vehicle", street(12), 2, 12.0)
    assert REGISTRY.get_sample_value("edge_vehicle_model_silent_seconds", labels) == 0.0
    spots.forget("bs-gauge")
    assert REGISTRY.get_sample_value("edge_vehicle_model_silent_seconds", labels) is None
    assert spots.silent_seconds("bs-gauge", "vehicle") == 0.0


@pytest.mark.parametrize(("class_ids", "n"), [
    (None, 0), (np.array([], np.int64), 0), (np.array([PERSON, PERSON]), 0),
    (np.array([PERSON, CAR, CANONICAL_CLASSES.index("bus")]), 2),
])
def test_count_vehicles(class_ids: np.ndarray | None, n: int) -> None:
    assert count_vehicles(class_ids) == n


@pytest.mark.parametrize("shape", [(18, 32, 3), (1080, 1920, 3), (2160, 3840, 3), (90, 160)])
def test_thumbnails_are_32x18_for_any_frame(shape: tuple[int, ...]) -> None:
    thumb = thumbnail(np.zeros(shape, np.uint8))
    assert thumb.shape == (18, 32) and thumb.dtype == np.float32


def test_one_car_moving_changes_enough_cells_and_noise_does_not() -> None:
    base = thumbnail(street(0, 1080, 1920))
    assert changed_fraction(base, thumbnail(street(1, 1080, 1920)), 8.0) >= 2 / 576
    noise = np.random.default_rng(0).integers(-8, 9, (1080, 1920, 3))
    noisy = np.clip(street(0, 1080, 1920).astype(np.int16) + noise, 0, 255).astype(np.uint8)
    assert changed_fraction(base, thumbnail(noisy), 8.0) == 0.0


def test_bad_sampling_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="sample_every_s <= max_gap_s"):
        BlindSpotTracker(sample_every_s=10.0, max_gap_s=5.0)


class FakeDetector:
    """One box of one canonical class on every image, or none."""
    refines_near = False  # no refiner: the loop passes no lines

    def __init__(self, name: str, class_id: int, vehicle_classes: frozenset[str],
                 boxes: int = 1) -> None:
        self.name = name
        self.class_id = class_id
        self.vehicle_classes = vehicle_classes
        self.boxes = boxes

    def predict(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        return [sv.Detections(xyxy=np.tile(np.array([[10, 10, 30, 50]], np.float32),
                                           (self.boxes, 1)),
                              confidence=np.full(self.boxes, 0.9, np.float32),
                              class_id=np.full(self.boxes, self.class_id))
                for _ in images]


def test_the_inference_loop_watches_vehicle_models_only() -> None:
    cameras = {"bs-loop": CameraCapture(CameraConfig(id="bs-loop", url="x.avi"))}
    site = SiteOccupancy()
    spots = BlindSpotTracker(sample_every_s=1e-6)  # every frame is sampled
    blind = FakeDetector("blind", CAR, frozenset({"car"}), boxes=0)
    seeing = FakeDetector("seeing", CAR, frozenset({"car"}))
    people = FakeDetector("people", PERSON, frozenset())
    loop = InferenceLoop(
        cameras, [ModelRoute(blind), ModelRoute(seeing), ModelRoute(people)],  # type: ignore[arg-type]
        lambda cid: CameraPipeline(cameras[cid].config, TrackingConfig(), site),
        lambda _events: None, blindspots=spots)
    for seq in range(1, 11):
        cameras["bs-loop"].slot.put(Frame("bs-loop", street(seq), seq))
        loop.process_batch(loop.take_batch())

    def gauge(model: str) -> float | None:
        return REGISTRY.get_sample_value("edge_vehicle_model_silent_seconds",
                                         {"camera": "bs-loop", "model": model})

    assert spots.silent_seconds("bs-loop", "blind") > 0.0
    assert gauge("blind") == spots.silent_seconds("bs-loop", "blind")
    assert gauge("seeing") == 0.0
    assert gauge("people") is None  # not a vehicle model: not watched
    del cameras["bs-loop"]
    loop.sync_cameras()
    assert gauge("blind") is None and spots.silent_seconds("bs-loop", "blind") == 0.0
