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
