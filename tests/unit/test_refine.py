"""`models[].refine`: a second model re-draws the first one's boxes (no weights needed)."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError

from edge.config.models import CameraConfig, ModelConfig, RefineConfig
from edge.config.zones import ZoneConfig
from edge.detect.detector import Detector
from edge.detect.refine import near_segments, refine_boxes, refine_some, segment_distance

PERSON, CAR = 0, 2


def dets(boxes: list[list[float]], conf: list[float], cls: list[int]) -> sv.Detections:
    d = sv.Detections(xyxy=np.array(boxes, np.float32).reshape(-1, 4),
                      confidence=np.array(conf, np.float32), class_id=np.array(cls, int))
    d.data["class_name"] = np.array(["x"] * len(cls), dtype=object)
    return d


def test_matched_boxes_take_the_refiners_drawing_and_the_higher_confidence() -> None:
    base = dets([[100, 100, 140, 210], [300, 100, 340, 200], [500, 50, 520, 100]],
                [0.6, 0.9, 0.3], [PERSON, PERSON, PERSON])
    # A tighter box on the first person (feet 8 px higher), one on the second, and a box on
    # someone the base model did not find.
    ref = dets([[102, 100, 138, 202], [301, 101, 339, 199], [700, 0, 740, 90]],
               [0.8, 0.5, 0.95], [PERSON, PERSON, PERSON])
    out = refine_boxes(base, ref)
    assert out.xyxy.tolist() == [[102, 100, 138, 202], [301, 101, 339, 199],
                                 [500, 50, 520, 100]]
    assert out.confidence.tolist() == pytest.approx([0.8, 0.9, 0.3])
    assert out.class_id.tolist() == [PERSON] * 3 and len(out.data["class_name"]) == 3
    # The recall is the base model's: the refiner's extra person is not added. The inputs
    # are left as they were.
    assert base.xyxy[0].tolist() == [100, 100, 140, 210] and len(ref) == 3


def test_matching_is_one_to_one_by_class_and_needs_the_overlap() -> None:
    # Two base boxes on one person (whole body and torso): only the better match is
    # re-drawn. A car box under the same person is never re-drawn by a person box, and a
    # refiner box overlapping by less than match_iou re-draws nothing.
    base = dets([[100, 100, 140, 200], [100, 100, 140, 150], [100, 100, 140, 200],
                 [300, 100, 340, 200]], [0.9, 0.5, 0.4, 0.7], [PERSON, PERSON, CAR, PERSON])
    ref = dets([[101, 100, 139, 198], [320, 100, 360, 200]], [0.7, 0.7], [PERSON, PERSON])
    out = refine_boxes(base, ref, match_iou=0.5)
    assert out.xyxy.tolist() == [[101, 100, 139, 198], [100, 100, 140, 150],
                                 [100, 100, 140, 200], [300, 100, 340, 200]]
    # A looser threshold lets the shifted box re-draw the last person.
    assert refine_boxes(base, ref, match_iou=0.3).xyxy[3].tolist() == [320, 100, 360, 200]


def test_empty_sides_change_nothing() -> None:
    base = dets([[0, 0, 10, 40]], [0.5], [PERSON])
    assert refine_boxes(base, sv.Detections.empty()) is base
    empty = sv.Detections.empty()
    assert len(refine_boxes(empty, base)) == 0


def test_refine_config_names_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="multiple of 32"):
        RefineConfig(source="pose.pt", imgsz=1000)
    with pytest.raises(ValidationError, match="match_iou"):
        RefineConfig(source="pose.pt", match_iou=0)
    with pytest.raises(ValidationError, match="near"):
        RefineConfig(source="pose.pt", near=0)
    with pytest.raises(ValidationError, match=r"refine\.imgsize"):
        ModelConfig.model_validate({"name": "person", "source": "a.pt",
                                    "refine": {"source": "b.pt", "imgsize": 960}})
    m = ModelConfig.model_validate({"name": "person", "source": "a.pt",
                                    "refine": {"source": "b.pt"}})
    assert m.refine is not None and (m.refine.imgsz, m.refine.match_iou) == (960, 0.5)
    assert m.refine.near is None  # every box, unless told
    assert ModelConfig(name="person", source="a.pt").refine is None


LINE = np.array([[100.0, 300.0, 500.0, 300.0]])  # horizontal, y = 300, x 100..500


def test_boxes_are_near_a_line_by_their_own_height() -> None:
    # Feet 50 px above the line: near for a 100 px person at reach 1, not for a 40 px one.
    # Feet level with the line but 60 px beyond its end: as far as that from the segment.
    boxes = dets([[280, 150, 320, 250], [280, 210, 300, 250], [540, 200, 580, 300]],
                 [0.9] * 3, [PERSON] * 3)
    assert segment_distance(np.array([300.0, 560.0]), np.array([250.0, 300.0]),
                            LINE).tolist() == [50.0, 60.0]
    assert near_segments(boxes, LINE, 1.0).tolist() == [True, False, True]
    assert near_segments(boxes, LINE, 0.5).tolist() == [True, False, False]
    # A camera with no lines or zones has nothing near; no segments or no reach: all.
    assert not near_segments(boxes, np.zeros((0, 4)), 1.0).any()
    assert near_segments(boxes, None, 1.0).all() and near_segments(boxes, LINE, None).all()


def test_only_the_boxes_near_a_line_are_redrawn() -> None:
    base = dets([[100, 100, 140, 210], [300, 100, 340, 200]], [0.6, 0.5], [PERSON, PERSON])
    ref = dets([[102, 100, 138, 202], [301, 101, 339, 199]], [0.8, 0.9], [PERSON, PERSON])
    out = refine_some(base, ref, np.array([False, True]))
    assert out.xyxy.tolist() == [[100, 100, 140, 210], [301, 101, 339, 199]]
    assert out.confidence.tolist() == pytest.approx([0.6, 0.9])
    assert base.xyxy[1].tolist() == [300, 100, 340, 200]  # the input is left as it was


class Recorder:
    """A refiner that re-draws every box 5 px higher and records what it was shown."""

    def __init__(self, boxes: dict[int, sv.Detections]) -> None:
        self.shown: list[int] = []
        self.boxes = boxes

    def predict(self, images: list[np.ndarray]) -> list[sv.Detections]:
        self.shown += [int(img[0, 0, 0]) for img in images]
        return [self.boxes.get(int(img[0, 0, 0]), sv.Detections.empty()) for img in images]


def test_the_refiner_runs_only_on_frames_with_a_box_near_a_line() -> None:
    far = dets([[300, 0, 340, 100]], [0.9], [PERSON])  # feet 200 px above the line
    near = dets([[300, 180, 340, 280]], [0.9], [PERSON])  # feet 20 px above it
    detector = Detector.__new__(Detector)  # no weights: only the refining step
    detector.name, detector._match_iou, detector._near = "person", 0.5, 1.0
    detector.refiner = Recorder(  # type: ignore[assignment]
        {i: dets([[300, 175, 340, 275]], [0.9], [PERSON]) for i in range(3)})
    images = [np.full((8, 8, 3), i, np.uint8) for i in range(3)]
    out = detector._refine(images, [far, near, near], [LINE, LINE, np.zeros((0, 4))])
    # Frame 0 has nobody near its line and frame 2's camera has none: only frame 1 runs.
    assert detector.refiner.shown == [1]  # type: ignore[attr-defined]
    assert [d.xyxy.tolist() for d in out] == [[[300, 0, 340, 100]], [[300, 175, 340, 275]],
                                              [[300, 180, 340, 280]]]
    # Without segments (the HTTP shim, the evaluation caches) every frame is refined.
    detector.refiner.shown = []  # type: ignore[attr-defined]
    detector._refine(images, [far, near, near], None)
    assert detector.refiner.shown == [0, 1, 2]  # type: ignore[attr-defined]


def test_a_cameras_decision_segments_are_its_lines_and_zone_edges() -> None:
    cam = CameraConfig(id="c", url="x.avi",
                       lines=[{"id": "door", "start": (10, 20), "end": (30, 40)}],  # type: ignore[list-item]
                       zones=[ZoneConfig(id="z", polygon=[(0, 0), (10, 0), (10, 10)])])
    assert cam.decision_segments() == [(10, 20, 30, 40), (0, 0, 10, 0), (10, 0, 10, 10),
                                       (10, 10, 0, 0)]
