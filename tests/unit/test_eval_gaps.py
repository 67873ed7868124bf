"""`eval_counting.py --gaps` and `--tracking`: replaying the lines as a box that cannot keep
up with the camera analyses them, and tracker settings other than the config's."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import supervision as sv

from edge.analytics.groundtruth import sequence_fps
from edge.config.base import CANONICAL_CLASSES
from edge.config.models import TrackingConfig
from tests.conftest import ROOT, load_script


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
     "--counter and --tracking need --random-lines or --realtime"),
    (["--random-lines", "4", "--counter", "gap_scaled=maybe"], "--counter gap_scaled"),
    (["--line", "0", "0", "9", "9", "--camera-every", "2"], "--camera-every needs"),
    (["--random-lines", "4", "--camera-every", "0"], "--camera-every needs"),
    (["--line", "0", "0", "9", "9", "--fps", "0"], "--fps 0.0: a frame rate"),
    (["--random-lines", "4", "--realtime", "--choose"], "--realtime plays the video as a"),
    (["--random-lines", "4", "--realtime", "--gaps", "2"], "--realtime plays the video"),
    (["--line", "0", "0", "9", "9", "--with-rest", "pets"], "--with-rest needs --realtime"),
    (["--line", "0", "0", "9", "9", "--realtime", "--with-rest", "pets", "--model", "person"],
     "runs every model of the config (no --model)"),
    (["--line", "0", "0", "9", "9", "--realtime", "--set", "anpr.threads=1"],
     "--set needs --with-rest"),
    (["--line", "0", "0", "9", "9", "--realtime", "--with-rest", "pets", "--set", "anpr"],
     "write SETTING=VALUE"),
])
def test_bad_arguments_are_named(ec: ModuleType, argv: list[str], message: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        ec.main(["--config", "c.yaml", "--video", "v.avi", "--gt", "gt.txt", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def _walkers(frames: int) -> list[sv.Detections]:
    """Three people crossing x 300 at different speeds and places, a box each frame."""
    out = []
    for n in range(1, frames + 1):
        xs = [100.0 + 6.0 * n, 520.0 - 9.0 * n, 40.0 + 12.0 * n]
        ys = [100.0, 200.0, 300.0]
        out.append(sv.Detections(
            xyxy=np.array([[x - 20, y - 100, x + 20, y] for x, y in zip(xs, ys, strict=True)],
                          np.float32),
            confidence=np.full(3, 0.9, np.float32),
            class_id=np.full(3, CANONICAL_CLASSES.index("person"), int)))
    return out


def test_a_slower_camera_replays_as_a_loop_that_skips_its_frames(lab: ModuleType) -> None:
    dets = _walkers(70)
    settings = SimpleNamespace(tracking=TrackingConfig(minimum_consecutive_frames=1))
    line = [(300, 0, 300, 420)]
    slow = lab.replay(dets, line, settings, 7.0, every=2).counted["line0"]
    skipping = lab.replay(dets, line, settings, 7.0, gaps=(2,)).counted["line0"]
    assert sorted(c.direction for c in slow) == ["in", "out", "out"]
    assert slow == skipping  # the video's frame numbers, the same counts


def test_the_sequences_own_frame_rate_is_read_and_a_bad_one_named(
        tmp_path: Path, ec: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20,40,1,1,1\n")
    assert sequence_fps(gt) is None  # no seqinfo.ini: the header is all there is
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=x\nframeRate=7\n")
    assert sequence_fps(gt) == 7.0
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nframeRate=fast\n")
    with pytest.raises(ValueError, match=r"seqinfo\.ini: frameRate"):
        sequence_fps(gt)
    with pytest.raises(SystemExit) as exc:
        ec.main(["--config", "c.yaml", "--video", "v.avi", "--gt", str(gt), "--line", "0",
                 "0", "9", "9"])
    assert exc.value.code == 2
    assert "frameRate is not a number" in capsys.readouterr().err


def test_cached_detections_come_back_one_per_frame(lab: ModuleType, tmp_path: Path) -> None:
    frames = _walkers(3)
    frames.insert(1, sv.Detections.empty())  # a frame with nobody
    lab.save_detections(tmp_path / "d.npz", frames)
    back = lab.load_detections(tmp_path / "d.npz")
    assert len(back) == 4  # not one more, empty, after the video's last frame
    assert [len(d) for d in back] == [3, 0, 3, 3]
    assert np.array_equal(back[2].xyxy, frames[2].xyxy)
    assert list(back[3].class_id) == list(frames[3].class_id)
    lab.save_detections(tmp_path / "none.npz", [sv.Detections.empty()] * 2)
    assert [len(d) for d in lab.load_detections(tmp_path / "none.npz")] == [0, 0]


def test_the_rest_of_the_config_runs_beside_the_video(tmp_path: Path) -> None:
    """``--with-rest pets``: the video is the PETS camera's stand-in (its person model, the
    evaluated lines), the street camera with its vehicle model and plate reading goes on,
    with ``--set`` changes; sync, the API and the console are off; an unknown camera is
    named."""
    import doctest

    from edge.config import ConfigError

    ec = load_script("eval_counting")
    doctest.testmod(load_script("benchconfig"), raise_on_error=True)
    config = ROOT / "config" / "demo.yaml"
    settings = ec.build_settings(config, tmp_path / "v.avi", [[0, 1, 9, 1]], tmp_path / "e.db",
                                 None, fps=7.0, rest="pets",
                                 changes={"anpr.worker_nice": 0})
    assert [c.id for c in settings.cameras] == ["eval", "street"]
    assert [(m.name, m.cameras) for m in settings.models] == [("person", ["eval"]),
                                                               ("vehicle", ["street"])]
    assert settings.cameras[0].lines[0].id == "line0" and settings.cameras[0].fps == 7.0
    assert settings.anpr.enabled and settings.anpr.worker_nice == 0
    assert not (settings.api.enabled or settings.ui.enabled or settings.metrics.enabled)
    with pytest.raises(ConfigError, match="no camera 'gate' in the config"):
        ec.build_settings(config, tmp_path / "v.avi", [], tmp_path / "e.db", None, rest="gate")
