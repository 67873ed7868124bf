"""Colour signatures and the tracker that compares them (``tracking.appearance_weight``):
two people who meet on a counting line and turn back keep their own tracks, so nobody is
counted; by overlap alone ByteTrack swaps them and counts an entry and an exit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import cv2
import numpy as np
import pytest
import supervision as sv

from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.appearance import APPEARANCE, PART, AppearanceIoU, describe, likeness
from edge.pipeline.step import CameraPipeline, SiteOccupancy

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
RED, BLUE, GREY = (0, 0, 220), (220, 0, 0), (128, 128, 128)


def picture(people: list[tuple[tuple[int, int, int, int], tuple[int, int, int]]]) -> np.ndarray:
    """A grey 600 x 400 picture with each (box, BGR colour) painted in order (the last in
    front)."""
    img = np.full((400, 600, 3), GREY, np.uint8)
    for (x1, y1, x2, y2), colour in people:
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, -1)
    return img


def test_a_signature_tells_two_colours_apart_and_matches_itself() -> None:
    red, blue = (100, 100, 140, 200), (300, 100, 340, 200)
    sig = describe(picture([(red, RED), (blue, BLUE)]), np.array([red, blue], float))
    assert sig.shape == (2, 2 * PART)
    assert np.allclose(sig[:, :PART].sum(1), 1) and np.allclose(sig[:, PART:].sum(1), 1)
    like = likeness(sig, sig)
    assert like[0, 0] == pytest.approx(1) and like[1, 1] == pytest.approx(1)
    assert like[0, 1] < 0.1


def test_pixels_another_box_covers_are_no_evidence() -> None:
    front, behind = (100, 100, 140, 200), (102, 100, 142, 200)
    sig = describe(picture([(behind, RED), (front, BLUE)]), np.array([front, behind], float))
    assert not sig.any()  # each box's middle lies inside the other one
    assert likeness(sig, sig)[0, 1] == 1.0  # no evidence either way
    apart = describe(picture([(behind, RED)]), np.array([(600, 400, 640, 500)], float))
    assert not apart.any()  # a box outside the picture


def test_a_half_hidden_box_does_not_change_its_tracks_colours() -> None:
    class Tracklet:
        pass

    t = Tracklet()
    whole = np.r_[np.full(PART, 1 / PART), np.full(PART, 1 / PART)].astype(np.float32)
    AppearanceIoU.remember(t, whole)
    AppearanceIoU.remember(t, np.r_[whole[:PART], np.zeros(PART)].astype(np.float32))
    assert np.array_equal(getattr(t, APPEARANCE), whole)


def meet_and_turn_back() -> Iterator[tuple[np.ndarray, sv.Detections]]:
    """A person in red walks right and one in blue walks left; they meet on x = 300 for two
    frames (the blue one in front) and both turn back. Boxes come blue first."""
    red = [150 + 10 * i for i in range(15)] + [300, 300] + [290 - 10 * i for i in range(15)]
    blue = [450 - 10 * i for i in range(15)] + [300, 300] + [310 + 10 * i for i in range(15)]
    for xr, xb in zip(red, blue, strict=True):
        r, b = (xr - 20, 200, xr + 20, 300), (xb - 20, 200, xb + 20, 300)
        det = sv.Detections(xyxy=np.array([b, r], float), confidence=np.full(2, 0.9),
                            class_id=np.zeros(2, int))
        yield picture([(r, RED), (b, BLUE)]), det


def line_counts(weight: float) -> tuple[int, int]:
    cam = CameraConfig(id="c", url="x", lines=[
        {"id": "door", "start": [300, 0], "end": [300, 400], "in_side": "right"}])
    pipe = CameraPipeline(cam, TrackingConfig(appearance_weight=weight), SiteOccupancy(),
                          fps=10, heartbeat_s=3600)
    for n, (img, det) in enumerate(meet_and_turn_back(), start=1):
        pipe.process(n, NOW, det, (0, 0, 600, 400), image=img)
    return pipe.line_counts()["door"]


def test_two_people_who_meet_on_the_line_and_turn_back_are_not_counted() -> None:
    assert line_counts(1.0) == (0, 0)


def test_by_overlap_alone_the_tracks_swap_and_count_both_ways() -> None:
    """What the colours fix: ByteTrack's motion model carries each track on through the
    meeting, onto the other person."""
    assert line_counts(0.0) == (1, 1)


def test_a_lone_walker_counts_the_same_with_colours() -> None:
    cam = CameraConfig(id="c", url="x", lines=[
        {"id": "door", "start": [300, 0], "end": [300, 400], "in_side": "right"}])
    counts = []
    for weight in (0.0, 1.0):
        pipe = CameraPipeline(cam, TrackingConfig(appearance_weight=weight), SiteOccupancy(),
                              fps=10, heartbeat_s=3600)
        for n in range(1, 31):
            x = 150 + 10 * n
            box = (x - 20, 200, x + 20, 300)
            # Its colours change half-way (light): with no rival box, overlap decides.
            img = picture([(box, RED if n < 15 else BLUE)])
            det = sv.Detections(xyxy=np.array([box], float), confidence=np.full(1, 0.9),
                                class_id=np.zeros(1, int))
            tracked = pipe.process(n, NOW, det, (0, 0, 600, 400), image=img).detections
            if n > 2:
                assert list(tracked.tracker_id) == [0]
        counts.append(pipe.line_counts()["door"])
    assert counts == [(0, 1), (0, 1)]


def test_boxes_that_carry_signatures_keep_them_and_no_picture_means_overlap_alone() -> None:
    cam = CameraConfig(id="c", url="x")
    pipe = CameraPipeline(cam, TrackingConfig(appearance_weight=1.0), SiteOccupancy(), fps=10)
    assert pipe.wants_appearance
    det = sv.Detections(xyxy=np.array([[10, 10, 50, 110]], float), confidence=np.full(1, 0.9),
                        class_id=np.zeros(1, int))
    det.data[APPEARANCE] = np.full((1, 2 * PART), 1 / PART, np.float32)
    out = pipe.process(1, NOW, det, image=np.zeros((200, 200, 3), np.uint8)).detections
    assert np.allclose(out.data[APPEARANCE], 1 / PART)  # not recomputed from the picture
    plain = CameraPipeline(cam, TrackingConfig(), SiteOccupancy(), fps=10)
    assert not plain.wants_appearance
    bare = sv.Detections(xyxy=np.array([[10, 10, 50, 110]], float),
                         confidence=np.full(1, 0.9), class_id=np.zeros(1, int))
    assert APPEARANCE not in plain.process(1, NOW, bare, image=np.zeros(
        (200, 200, 3), np.uint8)).detections.data


def test_frames_with_no_box_or_only_weak_boxes_keep_the_tracks() -> None:
    cam = CameraConfig(id="c", url="x")
    pipe = CameraPipeline(cam, TrackingConfig(appearance_weight=1.0), SiteOccupancy(), fps=10)
    img = picture([((100, 100, 140, 200), RED), ((300, 100, 340, 200), BLUE)])

    def det(conf: float, n: int = 2) -> sv.Detections:
        xyxy = np.array([(100, 100, 140, 200), (300, 100, 340, 200)][:n], float).reshape(-1, 4)
        return sv.Detections(xyxy=xyxy, confidence=np.full(n, conf), class_id=np.zeros(n, int))

    frames = [det(0.9)] * 3 + [det(0.9, 0)] * 2 + [det(0.3)] * 2 + [det(0.9)] * 2
    for n, d in enumerate(frames, start=1):
        tracked = pipe.process(n, NOW, d, image=img).detections
    assert sorted(tracked.tracker_id) == [0, 1]
