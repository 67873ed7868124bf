"""`models[].refine`: a second model re-draws the first one's boxes (no weights needed)."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError

from edge.config.models import CameraConfig, ModelConfig, RefineConfig
from edge.config.zones import ZoneConfig
from edge.detect.detector import Detector
from edge.detect.refine import (
    boxes_from_crops,
    crop_windows,
    cut,
    near_segments,
    refine_boxes,
    refine_some,
    segment_distance,
)

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


def bare_detector(near: float | None, crop: int | None = None,
                  zoom: float | None = None) -> Detector:
    """A Detector with no weights: only its refining step, set up by its ``refine``."""
    detector = Detector.__new__(Detector)
    detector.name = "person"
    detector.config = ModelConfig(name="person", source="person.pt", refine=RefineConfig(
        source="pose.pt", imgsz=960, near=near, crop=crop, crop_margin=0.25, crop_zoom=zoom))
    return detector


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
    detector = bare_detector(near=1.0)
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


class BrightBoxes:
    """A refiner that boxes each bright blob of the picture it is shown (what a person
    model does with a person), in that picture's own pixels, and counts what it was shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[int, int]] = []
        self.heights: list[int] = []

    def predict(self, images: list[np.ndarray]) -> list[sv.Detections]:
        import cv2

        out = []
        for img in images:
            self.shown.append(img.shape[:2])
            mask = (img[:, :, 0] > 200).astype(np.uint8)
            count, _labels, stats, _c = cv2.connectedComponentsWithStats(mask)
            boxes = [[x, y, x + w, y + h] for x, y, w, h, _a in stats[1:count]]
            self.heights += [int(h) for _x, _y, _w, h, _a in stats[1:count]]
            out.append(dets(boxes, [0.9] * len(boxes), [PERSON] * len(boxes)))
        return out


def scene() -> np.ndarray:
    """A 300 x 400 picture with two people close together and one cut by the right edge."""
    img = np.zeros((300, 400, 3), np.uint8)
    img[100:220, 100:140] = 255   # person A: x 100-140, y 100-220
    img[110:230, 150:190] = 255   # person B beside A, inside A's crop
    img[40:160, 380:400] = 255    # person C, half outside the picture
    return img


def test_each_box_is_redrawn_from_its_own_crop() -> None:
    # Loosely drawn boxes, as the person model draws them: 8-12 px off on every side.
    base = dets([[92, 90, 150, 232], [140, 100, 200, 240], [370, 30, 400, 172]],
                [0.4, 0.5, 0.3], [PERSON] * 3)
    detector = bare_detector(near=None, crop=128)
    detector.refiner = BrightBoxes()  # type: ignore[assignment]
    out = detector._refine([scene()], [base], None)[0]
    # Each box takes its own person's drawing (to within the crop's resize), not its
    # neighbour's, though both stand in each crop; the one at the edge ends at the edge.
    assert out.xyxy[0] == pytest.approx([100, 100, 140, 220], abs=1.5)
    assert out.xyxy[1] == pytest.approx([150, 110, 190, 230], abs=1.5)
    assert out.xyxy[2] == pytest.approx([380, 40, 400, 160], abs=1.5)
    # Their confidences stay the model's: the refiner, shown one person a crop, is sure of
    # nearly all of them, and the tracker's thresholds are set for the model's.
    assert out.confidence.tolist() == pytest.approx([0.4, 0.5, 0.3])
    # One predict, every crop at the crop size, whatever the picture's size.
    assert detector.refiner.shown == [(128, 128)] * 3  # type: ignore[attr-defined]
    assert base.xyxy[0].tolist() == [92, 90, 150, 232]  # the input is left as it was


def test_crops_are_cut_only_for_boxes_near_a_line() -> None:
    line = np.array([[0.0, 225.0, 400.0, 225.0]])  # A's and B's feet are near it, C's not
    base = dets([[92, 90, 150, 232], [140, 100, 200, 240], [370, 30, 400, 172]],
                [0.4, 0.5, 0.3], [PERSON] * 3)
    detector = bare_detector(near=0.2, crop=64)
    detector.refiner = BrightBoxes()  # type: ignore[assignment]
    empty = np.zeros((300, 400, 3), np.uint8)
    out = detector._refine([scene(), empty], [base, dets([], [], [])], [line, line])
    assert detector.refiner.shown == [(64, 64)] * 2  # type: ignore[attr-defined]
    assert out[0].xyxy[0] == pytest.approx([100, 100, 140, 220], abs=3)
    assert out[0].xyxy[2].tolist() == [370, 30, 400, 172]  # far from the line: as drawn
    # A crop that finds nobody overlapping enough leaves the box as drawn.
    lone = dets([[20, 20, 60, 140]], [0.4], [PERSON])
    assert detector._refine([empty], [lone], [np.array([[0.0, 140, 400, 140]])])[0] \
        .xyxy.tolist() == [[20, 20, 60, 140]]


