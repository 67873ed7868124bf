"""INT8 calibration input: frames from a video or a folder, letterboxed like ultralytics."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.detect.quantize import calibration_frames, letterbox
from tests.clips import write_grey_clip


def test_letterbox_keeps_aspect_and_pads_to_the_stride() -> None:
    x = letterbox(np.full((576, 768, 3), 255, np.uint8), 640)
    assert x.shape == (1, 3, 480, 640) and x.dtype == np.float32
    assert x.max() == pytest.approx(1.0)
    tall = letterbox(np.zeros((1000, 310, 3), np.uint8), 640)  # 640 x 198
    assert tall.shape[2] == 640 and tall.shape[3] % 32 == 0
    assert tall[0, 0, 320, 0] == pytest.approx(114 / 255)  # grey padding at the side


def test_frames_are_spread_over_a_folder(tmp_path: Path) -> None:
    for i in range(10):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), np.full((40, 60, 3), i * 20, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    frames = calibration_frames(tmp_path, 5)
    assert len(frames) == 5
    assert [int(f[0, 0, 0]) for f in frames] == [0, 40, 80, 120, 160]


def test_frames_are_spread_over_a_video(tmp_path: Path) -> None:
    path = write_grey_clip(tmp_path / "v.avi", (i * 8 for i in range(30)))
    frames = calibration_frames(path, 3)
    assert len(frames) == 3
    levels = [int(f[..., 0].mean()) for f in frames]
    assert levels == sorted(levels) and levels[-1] - levels[0] > 100  # spread, not the first 3
