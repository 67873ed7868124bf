"""Line counting on synthetic box sequences."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from edge.analytics.anchors import FEET, FootPoints
from edge.analytics.lines import LineCounter
from edge.analytics.occupancy import Occupancy
from edge.config.models import CANONICAL_CLASSES, LineConfig

PERSON = CANONICAL_CLASSES.index("person")
CAR = CANONICAL_CLASSES.index("car")


def horizontal_line(**kw: object) -> LineConfig:
    """y = 200 from x = 100 to 500, drawn left to right: its 'right' side is y > 200."""
    return LineConfig(id="door", start=(100, 200), end=(500, 200), **kw)  # type: ignore[arg-type]


def box(foot_x: float, foot_y: float, h: float = 80.0, w: float = 30.0) -> list[float]:
    return [foot_x - w / 2, foot_y - h, foot_x + w / 2, foot_y]


def frame(*objs: tuple[int | None, float, float], cls: int = PERSON) -> sv.Detections:
    """Detections with (tracker_id, foot_x, foot_y); tracker_id None -> no ids at all."""
    if not objs:
        d = sv.Detections.empty()
        d.tracker_id = np.empty(0, dtype=int)
        return d
    ids = [o[0] for o in objs]
    d = sv.Detections(xyxy=np.array([box(x, y) for _, x, y in objs], dtype=np.float32),
                      confidence=np.full(len(objs), 0.9, dtype=np.float32),
                      class_id=np.full(len(objs), cls))
    d.tracker_id = None if any(i is None for i in ids) else np.array(ids)
    return d


def run(counter: LineCounter, frames: list[sv.Detections]) -> list[tuple[int, str]]:
    out = []
    for i, f in enumerate(frames):
        out += [(i, c.direction) for c in counter.update(f)]
    return out


def walk(track: int, x: float, ys: list[float]) -> list[sv.Detections]:
    return [frame((track, x, y)) for y in ys]


def test_clean_crossing_is_one_entry() -> None:
    counter = LineCounter(horizontal_line(in_side="right"))
    events = run(counter, walk(1, 300, [100, 130, 160, 190, 220, 250, 280, 310]))
    assert [d for _, d in events] == ["entry"]
    assert (counter.entries, counter.exits) == (1, 0)


def test_in_side_left_turns_the_same_walk_into_an_exit() -> None:
    counter = LineCounter(horizontal_line(in_side="left"))
    run(counter, walk(1, 300, [100, 130, 160, 190, 220, 250, 280, 310]))
    assert (counter.entries, counter.exits) == (0, 1)


def test_walking_back_counts_an_exit() -> None:
    counter = LineCounter(horizontal_line())
    # Slows down past the line and turns (a sharp turn reads as jitter for a few frames).
    ys = [120, 150, 180, 210, 240, 270, 290, 300, 290, 270, 240, 210, 180, 150, 120, 100]
    run(counter, walk(1, 300, ys))
    assert (counter.entries, counter.exits) == (1, 1)


def test_jitter_back_and_forth_across_the_line_counts_once() -> None:
    # A person stands on the line; the foot point wobbles +-6 px for 20 frames, then walks on.
    ys = [120, 150, 180] + [200 + (6 if i % 2 else -6) for i in range(20)] + [240, 280, 320]
    counter = LineCounter(horizontal_line())
    assert [d for _, d in run(counter, walk(1, 300, ys))] == ["entry"]


def test_jitter_without_band_but_min_frames_still_counts_once() -> None:
    ys = [120, 150, 180, 195, 205, 195, 205, 195, 205, 240, 280, 320]
    counter = LineCounter(horizontal_line(band=0.0, min_frames=2))
    assert (counter.entries, counter.exits) == (0, 0)
    run(counter, walk(1, 300, ys))
    assert (counter.entries, counter.exits) == (1, 0)


def test_default_supervision_settings_would_overcount_the_same_jitter() -> None:
    """The guard is what makes the difference: min_frames=1 and no band count every wobble."""
    ys = [120, 150, 180, 195, 205, 195, 205, 195, 205, 240, 280, 320]
    counter = LineCounter(horizontal_line(band=0.0, min_frames=1, jitter_band=0.0))
    run(counter, walk(1, 300, ys))
    assert counter.entries + counter.exits > 1


def test_track_lost_mid_crossing_and_back_with_same_id_counts() -> None:
    # Seen above the line, occluded for 8 frames while crossing, back below with the same id.
    frames = walk(7, 300, [100, 130, 160]) + [frame()] * 8 + walk(7, 300, [260, 290, 320])
    counter = LineCounter(horizontal_line(), memory_frames=30)
    assert [d for _, d in run(counter, frames)] == ["entry"]


def test_track_gone_longer_than_memory_is_forgotten() -> None:
    frames = walk(7, 300, [100, 130, 160]) + [frame()] * 12 + walk(7, 300, [260, 290, 320])
    counter = LineCounter(horizontal_line(), memory_frames=10)
    assert run(counter, frames) == []
    assert counter.tracked_ids() == 1  # only the reborn track's state is kept


def test_state_is_pruned_after_tracks_end() -> None:
    counter = LineCounter(horizontal_line(), memory_frames=5)
    frames = [frame((i, 300, 100 + i)) for i in range(50)] + [frame()] * 6
    run(counter, frames)
    assert counter.tracked_ids() == 0


def test_missing_tracker_ids_are_ignored_without_error() -> None:
    counter = LineCounter(horizontal_line())
    frames = [frame((None, 300, y)) for y in (100, 150, 250, 300)]
    assert run(counter, frames) == []
    # Unconfirmed tracks (-1) are ignored too and never merge into one phantom track.
    frames = [frame((-1, 300, 100), (-1, 200, 300)), frame((-1, 300, 300), (-1, 200, 100))] * 3
    assert run(counter, frames) == []


def test_segment_passed_beside_is_not_counted() -> None:
    # The line covers x in [100, 500]; this person crosses y = 200 at x = 650, beside it.
    counter = LineCounter(horizontal_line())
    assert run(counter, walk(3, 650, [100, 150, 190, 210, 250, 300])) == []


def test_other_classes_are_ignored_unless_configured() -> None:
    cars = [frame((5, 300, y), cls=CAR) for y in (100, 150, 200, 250, 300, 350)]
    assert run(LineCounter(horizontal_line()), cars) == []
    counter = LineCounter(horizontal_line(classes=["car"]))
    events = run(counter, cars)
    assert [d for _, d in events] == ["entry"]


def test_two_people_crossing_opposite_ways_in_the_same_frames() -> None:
    frames = [frame((1, 200, 100 + 40 * i), (2, 400, 340 - 40 * i)) for i in range(7)]
    counter = LineCounter(horizontal_line())
    run(counter, frames)
    assert (counter.entries, counter.exits) == (1, 1)


@pytest.mark.parametrize(("ops", "value", "clamped"), [
    (["entry", "entry", "exit"], 1, 0),
    (["exit"], 0, 1),
    (["exit", "entry", "exit", "exit"], 0, 2),
])
def test_occupancy_never_below_zero(ops: list[str], value: int, clamped: int) -> None:
    occ = Occupancy()
    for op in ops:
        occ.apply(op)
    assert (occ.value, occ.clamped) == (value, clamped)
    assert occ.entries == ops.count("entry") and occ.exits == ops.count("exit")


# Mechanisms added after explaining the errors on random PETS lines (README, "Counting
# accuracy"). Each of these fails on the sv.LineZone-based counter this replaced (checked
# against commit f8f76d1's edge/analytics/lines.py).

def test_crossing_near_an_end_then_walking_off_the_segment_counts() -> None:
    # Crosses y = 200 at x = 490 (inside [100, 500]) on a slant, then walks on past x = 500:
    # sv.LineZone ignored every point beyond the segment's end and never confirmed the side.
    path = [(450, 120), (465, 150), (480, 180), (495, 215), (510, 245), (525, 275),
            (540, 305), (555, 335)]
    counter = LineCounter(horizontal_line())
    frames = [frame((4, x, y)) for x, y in path]
    assert [d for _, d in run(counter, frames)] == ["entry"]


def test_end_margin_counts_a_crossing_just_beyond_the_end() -> None:
    # Feet cross y = 200 at x = 510: 10 px beyond the end (boxes 80 px high).
    frames = walk(4, 510, [120, 150, 180, 230, 260, 290])
    assert run(LineCounter(horizontal_line()), frames) == []
    counter = LineCounter(horizontal_line(end_margin=0.25))
    assert [d for _, d in run(counter, frames)] == ["entry"]


def test_a_track_lost_just_after_crossing_counts_with_count_on_loss() -> None:
    # One point beyond the band on the new side, then the tracker gives the id up.
    frames = walk(2, 300, [120, 150, 180, 230]) + [frame()] * 12
    assert run(LineCounter(horizontal_line(), memory_frames=10), frames) == []
    counter = LineCounter(horizontal_line(count_on_loss=True), memory_frames=10)
    assert [d for _, d in run(counter, frames)] == ["entry"]


def test_an_id_switch_across_the_line_counts_once_with_handover() -> None:
    # Track 5 walks to the line and vanishes; track 9 appears 20 px on, past the line.
    frames = walk(5, 300, [110, 140, 170, 190]) + [frame()] * 2 + \
        walk(9, 300, [210, 240, 270, 300])
    assert run(LineCounter(horizontal_line(handover=False)), frames) == []
    counter = LineCounter(horizontal_line())  # on by default
    assert [d for _, d in run(counter, frames)] == ["entry"]
    # A new track far from any vanished one takes over nothing.
    frames = walk(5, 300, [110, 140, 170, 190]) + walk(9, 450, [210, 240, 270, 300])
    assert run(LineCounter(horizontal_line(handover=True)), frames) == []


def test_a_wobble_on_the_line_with_flicker_beyond_the_band_counts_once() -> None:
    # Standing on the line, the box jumps 25 px across for single frames now and then.
    ys = [120, 150, 180, 200, 226, 199, 201, 174, 200, 226, 201, 240, 280, 320]
    counter = LineCounter(horizontal_line())
    assert [d for _, d in run(counter, walk(1, 300, ys))] == ["entry"]


def test_smoothing_keeps_a_jumping_box_edge_from_counting() -> None:
    # Someone stands on the line; their box's bottom edge jumps 8 px either side of it,
    # three frames at a time (a leg hidden, then seen), then they walk back where they came.
    ys = [120, 150, 180] + ([192] * 3 + [208] * 3) * 4 + [180, 150, 120]
    raw = LineCounter(horizontal_line(band=0.02, min_frames=3, jitter_band=0.0))
    assert len(run(raw, walk(1, 300, ys))) >= 2
    smooth = LineCounter(horizontal_line(band=0.02, min_frames=3, smoothing=0.5,
                                         jitter_band=0.0))
    assert run(smooth, walk(1, 300, ys)) == []
    # ...while a real crossing still counts, once.
    walk_in = [120, 150, 180, 200, 220, 250, 280, 310, 340]
    assert [d for _, d in run(LineCounter(horizontal_line(band=0.02, smoothing=0.5)),
                              walk(2, 300, walk_in))] == ["entry"]


def _leaving_right(xs: list[float], width: float = 640.0, half: float = 20.0
                   ) -> list[sv.Detections]:
    """A person ``2 * half`` px wide walking right, out of a ``width``-wide picture: boxes
    are cut at the border, so their plain centre stalls there."""
    out = []
    for x in xs:
        x1, x2 = x - half, min(x + half, width)
        d = sv.Detections(xyxy=np.array([[x1, 100.0, x2, 180.0]], dtype=np.float32),
                          confidence=np.array([0.9], dtype=np.float32),
                          class_id=np.array([PERSON]))
        d.tracker_id = np.array([4])
        out.append(d)
    return out


def _with_feet(frames: list[sv.Detections],
               bounds: tuple[float, float, float, float] = (0.0, 0.0, 640.0, 480.0)
               ) -> list[sv.Detections]:
    """The frames with the foot points the camera step leaves for its rules."""
    feet = FootPoints()
    for d in frames:
        d.data[FEET] = np.column_stack(feet.points(d.xyxy, d.tracker_id, bounds))
    return frames


def _edge_line(**kw: object) -> LineConfig:
    """A vertical line 12 px from the right border of a 640 px picture (x = 628)."""
    return LineConfig(id="edge", start=(628, 0), end=(628, 400), **kw)  # type: ignore[arg-type]


def test_a_person_walking_out_of_the_picture_past_a_line_near_its_edge_counts() -> None:
    # Centres 560 .. 650: the true centre crosses x = 628, but the box is cut at 640, so
    # its plain centre stops at (x - 20 + 640) / 2 <= 635 and never gets 3 frames beyond.
    xs = [560.0, 580.0, 600.0, 612.0, 624.0, 636.0, 648.0, 660.0]
    counter = LineCounter(_edge_line())
    assert [d for _, d in run(counter, _with_feet(_leaving_right(xs)))] == ["exit"]


def test_without_the_pictures_bounds_the_cut_box_is_missed_as_before() -> None:
    xs = [560.0, 580.0, 600.0, 612.0, 624.0, 636.0, 648.0, 660.0]
    assert run(LineCounter(_edge_line()), _leaving_right(xs)) == []
    off = LineCounter(_edge_line(edge_feet=False))
    assert run(off, _with_feet(_leaving_right(xs))) == []


def test_feet_cut_by_the_bottom_border_are_placed_from_the_tracks_height() -> None:
    feet = FootPoints(border_px=2.0)
    bounds = (0.0, 0.0, 640.0, 480.0)
    ids = np.array([9])
    feet.points(np.array([[100.0, 300.0, 140.0, 400.0]]), ids, bounds)  # whole: 100 tall
    _x, y = feet.points(np.array([[100.0, 420.0, 140.0, 480.0]]), ids, bounds)
    assert y[0] == pytest.approx(520.0)  # top 420 + 100, below the picture
    # A box never seen whole keeps its plain bottom.
    _x, y = feet.points(np.array([[100.0, 420.0, 140.0, 480.0]]), np.array([10]), bounds)
    assert y[0] == pytest.approx(480.0)


def test_the_step_hands_the_pictures_bounds_to_its_lines() -> None:
    from datetime import datetime, timezone

    from edge.config.models import CameraConfig, TrackingConfig
    from edge.pipeline.step import CameraPipeline, SiteOccupancy

    camera = CameraConfig(id="cam", url="x", lines=[_edge_line().model_dump()])
    xs = [545.0, 560.0, 575.0, 590.0, 605.0, 615.0, 625.0, 635.0, 645.0, 655.0, 665.0]
    counts = []
    for bounds in (None, (0.0, 0.0, 640.0, 480.0)):
        step = CameraPipeline(camera, TrackingConfig(), SiteOccupancy(), fps=7.0)
        ts = datetime.now(timezone.utc)
        for n, det in enumerate(_leaving_right(xs, half=30.0), start=1):
            det.tracker_id = None
            step.process(n, ts, det, bounds)
        counts.append(step.line_counts()["edge"])
    assert counts == [(0, 0), (0, 1)]
