"""`scripts/eval_edge_lines.py` and its pieces in `counting_lab`: lines along a region's
borders, detections of a camera's region of interest, counter overrides."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest
import supervision as sv

from edge.analytics.groundtruth import true_crossing_events
from edge.config import load_settings
from tests.conftest import ROOT, load_script


def walkers() -> dict[int, list[tuple[int, float, float]]]:
    """Forty people crossing a 400x300 picture: left to right, right to left, and down it."""
    tracks: dict[int, list[tuple[int, float, float]]] = {}
    for k in range(40):
        y = 20.0 + 6.5 * k
        if k % 3 == 0:
            tracks[k] = [(f, 4.0 * f, y) for f in range(1, 101)]
        elif k % 3 == 1:
            tracks[k] = [(f, 400 - 4.0 * f, y) for f in range(1, 101)]
        else:
            tracks[k] = [(f, 10.0 * k, 3.0 * f) for f in range(1, 101)]
    return tracks


def test_edge_lines_run_along_a_border_of_the_region_and_are_crossed_enough() -> None:
    lab = load_script("counting_lab")
    roi = (50, 40, 350, 260)
    lines = lab.edge_lines(walkers(), 12, seed=5, roi=roi, min_true=8)
    assert len(lines) == 12 and lines == lab.edge_lines(walkers(), 12, seed=5, roi=roi)
    assert lines != lab.edge_lines(walkers(), 12, seed=6, roi=roi)
    x1, y1, x2, y2 = roi
    for ln in lines:
        ends = [(ln[0], ln[1]), (ln[2], ln[3])]
        # Both ends within 4-60 px of the same border, inside the region.
        near = [{name for name, d in (("left", x - x1), ("right", x2 - x), ("top", y - y1),
                                      ("bottom", y2 - y)) if 3 <= d <= 61} for x, y in ends]
        assert near[0] & near[1], ln
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in ends)
        assert np.hypot(ln[2] - ln[0], ln[3] - ln[1]) >= 79
        assert len(true_crossing_events(walkers(), tuple(map(float, ln)))) >= 8


def test_edge_lines_say_when_the_region_is_not_crossed_enough() -> None:
    lab = load_script("counting_lab")
    with pytest.raises(RuntimeError, match="edge lines with 500"):
        lab.edge_lines(walkers(), 2, seed=1, roi=(50, 40, 350, 260), min_true=500)


class CropSeer:
    """A detector that boxes the middle of whatever picture it is given."""

    shapes: ClassVar[list[tuple[int, ...]]] = []

    def __init__(self, *_a: Any, **_k: Any) -> None:
        pass

    def predict(self, images: list[np.ndarray]) -> list[sv.Detections]:
        out = []
        for img in images:
            CropSeer.shapes.append(img.shape)
            h, w = img.shape[:2]
            out.append(sv.Detections(xyxy=np.array([[w / 4, h / 4, 3 * w / 4, 3 * h / 4]],
                                                   np.float32),
                                     confidence=np.array([0.9], np.float32),
                                     class_id=np.array([0])))
        return out


def test_a_region_of_interest_is_detected_cropped_and_boxed_in_the_frames_coordinates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = load_script("counting_lab")
    video = tmp_path / "v.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(5):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    settings = load_settings(ROOT / "config" / "demo.yaml")
    model = settings.models[0]
    monkeypatch.setattr(sys.modules[lab.cached_detections.__module__], "Detector", CropSeer)
    CropSeer.shapes = []
    whole = lab.cached_detections(settings, model, video, tmp_path / "cache")
    roi = (40, 20, 120, 100)
    part = lab.cached_detections(settings, model, video, tmp_path / "cache", roi=roi)
    assert CropSeer.shapes == [(120, 160, 3)] * 5 + [(80, 80, 3)] * 5
    assert len(whole) == len(part) == 5
    np.testing.assert_allclose(whole[0].xyxy, [[40, 30, 120, 90]])
    # The middle of the region, in the frame's coordinates, as the inference loop shifts it.
    np.testing.assert_allclose(part[0].xyxy, [[60, 40, 100, 80]])
    # Both are cached apart: read back, the detector is not asked again.
    again = lab.cached_detections(settings, model, video, tmp_path / "cache", roi=roi)
    assert len(CropSeer.shapes) == 10
    np.testing.assert_allclose(again[4].xyxy, part[4].xyxy)


def test_counter_overrides_are_read_as_json_and_bad_ones_are_named() -> None:
    edge = load_script("eval_edge_lines")
    counter = edge.counter_settings(["min_frames=2", "edge_feet=false"])
    assert counter["min_frames"] == 2 and counter["edge_feet"] is False
    assert set(counter) >= set(load_script("counting_lab").COUNTER_GRID)
    with pytest.raises(ValueError, match="'colour=3'"):
        edge.counter_settings(["colour=3"])
    with pytest.raises(ValueError, match="'band'"):
        edge.counter_settings(["band"])
    with pytest.raises(ValueError, match="min_frames"):
        edge.counter_settings(["min_frames=0"])


def test_bad_arguments_exit_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    edge = load_script("eval_edge_lines")
    common = ["--config", "c.yaml", "--video", "v.avi", "--gt", "gt.txt"]
    with pytest.raises(SystemExit) as exc:
        edge.main([*common, "--counter", "nope=1"])
    assert exc.value.code == 2 and "'nope=1'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        edge.main([*common, "--edge-lines", "1"])
    assert "at least 2" in capsys.readouterr().err
    assert edge.main([*common]) == 2  # files that are not there
    assert "file not found: c.yaml" in capsys.readouterr().err
