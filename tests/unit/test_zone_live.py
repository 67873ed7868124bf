"""Zones in the running daemon: inside counts from the camera step to the live view, zones
drawn on its picture, and zone edits applied by a reload without reopening the camera."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from edge.capture.camera import CameraCapture
from edge.capture.slot import Frame
from edge.config import validate_mapping
from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.cameras import CameraSet, RunOptions
from edge.pipeline.loop import InferenceLoop, ModelRoute
from edge.pipeline.stats import ProcessSampler, ServiceTally
from edge.pipeline.step import CameraPipeline, SiteOccupancy
from edge.ui.draw import RESTRICTED_COLOUR, ZONE_COLOUR, annotate
from edge.ui.live import LiveView

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
PLAZA = {"id": "plaza", "polygon": [[0, 0], [64, 0], [64, 64], [0, 64]]}


def person_at(x: float, y: float) -> sv.Detections:
    return sv.Detections(xyxy=np.array([[x - 5, y - 20, x + 5, y]], np.float32),
                         confidence=np.array([0.9], np.float32), class_id=np.array([0]))


def camera(zones: list[dict[str, Any]]) -> CameraConfig:
    return CameraConfig.model_validate({"id": "a", "url": "a.avi", "zones": zones})


def test_zone_counts_follow_the_frames_and_survive_an_unrelated_zone_edit() -> None:
    pipe = CameraPipeline(camera([PLAZA]), TrackingConfig(), SiteOccupancy())
    assert pipe.zone_counts() == {"plaza": 0}
    for k in range(3):
        pipe.process(k, T0 + timedelta(seconds=k), person_at(30, 40))
    assert pipe.zone_counts() == {"plaza": 1}
    plaza_rule = next(r for r in pipe.rules if r.rule_id == "zone:plaza")
    pipe.apply_camera(camera([PLAZA, {**PLAZA, "id": "gate"}]))
    assert next(r for r in pipe.rules if r.rule_id == "zone:plaza") is plaza_rule
    assert pipe.zone_counts() == {"plaza": 1, "gate": 0}
    pipe.apply_camera(camera([]))
    assert pipe.zone_counts() == {}


class OneBox:
    """A detector that sees one person at (30, 40) on every image."""

    name = "p"
    vehicle_classes = None
    refines_near = False  # no refiner: the loop passes no lines

    def predict(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        return [person_at(30, 40) for _ in images]


def test_the_loop_hands_the_live_view_a_way_to_read_zone_counts() -> None:
    cam = CameraCapture(camera([PLAZA]))
    seen: list[dict[str, int]] = []

    def on_frame(frame: Frame, dets: sv.Detections, lines: Any, zones: Any) -> None:
        seen.append(zones())

    loop = InferenceLoop({"a": cam}, [ModelRoute(OneBox())],  # type: ignore[arg-type]
                         lambda cid: CameraPipeline(cam.config, TrackingConfig(),
                                                    SiteOccupancy()),
                         lambda _events: None, on_frame=on_frame)
    for seq in range(1, 4):
        cam.slot.put(Frame("a", np.zeros((64, 64, 3), np.uint8), seq))
        loop.process_batch(loop.take_batch())
    assert seen[-1] == {"plaza": 1}


def test_the_live_picture_shows_zones_with_their_inside_counts() -> None:
    cam = camera([{**PLAZA, "polygon": [[10, 10], [110, 10], [110, 110], [10, 110]]},
                  {"id": "press", "restricted": True,
                   "polygon": [[150, 10], [190, 10], [190, 50], [150, 50]]}])
    black = np.zeros((200, 200, 3), np.uint8)
    out = annotate(black, cam, None, None, zone_counts={"plaza": 2, "press": 0})
    inside, restricted, outside = out[90, 90], out[45, 185], out[150, 150]
    assert inside.any() and not outside.any()
    # tinted with each zone's colour: blue for a zone, red for a restricted one (BGR)
    assert int(np.argmax(inside)) == int(np.argmax(ZONE_COLOUR))
    assert int(np.argmax(restricted)) == int(np.argmax(RESTRICTED_COLOUR))
    assert not annotate(black, cam, None, None, lines=False).any()  # the editor's picture
    assert not black.any()  # drawn on a copy

    live = LiveView(lambda cid: cam if cid == "a" else None, fps=100)
    live.cached("a")  # someone watches
    calls: list[str] = []

    def zone_counts() -> dict[str, int]:
        calls.append("zones")
        return {"plaza": 1}

    live.put(Frame("a", black, 1), sv.Detections.empty(), dict, zone_counts)
    got = live.jpeg("a")
    assert got is not None and got[0][:2] == b"\xff\xd8" and calls == ["zones"]
    unwatched = LiveView(lambda cid: cam)
    unwatched.put(Frame("a", black, 1), sv.Detections.empty(), dict, zone_counts)
    assert calls == ["zones"]  # nobody watches: the counts are not even read


def test_a_zone_edit_is_applied_on_reload_without_reopening_the_camera(tmp_path: Path
                                                                       ) -> None:
    def settings(zones: list[dict[str, Any]]) -> Any:
        return validate_mapping({"models": [{"name": "m", "source": "x.pt"}],
                                 "cameras": [{"id": "a", "url": str(tmp_path / "a.avi"),
                                              "zones": zones}]}, "t")

    old = settings([])
    cameras = CameraSet(RunOptions(), old.tracking, SiteOccupancy(), metrics_interval_s=60,
                        heartbeat_s=60, sampler=ProcessSampler(), tally=ServiceTally())
    cameras.load(old.cameras)  # not started
    capture = cameras.captures["a"]
    pipeline = cameras.make_pipeline("a")
    notes = cameras.apply(settings([PLAZA]).cameras, {"a": pipeline})
    assert notes == ["camera a: zones now plaza"]
    assert cameras.captures["a"] is capture  # a zone is no stream setting
    assert pipeline.zone_counts() == {"plaza": 0}
    assert [z.id for z in capture.config.zones] == ["plaza"]  # pipelines made later
    assert cameras.apply(settings([]).cameras, {"a": pipeline}) == ["camera a: zones now none"]
    assert pipeline.zone_counts() == {}
