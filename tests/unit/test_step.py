"""The per-camera step: tracker + line counters + occupancy -> events."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import supervision as sv

from edge.config.models import CameraConfig, TrackingConfig
from edge.events import Crossing, OccupancyChanged
from edge.pipeline.step import CameraPipeline, SiteOccupancy

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def camera(**line_kw: object) -> CameraConfig:
    return CameraConfig(id="cam", url="x.avi", lines=[
        {"id": "door", "start": (0, 200), "end": (640, 200), **line_kw}])  # type: ignore[list-item]


def person_at(*feet: tuple[float, float]) -> sv.Detections:
    xyxy = np.array([[x - 20, y - 100, x + 20, y] for x, y in feet], dtype=np.float32)
    d = sv.Detections(xyxy=xyxy, confidence=np.full(len(feet), 0.9, np.float32),
                      class_id=np.zeros(len(feet), int))
    d.data["class_name"] = np.array(["person"] * len(feet), dtype=object)
    return d


def walk(pipe: CameraPipeline, ys: list[float], x: float = 300.0) -> list:
    events = []
    for i, y in enumerate(ys):
        events += pipe.process(i + 1, NOW, person_at((x, y))).events
    return events


def test_person_walking_in_then_out_emits_crossings_and_occupancy() -> None:
    site = SiteOccupancy()
    pipe = CameraPipeline(camera(), TrackingConfig(), site, fps=10, heartbeat_s=3600)
    ys = list(range(100, 320, 10)) + list(range(320, 90, -10))
    events = walk(pipe, ys)
    crossings = [e for e in events if isinstance(e, Crossing)]
    assert [c.direction for c in crossings] == ["entry", "exit"]
    assert len({c.tracker_id for c in crossings}) == 1
    occ = [e for e in events if isinstance(e, OccupancyChanged)]
    # First frame (initial state), then each change: 1 after the entry, 0 after the exit.
    assert [o.current_occupancy for o in occ] == [0, 1, 0]
    assert [o.site_occupancy for o in occ] == [0, 1, 0]
    assert all(e.camera_id == "cam" and e.ts == NOW and len(e.event_id) == 36 for e in events)
    assert pipe.line_counts() == {"door": (1, 1)}


def test_occupancy_rows_only_on_change_unless_heartbeat_due() -> None:
    pipe = CameraPipeline(camera(), TrackingConfig(), SiteOccupancy(), heartbeat_s=3600)
    events = walk(pipe, [100.0] * 30)
    assert sum(isinstance(e, OccupancyChanged) for e in events) == 1
    beating = CameraPipeline(camera(), TrackingConfig(), SiteOccupancy(), heartbeat_s=0.0)
    events = walk(beating, [100.0] * 5)
    heartbeats = [e for e in events if isinstance(e, OccupancyChanged)]
    assert len(heartbeats) == 5 and all(e.heartbeat for e in heartbeats[1:])


def test_exit_at_zero_is_clamped_and_lines_can_skip_occupancy() -> None:
    site = SiteOccupancy()
    pipe = CameraPipeline(camera(), TrackingConfig(), site, heartbeat_s=3600)
    walk(pipe, list(range(320, 90, -10)))  # an exit nobody entered for
    assert (pipe.occupancy.value, pipe.occupancy.clamped, site.value) == (0, 1, 0)
    other = CameraPipeline(camera(counts_occupancy=False), TrackingConfig(), site,
                           heartbeat_s=3600)
    walk(other, list(range(100, 320, 10)))
    assert other.line_counts() == {"door": (1, 0)} and other.occupancy.value == 0


def test_people_and_vehicle_counts_per_frame() -> None:
    pipe = CameraPipeline(camera(), TrackingConfig(), SiteOccupancy())
    d = person_at((100, 100), (300, 100))
    d.class_id = np.array([0, 1])  # a person and a car
    result = pipe.process(1, NOW, d)
    assert (result.people_count, result.vehicle_count) == (1, 1)
