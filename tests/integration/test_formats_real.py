"""An ONNX export of the person model runs through the same Detector and finds the same
people as the .pt it came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np

from edge.config.models import ModelConfig
from edge.detect.detector import Detector
from edge.detect.formats import export_model


def test_onnx_export_matches_pytorch(tmp_path: Path, person_model: Path, pets_video: Path
                                     ) -> None:
    shutil.copy(person_model, tmp_path / "person.pt")
    export_model(tmp_path / "person.pt", "onnx", imgsz=640)
    cap = cv2.VideoCapture(str(pets_video))
    frames = [cap.read()[1] for _ in range(3)]
    cfg = ModelConfig(name="p", source="person.pt", classes={"Normal": "person",
                                                             "Fall": "person"})
    onnx = Detector(cfg, tmp_path, "cpu")
    torch_ = Detector(cfg.model_copy(update={"format": "pytorch"}), tmp_path, "cpu")
    assert (onnx.format, torch_.format) == ("onnx", "pytorch")
    for a, b in zip(onnx.predict(frames), torch_.predict(frames), strict=True):
        assert abs(len(a) - len(b)) <= 1 and len(b) >= 3
        assert set(a.data["class_name"]) == {"person"}
        # every confident torch box has an ONNX box in the same place
        for box in b.xyxy[b.confidence > 0.5]:
            ious = _iou(box, a.xyxy)
            assert ious.max() > 0.9


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def test_int8_export_calibrated_on_other_footage_still_finds_the_people(
        tmp_path: Path, person_model: Path, pets_video: Path, bikes_video: Path) -> None:
    """Quantised on the bikes clip (not the scene it is tested on), the int8 model runs
    through the Detector and finds the confident people of the fp32 ONNX model."""
    shutil.copy(person_model, tmp_path / "person.pt")
    out = export_model(tmp_path / "person.pt", "onnx-int8", imgsz=640, calibration=bikes_video,
                       calibration_frames=16)
    assert out.name == "person-int8.onnx"
    cfg = ModelConfig(name="p", source="person.pt", classes={"Normal": "person",
                                                             "Fall": "person"})
    int8 = Detector(cfg.model_copy(update={"format": "onnx-int8"}), tmp_path, "cpu")
    fp32 = Detector(cfg, tmp_path, "cpu")
    assert (int8.format, fp32.format) == ("onnx-int8", "onnx")
    cap = cv2.VideoCapture(str(pets_video))
    frames = [cap.read()[1] for _ in range(3)]
    for a, b in zip(int8.predict(frames), fp32.predict(frames), strict=True):
        assert set(a.data["class_name"]) == {"person"}
        for box in b.xyxy[b.confidence > 0.6]:
            assert _iou(box, a.xyxy).max() > 0.7
