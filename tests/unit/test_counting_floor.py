"""What the counting measurement can resolve: true crossings a counter can tell from foot
noise (`resolvable_crossing_events`), the detector's foot noise, and the floor table of
`scripts/counting_floor.py`."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import supervision as sv

from edge.analytics.groundtruth import (
    Track,
    resolvable_crossing_events,
    true_crossing_events,
)
from tests.conftest import load_script

LINE = (0.0, 100.0, 200.0, 100.0)  # horizontal; "in" is going down the picture (y > 100)
TALL = 100.0  # every annotated person 100 px tall: a band of 0.02 is 2 px


@pytest.fixture(scope="module")
def cf() -> ModuleType:
    return load_script("counting_floor")


def person(ys: list[float], x: float = 100.0, first: int = 1) -> Track:
    return [(first + k, x, y) for k, y in enumerate(ys)]


def heights(tracks: dict[int, Track]) -> dict[int, dict[int, float]]:
    return {i: {f: TALL for f, _x, _y in pts} for i, pts in tracks.items()}


def directions(tracks: dict[int, Track], band: float, line: tuple[float, ...] = LINE
               ) -> list[tuple[int, int, str]]:
    return [(c.frame, c.ident, c.direction) for c in resolvable_crossing_events(
        tracks, heights(tracks), line, band)]  # type: ignore[arg-type]


def test_without_a_band_it_is_the_strict_truth_on_wobbly_walkers() -> None:
    rng = np.random.default_rng(5)
    tracks = {}
    for i in range(30):  # walkers drifting across and along the line, wobbling 0-4 px
        steps = rng.normal(rng.uniform(-1.5, 1.5), rng.uniform(0.1, 4.0), 60)
        ys = list(100.0 + rng.uniform(-20, 20) + np.cumsum(steps))
        xs = list(rng.uniform(-20, 220) + np.cumsum(rng.normal(0, 2, 60)))
        tracks[i] = [(f + 1, float(x), float(y))
                     for f, (x, y) in enumerate(zip(xs, ys, strict=True))]
    strict = [(c.frame, c.ident, c.direction) for c in true_crossing_events(tracks, LINE)]
    assert len(strict) >= 25  # the draw really wobbles over the line
    assert directions(tracks, 0.0) == strict


def test_a_brush_along_the_line_is_below_the_band() -> None:
    # Walking along the line, the foot dips 1 px over it and back: two true crossings.
    brush = {1: person([96.5, 98.5, 99.5, 100.5, 101.0, 100.5, 99.5, 98.5, 96.5])}
    assert [c.direction for c in true_crossing_events(brush, LINE)] == ["in", "out"]
    assert directions(brush, 0.02) == []
    assert len(directions(brush, 0.0)) == 2


def test_a_crossing_counts_once_dated_beyond_the_band() -> None:
    walk = {7: person([90.5, 94.5, 98.5, 102.5, 106.5, 110.5])}
    assert directions(walk, 0.02) == [(4, 7, "in")]  # 102.5 is the first point past 2 px
    assert directions(walk, 0.05) == [(5, 7, "in")]  # 106.5 is the first past 5 px
    assert directions(walk, 0.2) == []  # never 20 px past: not settled on the new side


def test_a_wobble_wider_than_the_band_counts_as_the_truth_does() -> None:
    wobble = {3: person([90.5, 95.5, 104.5, 95.5, 104.5, 110.5])}
    strict = [(c.frame, c.direction) for c in true_crossing_events(wobble, LINE)]
    assert strict == [(3, "in"), (4, "out"), (5, "in")]
    assert [(f, d) for f, _i, d in directions(wobble, 0.02)] == strict
    # Within the band from the old side, the same wobble is one crossing, not three.
    assert [(f, d) for f, _i, d in directions(wobble, 0.05)] == [(6, "in")]


def test_beside_the_segment_or_across_a_gap_is_no_crossing() -> None:
    beside = {1: person([90.5, 110.5], x=260.0)}  # over the infinite line, past x = 200
    assert directions(beside, 0.0) == []
    gap = {2: [(1, 100.0, 90.5), (2, 100.0, 95.5), (5, 100.0, 105.5), (6, 100.0, 110.5)]}
    assert true_crossing_events(gap, LINE) == []
    assert directions(gap, 0.02) == []


def test_bad_band_or_line_is_refused() -> None:
    with pytest.raises(ValueError, match="band"):
        directions({1: person([90.0, 110.0])}, -0.01)
    with pytest.raises(ValueError, match="no length"):
        directions({1: person([90.0, 110.0])}, 0.02, (5.0, 5.0, 5.0, 5.0))


def write_mot(path: Path, rows: list[tuple[int, int, float, float, float, float]]) -> Path:
    path.write_text("".join(f"{f},{i},{x},{y},{w},{h},1,-1,-1,-1\n" for f, i, x, y, w, h
                            in rows))
    return path


def test_foot_noise_removes_each_persons_offset(cf: ModuleType, tmp_path: Path) -> None:
    # Two people, 100 px tall; the detector puts person 1's feet 6 px low and person 2's
    # 3 px high, then 2 px either way frame by frame: 2 % of the height once the constant
    # offsets are gone. A far box matches nobody.
    rows, dets = [], []
    for f in range(1, 21):
        rows += [(f, 1, 100.0, 50.0, 40.0, TALL), (f, 2, 300.0, 80.0, 40.0, TALL)]
        wob = 2.0 if f % 2 else -2.0
        dets.append(sv.Detections(xyxy=np.array([
            [100, 50, 140, 150 + 6 + wob], [300, 80, 340, 180 - 3 - wob], [600, 0, 640, 90]],
            float)))
    noise = cf.foot_noise(dets, write_mot(tmp_path / "gt.txt", rows))
    assert noise["matches"] == 40
    assert noise["median"] == pytest.approx(0.02, abs=1e-6)
    assert noise["p90"] == pytest.approx(0.02, abs=1e-6)


def test_foot_noise_with_no_match_names_the_file(cf: ModuleType, tmp_path: Path) -> None:
    gt = write_mot(tmp_path / "gt.txt", [(1, 1, 100.0, 50.0, 40.0, TALL)])
    far = [sv.Detections(xyxy=np.array([[500, 0, 540, 100]], float))]
    with pytest.raises(ValueError, match=r"gt\.txt: no detected box"):
        cf.foot_noise(far, gt)


def test_floor_scores_the_band_against_the_strict_truth(cf: ModuleType) -> None:
    # Line A: one clean crossing and one 1 px brush (3 true crossings: in, in, out).
    # Line B: two clean crossings.
    tracks = {1: person([90.5, 95.5, 104.5, 110.5]),
              2: person([96.5, 99.5, 101.0, 99.5, 96.5], first=10),
              3: person([150.5, 145.5, 136.5, 130.5], x=100.0),
              4: person([130.5, 136.5, 145.5, 150.5], x=100.0, first=20)}
    a, b = (0, 100, 200, 100), (0, 140, 200, 140)
    rows = cf.floor(tracks, heights(tracks), {"a": [a], "b": [b]}, [0.0, 0.02])
    assert [r["band"] for r in rows] == [0.0, 0.02]
    assert rows[0]["a"]["worst"] == 0.0 and rows[0]["b"]["worst"] == 0.0
    assert rows[1]["a"]["mean"] == pytest.approx(2 / 3)  # the brush's in and out are lost
    assert rows[1]["a"]["over_15pct"] == 1 and rows[1]["b"]["mean"] == 0.0
    with pytest.raises(ValueError, match="no true crossing"):
        cf.floor(tracks, heights(tracks), {"c": [(0, 500, 200, 500)]}, [0.0])
