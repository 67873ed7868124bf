"""`scripts/eval_refine_near.py`: the replay of `refine.near` re-draws only the boxes near
the line, counts the frames the refiner would have run on, and names a bad model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from tests.conftest import ROOT, load_script


def box(x1: float, y1: float, x2: float, y2: float) -> sv.Detections:
    return sv.Detections(xyxy=np.array([[x1, y1, x2, y2]], np.float32),
                         confidence=np.array([0.5], np.float32), class_id=np.array([0]))


def test_compose_refines_near_the_line_and_counts_the_frames() -> None:
    mod = load_script("eval_refine_near")
    line = (0, 300, 768, 300)
    # Frame 1: feet 20 px above the line (100 px tall): near. Frame 2: 200 px above: far.
    # Frame 3: nobody.
    base = [box(100, 180, 140, 280), box(100, 0, 140, 100), sv.Detections.empty()]
    refiner = [box(101, 182, 139, 276), box(101, 2, 139, 96), box(0, 0, 1, 1)]
    out, share = mod.compose(base, refiner, line, 1.0, 0.5)
    assert out[0].xyxy.tolist() == [[101, 182, 139, 276]]
    assert out[1].xyxy.tolist() == [[100, 0, 140, 100]] and len(out[2]) == 0
    assert share == 1 / 3
    every, share_all = mod.compose(base, refiner, line, None, 0.5)
    assert every[1].xyxy.tolist() == [[101, 2, 139, 96]] and share_all == 1.0


def test_a_model_without_a_refiner_is_named(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    mod = load_script("eval_refine_near")
    video, gt = tmp_path / "v.avi", tmp_path / "gt.txt"
    video.write_bytes(b"x")
    gt.write_text("1,1,10,10,5,20,1,-1,-1,-1\n")
    rc = mod.main(["--config", str(ROOT / "config" / "demo.yaml"), "--model", "vehicle",
                   "--video", str(video), "--gt", str(gt), "--line", "0", "1", "2", "3"])
    assert rc == 2 and "vehicle has no refine" in capsys.readouterr().err


def test_on_crops_the_boxes_near_the_line_take_their_redrawn_boxes() -> None:
    mod = load_script("eval_refine_near")
    base = [sv.Detections(xyxy=np.array([[100., 0, 140, 100], [300., 0, 340, 60]]),
                          confidence=np.array([0.5, 0.6]), class_id=np.array([0, 0]))]
    redrawn = [sv.Detections(xyxy=np.array([[101., 2, 139, 96], [301., 1, 339, 58]]),
                             confidence=np.array([0.5, 0.6]), class_id=np.array([0, 0]))]
    line = (0, 110, 768, 110)  # the first one's feet 10 px above it, the second's 50 px
    got, share = mod.compose_crops(base, redrawn, line, 0.5)
    assert got[0].xyxy.tolist() == [[101, 2, 139, 96], [300, 0, 340, 60]] and share == 0.5
    assert base[0].xyxy[0].tolist() == [100, 0, 140, 100]  # the cache is left as it was
    every, share_all = mod.compose_crops(base, redrawn, line, None)
    assert every[0].xyxy.tolist() == redrawn[0].xyxy.tolist() and share_all == 1.0
    with pytest.raises(ValueError, match="clear the cache"):
        mod.compose_crops(base, [redrawn[0][:1]], line, None)
