"""`border_crossing`: the picture's border on a track's path, for door lines drawn near the
edge of the picture (people the detector finds only once they are well inside, or loses
before they are out)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import supervision as sv

from edge.analytics.anchors import BORDER, FEET, FootPoints, border_points
from edge.analytics.lines import LineCounter
from edge.config.models import CANONICAL_CLASSES, CameraConfig, LineConfig, TrackingConfig
from edge.pipeline.step import CameraPipeline, SiteOccupancy

PERSON = CANONICAL_CLASSES.index("person")
BOUNDS = (0.0, 0.0, 640.0, 480.0)
IDLE = 40
"""Empty frames first: a track new in the counter's first ``memory_frames`` (30) frames may
be someone who stood there before the camera started, and does not come in through the
border."""


def door(**kw: object) -> LineConfig:
    """A vertical line 10 px inside the right border, drawn downwards: its 'right' side
    (x < 630) is the picture's inside, so walking into the picture is an entry."""
    return LineConfig(id="door", start=(630, 100), end=(630, 400), in_side="right", **kw)  # type: ignore[arg-type]


def person(x1: float, x2: float, tid: int = 7) -> sv.Detections:
    """One person's box from x1 to x2 (cut at 640 when x2 reaches it), feet at y 300."""
    d = sv.Detections(xyxy=np.array([[x1, 220.0, min(x2, 640.0), 300.0]], np.float32),
                      confidence=np.array([0.9], np.float32), class_id=np.array([PERSON]))
    d.tracker_id = np.array([tid])
    return d


def nobody() -> sv.Detections:
    d = sv.Detections.empty()
    d.tracker_id = np.empty(0, dtype=int)
    return d


def as_the_step_does(frames: list[sv.Detections]) -> list[sv.Detections]:
    """Feet completed and border points, as the camera step leaves them for its rules."""
    feet = FootPoints()
    for d in frames:
        if len(d):
            d.data[FEET] = np.column_stack(feet.points(d.xyxy, d.tracker_id, BOUNDS))
            d.data[BORDER] = border_points(d.xyxy, d.data[FEET], BOUNDS)
    return frames


def count(config: LineConfig, frames: list[sv.Detections]) -> list[str]:
    counter = LineCounter(config)
    out = []
    for d in as_the_step_does([nobody() for _ in range(IDLE)] + frames):
        out += [c.direction for c in counter.update(d)]
    return out


# First seen with a third of the body still beyond the right border: its cut box's centre
# (x 618) is already past the door line, and so are all its later feet.
COMING_IN = [person(600, 660), person(590, 650), person(580, 640), person(570, 630),
             person(560, 620), person(550, 610)]
# Walking out to the right, lost by the detector while a third of it is still inside.
GOING_OUT = [person(560, 600), person(572, 612), person(584, 624), person(596, 636),
             person(608, 648)] + [nobody() for _ in range(5)]


def test_someone_first_seen_past_a_door_line_near_the_edge_came_in_through_it() -> None:
    assert count(door(border_crossing=False), COMING_IN) == []  # today's counter misses it
    assert count(door(), COMING_IN) == ["entry"]


def test_someone_lost_at_the_border_before_their_feet_passed_the_line_went_out() -> None:
    # The completed feet reach x 628 at most: never beyond the line at 630.
    assert count(door(border_crossing=False), GOING_OUT) == []
    assert count(door(), GOING_OUT) == ["exit"]


def test_the_way_out_must_meet_the_segment() -> None:
    # The same walk beside a short door segment that ends above the person's feet.
    short = LineConfig(id="door", start=(630, 100), end=(630, 250), in_side="right")
    assert count(short, COMING_IN) == [] and count(short, GOING_OUT) == []


def test_a_person_walking_out_and_back_in_counts_both() -> None:
    back = [person(x1, x1 + 40, tid=8) for x1 in (608, 596, 584, 572, 560)]
    assert count(door(), GOING_OUT + back) == ["exit", "entry"]


