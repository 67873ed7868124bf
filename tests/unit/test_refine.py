"""`models[].refine`: a second model re-draws the first one's boxes (no weights needed)."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError

from edge.config.models import ModelConfig, RefineConfig
from edge.detect.refine import refine_boxes

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
    with pytest.raises(ValidationError, match=r"refine\.imgsize"):
        ModelConfig.model_validate({"name": "person", "source": "a.pt",
                                    "refine": {"source": "b.pt", "imgsize": 960}})
    m = ModelConfig.model_validate({"name": "person", "source": "a.pt",
                                    "refine": {"source": "b.pt"}})
    assert m.refine is not None and (m.refine.imgsz, m.refine.match_iou) == (960, 0.5)
    assert ModelConfig(name="person", source="a.pt").refine is None
