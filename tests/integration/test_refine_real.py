"""`models[].refine` with the real models on PETS: the person model's recall, the pose
model's feet."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv

from edge.analytics.groundtruth import load_mot_boxes
from edge.config.models import ModelConfig, RefineConfig
from edge.detect.detector import Detector
from edge.detect.matching import greedy_pairs
from tests.conftest import SHARED_DATA, require

FRAMES = range(100, 340, 20)


def feet_off(found: dict[int, np.ndarray], truth: dict[int, np.ndarray]) -> np.ndarray:
    """|bottom edge - annotated bottom| over the annotated height, of boxes matching an
    annotated one at IoU 0.5 (best first, one to one)."""
    out = []
    for f, boxes in found.items():
        t = truth.get(f, np.zeros((0, 4)))
        if not len(boxes) or not len(t):
            continue
        for i, j in greedy_pairs(sv.box_iou_batch(t, boxes), 0.5):
            out.append(abs(boxes[j, 3] - t[i, 3]) / (t[i, 3] - t[i, 1]))
    return np.array(out)


@pytest.mark.parametrize("crop", [None, 192], ids=["whole-frame", "crops"])
def test_refined_boxes_keep_the_recall_and_sit_closer_to_the_feet(
        pets_video: Path, person_model: Path, pose_model: Path, crop: int | None) -> None:
    truth = load_mot_boxes(require(SHARED_DATA / "counting" / "pets09_s2l1" / "gt.txt",
                                   "shared data missing"))
    cap = cv2.VideoCapture(str(pets_video))
    images = {}
    for n in range(1, max(FRAMES) + 1):
        ok, img = cap.read()
        assert ok, f"{pets_video}: frame {n} unreadable"
        if n in FRAMES:
            images[n] = img
    cap.release()
    person = ModelConfig(name="person", source=person_model.name,
                         classes={"Normal": "person", "Fall": "person"})
    plain = Detector(person, person_model.parent, "cpu")
    refined = Detector(person.model_copy(update={"refine": RefineConfig(
        source=pose_model.name, imgsz=960, crop=crop)}), person_model.parent, "cpu")
    assert refined.refiner is not None and plain.refiner is None
    before = {f: d.xyxy for f, d in zip(images, plain.predict(list(images.values())),
                                        strict=True)}
    after = {f: d.xyxy for f, d in zip(images, refined.predict(list(images.values())),
                                       strict=True)}
    # The same boxes (the person model's recall), many of them re-drawn.
    assert [len(b) for b in before.values()] == [len(a) for a in after.values()]
    redrawn = sum(int((np.abs(before[f] - after[f]).max(axis=1) > 0.5).sum()) for f in images)
    total = sum(len(b) for b in before.values())
    assert total > 50 and redrawn > total / 3
    # Their feet: closer to the annotated ones (PETS, all frames: median 3.6 % of the
    # height without, under 2 % with).
    off_before, off_after = feet_off(before, truth), feet_off(after, truth)
    assert len(off_after) >= len(off_before) * 0.9
    assert np.median(off_after) < 0.75 * np.median(off_before)


def test_near_a_line_only_those_boxes_are_redrawn_and_an_empty_corner_costs_no_refiner(
        pets_video: Path, person_model: Path, pose_model: Path) -> None:
    from prometheus_client import REGISTRY

    cap = cv2.VideoCapture(str(pets_video))
    images = [img for n in range(1, 181) if (img := cap.read()[1]) is not None and n % 30 == 0]
    cap.release()
    assert len(images) == 6
    person = ModelConfig(name="person-near", source=person_model.name,
                         classes={"Normal": "person", "Fall": "person"})
    everywhere = Detector(person.model_copy(update={"refine": RefineConfig(
        source=pose_model.name, imgsz=960)}), person_model.parent, "cpu")
    near = Detector(person.model_copy(update={"refine": RefineConfig(
        source=pose_model.name, imgsz=960, near=1.0)}), person_model.parent, "cpu")
    assert near.refines_near and not everywhere.refines_near
    plain = near.predict(images)  # no segments (the HTTP shim): every box refined
    all_refined = everywhere.predict(images)
    assert all(np.allclose(a.xyxy, b.xyxy) for a, b in zip(plain, all_refined, strict=True))

    def runs() -> float:
        return REGISTRY.get_sample_value(
            "edge_refined_frames_total", {"model": "person-near", "outcome": "refined"}) or 0.0

    # The vertical middle line of PETS: boxes near it are re-drawn as the refiner draws
    # them everywhere, boxes far from it keep the person model's own drawing.
    unrefined = Detector(person, person_model.parent, "cpu").predict(images)
    middle = np.array([[384.0, 0.0, 384.0, 576.0]])
    before = runs()
    got = near.predict(images, [middle] * len(images))
    shares: list[tuple[int, int]] = []
    for d, ref, raw in zip(got, all_refined, unrefined, strict=True):
        feet = (raw.xyxy[:, 0] + raw.xyxy[:, 2]) / 2  # nearness is the model's own boxes'
        close = np.abs(feet - 384.0) <= raw.xyxy[:, 3] - raw.xyxy[:, 1]
        shares.append((int(close.sum()), int((~close).sum())))
        assert np.allclose(d.xyxy[close], ref.xyxy[close])
        assert np.allclose(d.xyxy[~close], raw.xyxy[~close])
    assert sum(n for n, _ in shares) > 0 and sum(m for _, m in shares) > 0  # both kinds
    # The refiner ran on exactly the frames with a box near the line.
    assert runs() == before + sum(n > 0 for n, _ in shares)
    # A line in the sky (top-right corner, nobody there): the refiner never runs.
    sky = np.array([[700.0, 5.0, 760.0, 5.0]])
    before = runs()
    got = near.predict(images, [sky] * len(images))
    assert runs() == before
    assert all(np.allclose(a.xyxy, b.xyxy) for a, b in zip(got, unrefined, strict=True))