def test_a_crop_is_the_window_resized_and_grey_past_the_edge() -> None:
    img = scene()
    window = crop_windows(np.array([[370.0, 30, 400, 172]]), 0.25)[0]
    # 142 px high, so 213 px square around its centre (385, 101): from x 278.5, y -5.5.
    assert window.tolist() == pytest.approx([278.5, -5.5, 213])
    crop = cut(img, window, 213)  # no resize: pixel for pixel (half a pixel off)
    assert crop.shape == (213, 213, 3)
    assert (crop[:, 123:] == 114).all() and (crop[:5] == 114).all()  # past the edges
    assert crop[50, 105, 0] == 255 and crop[50, 98, 0] == 0  # C's left edge at x = 380
    half = cut(img, window, 71)  # a third of the size: C's edge a third as far in
    assert half.shape == (71, 71, 3) and half[17, 36, 0] == 255 and half[17, 32, 0] == 0


def test_the_crop_settings_name_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match=r"crop\n.*multiple of 32"):
        RefineConfig(source="pose.pt", crop=200)
    with pytest.raises(ValidationError, match="crop_margin"):
        RefineConfig(source="pose.pt", crop=192, crop_margin=-1)
    r = RefineConfig(source="pose.pt", imgsz=960, crop=192, near=1.5)
    assert r.runner("person.refine").imgsz == 192  # on crops it runs at the crop size
    assert RefineConfig(source="pose.pt").runner("p").imgsz == 960


def test_a_person_the_crops_edge_cuts_is_left_to_their_own_crop() -> None:
    # A box against a crop's left edge, 10 px inside the picture: only part of someone.
    cut_off = dets([[0, 10, 20, 60]], [0.9], [PERSON])
    inside = np.array([[10.0, 0, 64]])
    assert len(boxes_from_crops([cut_off], inside, 64, (300, 400))) == 0
    # The same box where the crop's left edge lies past the picture's: the picture cuts
    # them, and that is all of them there is.
    beyond = np.array([[-10.0, 0, 64]])
    assert boxes_from_crops([cut_off], beyond, 64, (300, 400)).xyxy.tolist() == \
        [[0, 10, 10, 60]]
    # One person found whole in two crops (their own and a neighbour's) is one box.
    a = dets([[10, 10, 30, 50]], [0.9], [PERSON])
    b = dets([[30, 10, 50, 50]], [0.8], [PERSON])
    two = boxes_from_crops([a, b], np.array([[100.0, 100, 64], [80.0, 100, 64]]), 64,
                           (300, 400))
    assert two.xyxy.tolist() == [[110, 110, 130, 150]] and two.confidence.tolist() == \
        pytest.approx([0.9])


def test_a_small_persons_crop_is_cut_wider_so_they_are_not_enlarged() -> None:
    # On a 300 x 400 picture at imgsz 960 the refiner sees everyone 2.4 times enlarged; a
    # crop cut at 192 then spans at least 80 px of the picture, at zoom 1.
    small = dets([[100, 100, 110, 120]], [0.4], [PERSON])   # 20 px: a 30 px window alone
    tall = dets([[100, 50, 160, 250]], [0.4], [PERSON])     # 200 px: 250 px, wider already
    detector = bare_detector(near=None, crop=192, zoom=1.0)
    detector.refiner = BrightBoxes()  # type: ignore[assignment]
    assert detector._least_window((300, 400)) == pytest.approx(80.0)
    img = np.zeros((300, 400, 3), np.uint8)
    img[100:120, 100:110] = 255
    out = detector._refine([img], [small], None)
    assert out[0].xyxy[0] == pytest.approx([100, 100, 110, 120], abs=1)
    assert detector.refiner.heights[0] == pytest.approx(48, abs=1)  # type: ignore[attr-defined]
    detector._refine([img], [tall], None)  # the tall one's own window is wider: 250 px
    # every crop around its box alone: the small one fills its crop
    detector.config = ModelConfig(name="person", source="person.pt", refine=RefineConfig(
        source="pose.pt", imgsz=960, crop=192, crop_margin=0.25, crop_zoom=None))
    assert detector._least_window((300, 400)) == 0.0
    detector._refine([img], [small], None)
    assert detector.refiner.heights[-1] == pytest.approx(128, abs=5)  # 20 px x 192 / 30
