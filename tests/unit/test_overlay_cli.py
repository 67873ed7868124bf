"""Line overlay geometry and the camera CLI on a local file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from edge.analytics.overlay import draw_lines, inside_normal
from edge.cli.main import app
from edge.config.models import LineConfig
from tests.unit.test_capture import make_video


@pytest.mark.parametrize(("start", "end", "side", "normal"), [
    ((0, 0), (10, 0), "right", (0.0, 1.0)),
    ((0, 0), (10, 0), "left", (0.0, -1.0)),
    ((384, 576), (384, 0), "right", (1.0, 0.0)),
    ((384, 0), (384, 576), "right", (-1.0, 0.0)),
])
def test_inside_normal_points_to_in_side(start: tuple, end: tuple, side: str,
                                         normal: tuple) -> None:
    line = LineConfig(id="l", start=start, end=end, in_side=side)  # type: ignore[arg-type]
    assert inside_normal(line) == pytest.approx(normal)
    # Agrees with the cross-product convention: a point along the normal is on in_side.
    (x1, y1), (x2, y2) = start, end
    px, py = (x1 + x2) / 2 + normal[0] * 5, (y1 + y2) / 2 + normal[1] * 5
    cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
    assert (cross < 0) == (side == "left")


def test_draw_lines_marks_in_green_on_the_inside() -> None:
    img = np.zeros((200, 200, 3), np.uint8)
    line = LineConfig(id="door", start=(0, 100), end=(200, 100), in_side="right")
    out = draw_lines(img, [line])
    assert out is not img and img.sum() == 0
    below, above = out[110:150, 90:130], out[50:90, 90:130]
    green = np.array([60, 200, 60])
    assert (np.abs(below.astype(int) - green).sum(axis=2) < 30).any()
    assert not (np.abs(above.astype(int) - green).sum(axis=2) < 30).any()


def test_camera_test_and_snapshot_on_a_file(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", frames=5)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [{"name": "m", "source": "yolo11n.pt"}],
        "cameras": [{"id": "door", "url": str(video),
                     "lines": [{"id": "l", "start": [0, 20], "end": [64, 20]}]}]}))
    runner = CliRunner()
    res = runner.invoke(app, ["camera", "test", "door", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("OK door: codec MJPG, 64x48, 20.0 fps, first frame after")
    snap = tmp_path / "s.jpg"
    res = runner.invoke(app, ["camera", "snapshot", "door", "-c", str(cfg), "-o", str(snap)])
    assert res.exit_code == 0, res.output
    assert cv2.imread(str(snap)).shape == (48, 64, 3)
    res = runner.invoke(app, ["camera", "test", "nope", "-c", str(cfg)])
    assert res.exit_code == 1 and "no camera with id 'nope'" in res.output
    res = runner.invoke(app, ["camera", "test", str(tmp_path / "missing.mp4")])
    assert res.exit_code == 1 and "video file not found" in res.output