def test_someone_standing_half_outside_whose_detections_drop_is_not_counted_again() -> None:
    # Walks in (an entry), steps back to stand half outside the picture (feet still inside
    # the line) for longer than the counter's jitter window (10 points), and is lost twice
    # for five frames: walking nowhere, they did not leave.
    half_out = [person(600 + (k % 2), 660 + (k % 2)) for k in range(12)]
    gone = [nobody() for _ in range(5)]
    frames = COMING_IN + [person(x1, x1 + 60) for x1 in (565, 580, 595)] + half_out + gone \
        + half_out + gone + half_out
    assert count(door(), frames) == ["entry"]


def test_someone_first_seen_standing_half_outside_counts_once_they_walk_in() -> None:
    standing = [person(600 + (k % 2), 660 + (k % 2)) for k in range(10)]
    assert count(door(), standing) == []
    walking_in = [person(x1, x1 + 60) for x1 in (590, 580, 570, 560, 550)]
    assert count(door(), standing + walking_in) == ["entry"]


def test_people_at_the_border_when_the_camera_starts_did_not_come_in() -> None:
    counter = LineCounter(door())
    out = [c.direction for d in as_the_step_does(list(COMING_IN)) for c in counter.update(d)]
    assert out == []


def test_someone_never_cut_by_the_border_is_counted_as_before() -> None:
    # Up to the line and back, in full view: no crossing, with or without the border.
    there_and_back = [person(x1, x1 + 30) for x1 in (560, 580, 595, 600, 590, 570, 550)]
    there_and_back += [nobody() for _ in range(5)]
    assert count(door(), there_and_back) == [] == count(door(border_crossing=False),
                                                          there_and_back)
    # Over a line 40 px inside the border and back, in full view: an exit and an entry.
    inner = LineConfig(id="door", start=(600, 100), end=(600, 400), in_side="right")
    over = [person(x1, x1 + 20) for x1 in (560, 575, 590, 600, 610, 615, 618, 610, 600,
                                             590, 580, 570, 560)]
    assert count(inner, over) == ["exit", "entry"] == count(
        inner.model_copy(update={"border_crossing": False}), over)


def test_border_points_are_the_feet_moved_beyond_the_border_that_cuts_the_box() -> None:
    xyxy = np.array([[620.0, 200.0, 640.0, 300.0],   # cut on the right
                     [0.0, 200.0, 30.0, 300.0],      # on the left
                     [100.0, 420.0, 140.0, 480.0],   # at the bottom
                     [600.0, 420.0, 640.0, 480.0],   # bottom right corner
                     [100.0, 0.0, 140.0, 100.0],     # only the head cut, at the top
                     [0.0, 100.0, 640.0, 300.0],     # wider than the picture
                     [100.0, 100.0, 140.0, 200.0]])  # inside
    feet = np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]])
    got = border_points(xyxy, feet, BOUNDS)
    np.testing.assert_allclose(got[:4], [[641, 300], [-1, 300], [120, 481], [641, 481]])
    assert np.isnan(got[4:]).all()


def test_the_camera_step_hands_border_points_to_its_lines() -> None:
    camera = CameraConfig(id="cam", url="x", lines=[door().model_dump()])
    step = CameraPipeline(camera, TrackingConfig(minimum_consecutive_frames=1),
                          SiteOccupancy(), fps=10.0)
    ts = datetime.now(timezone.utc)
    frames = [nobody() for _ in range(IDLE)] + [person(x1, x1 + 60) for x1 in (
        600, 594, 588, 582, 576, 570, 564, 558)]
    for n, d in enumerate(frames, start=1):
        d.tracker_id = None  # the step's own tracker gives the ids
        result = step.process(n, ts, d, BOUNDS)
        if len(result.detections) and result.detections.tracker_id is not None:
            assert BORDER in result.detections.data
    assert step.line_counts()["door"] == (1, 0)
