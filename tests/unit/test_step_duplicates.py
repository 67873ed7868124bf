"""The per-camera step drops a second box on one person before tracking, when asked."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import supervision as sv

from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.step import CameraPipeline, SiteOccupancy

LINE = {"id": "door", "start": (0, 200), "end": (640, 200), "in_side": "right"}


def person_with_torso(foot_y: float) -> sv.Detections:
    """A whole-body box (0.9) and a torso box inside it (0.5): one person, two boxes."""
    body = [300, foot_y - 120, 340, foot_y]
    torso = [302, foot_y - 115, 338, foot_y - 50]
    return sv.Detections(xyxy=np.array([body, torso], np.float32),
                         confidence=np.array([0.9, 0.5], np.float32),
                         class_id=np.array([0, 0]))


def entries(duplicate_overlap: float | None) -> int:
    step = CameraPipeline(CameraConfig(id="c", url="c", lines=[LINE]),
                          TrackingConfig(duplicate_overlap=duplicate_overlap), SiteOccupancy(),
                          fps=10)
    now = datetime.now(timezone.utc)
    for n, y in enumerate(range(100, 420, 12), start=1):
        step.process(n, now, person_with_torso(float(y)))
    return step.occupancy.entries


def test_a_person_seen_as_body_and_torso_counts_once_with_duplicate_overlap() -> None:
    assert entries(None) == 2  # both boxes are tracked, and both cross the line
    assert entries(0.8) == 1


def test_duplicate_overlap_leaves_vehicles_to_their_own_merge() -> None:
    # Two car boxes, one inside the other, beside the person and torso: the torso goes,
    # both car boxes stay (vehicles have vehicle_merge_overlap, off here).
    from edge.config.models import CANONICAL_CLASSES

    car = CANONICAL_CLASSES.index("car")
    step = CameraPipeline(CameraConfig(id="c", url="c", lines=[LINE]),
                          TrackingConfig(duplicate_overlap=0.8, vehicle_merge_overlap=None),
                          SiteOccupancy(), fps=10)
    now = datetime.now(timezone.utc)
    for n in range(1, 6):
        people = person_with_torso(300.0 + n)
        vehicles = sv.Detections(
            xyxy=np.array([[400, 100, 600, 300], [410, 110, 590, 290]], np.float32),
            confidence=np.array([0.9, 0.6], np.float32), class_id=np.array([car, car]))
        out = step.process(n, now, sv.Detections.merge([people, vehicles])).detections
    kept = sorted(CANONICAL_CLASSES[c] for c in out.class_id)
    assert kept == ["car", "car", "person"]
