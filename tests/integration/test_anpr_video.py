"""Plates from video: `scripts/eval_anpr_video.py`'s core on three real clips.

Each clip (../shared/data/anpr_video) runs through the whole daemon: a file camera in
lockstep, the demo's vehicle model, the tracker, the ANPR service and the store. Video17_2 is
a close-up whose plate the localiser boxes only in part (``JTT5`` of ``56-JTT-5``) and
Video2_2 an ordinary rear view; Video31_2 a vehicle that fills the picture, which the model
boxes at 0.1-0.35 only (tracked by the vehicles' own tracker thresholds) and as car and truck
at once (merged into one box). Each must be logged once with its plate, and nothing else.
"""

from __future__ import annotations

import importlib
import sys

from tests.conftest import MODELS, ROOT, SHARED_DATA, require

CLIPS = ["Categorie_I_Video2_2.avi", "Categorie_I_Video17_2.avi", "Categorie_I_Video31_2.avi"]


def test_clips_are_logged_with_their_plate_and_no_wrong_one() -> None:
    data = require(SHARED_DATA / "anpr_video" / "clips.csv",
                   "../shared/data/anpr_video is missing").parent
    require(MODELS / "vehicle-yolo11n-seg.pt", "run `make models`")
    require(MODELS / "platedet.onnx", "run `make models`")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        evaluate = importlib.import_module("eval_anpr_video").evaluate
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    result = evaluate(ROOT / "config" / "demo.yaml", data, "none", CLIPS,
                      diagnose_misses=False)
    clips = {c["file"]: c for c in result["clips"]}
    assert sorted(clips) == sorted(CLIPS)
    for name, clip in clips.items():
        assert clip["outcome"] == "right", (name, clip)
        assert clip["wrong_plates"] == [], (name, clip)
        assert clip["duplicates"] == 0, (name, clip)  # one vehicle, one row with the plate
        assert 1 <= clip["reads"] <= 8, (name, clip)  # bounded OCR per vehicle
    assert result["all"]["right"] == 3 and result["all"]["wrong_plates"] == 0
