"""`eval_counting.py --gaps` and `--tracking`: replaying the lines as a box that cannot keep
up with the camera analyses them, and tracker settings other than the config's."""

from __future__ import annotations

import itertools
from types import ModuleType

import pytest

from edge.config.models import TrackingConfig
from tests.conftest import load_script


@pytest.fixture(scope="module")
def lab() -> ModuleType:
    return load_script("counting_lab")


@pytest.fixture(scope="module")
def ec(lab: ModuleType) -> ModuleType:
    load_script("counting_floor")
    load_script("counting_explain")
    return load_script("eval_counting")


def test_analysed_frames_keep_the_videos_numbers_and_the_same_draw(lab: ModuleType) -> None:
    frames = lab.analysed_frames(400, (1, 1, 1, 4))
    assert frames[0] == 1 and frames[-1] <= 400
    gaps = {b - a for a, b in itertools.pairwise(frames)}
    assert gaps == {1, 4}  # both drawn, nothing else
    assert frames == lab.analysed_frames(400, (1, 1, 1, 4))  # the same every run
    assert lab.analysed_frames(9, (2,)) == [1, 3, 5, 7, 9]
    with pytest.raises(ValueError, match="gaps must be whole numbers"):
        lab.analysed_frames(9, (0, 2))


def test_tracking_and_counter_overrides_are_validated_by_name(ec: ModuleType) -> None:
    cs = load_script("counting_settings")
    t = cs.tracking_settings(TrackingConfig(), ["predict_skipped=false", "lost_track_buffer=90"])
    assert (t.predict_skipped, t.lost_track_buffer) == (False, 90)
    with pytest.raises(ValueError, match="predict_skiped"):
        cs.tracking_settings(TrackingConfig(), ["predict_skiped=false"])
    with pytest.raises(ValueError, match="--tracking lost_track_buffer"):
        cs.tracking_settings(TrackingConfig(), ["lost_track_buffer=-1"])
    assert cs.counter_settings(["gap_scaled=false"])["gap_scaled"] is False
    with pytest.raises(ValueError, match="--counter min_frames"):
        cs.counter_settings(["min_frames=0"])


@pytest.mark.parametrize("argv, message", [
    (["--line", "0", "0", "9", "9", "--gaps", "2"], "--gaps needs"),
    (["--random-lines", "4", "--gaps", "0", "1"], "--gaps needs"),
    (["--line", "0", "0", "9", "9", "--tracking", "predict_skipped=false"],
     "--counter and --tracking need"),
    (["--random-lines", "4", "--counter", "gap_scaled=maybe"], "--counter gap_scaled"),
])
def test_bad_arguments_are_named(ec: ModuleType, argv: list[str], message: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        ec.main(["--config", "c.yaml", "--video", "v.avi", "--gt", "gt.txt", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
