"""`scripts/eval_detector.py`: box matching and scoring on made-up boxes, and one short run
of the real detector on PETS that prints nothing but JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from edge.analytics.groundtruth import load_mot_boxes
from tests.conftest import ROOT, SHARED_DATA, load_script, require


@pytest.fixture(scope="module")
def ed() -> ModuleType:
    return load_script("eval_detector")


def box(x: float, y: float, w: float = 20, h: float = 80) -> list[float]:
    return [x, y, x + w, y + h]


def test_match_is_one_to_one_and_best_first(ed: ModuleType) -> None:
    truth = np.array([box(0, 0), box(100, 0)])
    # Two boxes on the first person: the better one matches, the other is left over; the
    # second person's box is too far off (IoU < 0.5).
    found = np.array([box(2, 0), box(0, 0), box(112, 0)])
    got_t, got_f = ed.match(truth, found)
    assert got_t.tolist() == [True, False]
    assert got_f.tolist() == [False, True, False]
    assert ed.match(truth, np.zeros((0, 4)))[0].tolist() == [False, False]


def test_score_splits_recall_by_height_and_false_boxes_by_area(ed: ModuleType) -> None:
    # People annotated along y 100..300 (feet), small (60 px) and large (120 px).
    frames = {1: np.array([box(100, 40, h=60), box(300, 180, h=120)]),
              2: np.array([box(110, 40, h=60), box(310, 180, h=120)]),
              3: np.array([box(500, 200, h=100)])}
    area = ed.annotated_area(frames)
    found = {1: np.array([box(300, 180, h=120), box(250, 150, h=80)]),   # one false inside
             2: np.array([box(110, 40, h=60), box(310, 180, h=120), box(20, 500)]),  # outside
             3: np.zeros((0, 4))}
    s = ed.score(frames, found, area)
    assert s["annotated"] == 5 and s["frames"] == 3
    assert s["recall"] == pytest.approx(3 / 5)
    assert s["recall_by_height"] == {"0-70px": 0.5, "70-100px": None, "100px+": 2 / 3}
    assert s["false_per_frame"] == pytest.approx(1 / 3)
    assert s["outside_per_frame"] == pytest.approx(1 / 3)


def test_malformed_ground_truth_names_the_line(tmp_path: Path) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20,80,1,1,1\n2,1,ten,10,20,80,1,1,1\n")
    with pytest.raises(ValueError, match=r"gt.txt:2: not a MOT row"):
        load_mot_boxes(gt)
    gt.write_text("\n")
    with pytest.raises(ValueError, match=r"gt.txt: no annotated boxes"):
        load_mot_boxes(gt)


def test_real_detector_prints_only_json(pets_video: Path) -> None:
    gt = require(SHARED_DATA / "counting" / "pets09_s2l1" / "gt.txt", "shared data missing")
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_detector.py"), "--config",
         str(ROOT / "config" / "demo.yaml"), "--model", "person", "--video", str(pets_video),
         "--gt", str(gt), "--stride", "80", "--imgsz", "640", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    (row,) = result["sizes"]
    assert row["imgsz"] == 640 and row["frames"] == 10 and row["annotated"] > 30
    # The demo's person model finds most annotated people on these frames, not all.
    assert 0.5 < row["recall"] < 1.0
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_detector.py"), "--config",
         str(ROOT / "config" / "demo.yaml"), "--model", "nobody", "--video", str(pets_video),
         "--gt", str(gt)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "no model named 'nobody'" in bad.stderr
