"""A vehicle passing a camera yields exactly one vehicle_logs row with the right plate.

No such video is in the shared data, so the test makes one from a real photo with a known
plate (../shared/data/anpr): the car slides across a 960x540 frame over 40 frames. The real
daemon runs on it: the vehicle detector, tracker, platedet localiser, RapidOCR, voting, store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import numpy as np

from edge.app import App, RunOptions
from edge.config import validate_mapping
from tests.conftest import MODELS, SHARED_DATA, require


def make_clip(photo: Path, path: Path, frames: int = 40) -> None:
    img = cv2.imread(str(photo))
    assert img is not None
    car = cv2.resize(img, None, fx=480 / img.shape[1], fy=480 / img.shape[1])
    ch, cw = car.shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (960, 540))
    for i in range(frames):
        frame = np.full((540, 960, 3), 90, np.uint8)
        x = int(-cw * 0.3 + i * (960 - cw * 0.4) / frames)
        x0, x1 = max(0, x), min(960, x + cw)
        frame[20:20 + ch, x0:x1] = car[:, x0 - x:x1 - x]
        out.write(frame)
    out.release()


def test_a_passing_car_is_logged_once_with_its_plate(tmp_path: Path) -> None:
    photo = require(SHARED_DATA / "anpr" / "openalpr" / "eu" / "eu10.jpg",
                    "../shared/data/anpr is missing")
    require(MODELS / "vehicle-yolo11n-seg.pt", "run `make models`")
    make_clip(photo, tmp_path / "gate.avi")
    settings = validate_mapping({
        "models_dir": str(MODELS),
        "models": [{"name": "vehicle", "source": "vehicle-yolo11n-seg.pt", "confidence": 0.3,
                    "classes": {"bick": "motorcycle", "bus": "bus", "car": "car",
                                "lorry": "truck", "tuktuk": "car", "van": "car"}}],
        "cameras": [{"id": "gate", "url": str(tmp_path / "gate.avi"), "loop": False}],
        "anpr": {"enabled": True, "allow": ["WA56660"]},
        "storage": {"path": str(tmp_path / "anpr.db")}, "metrics": {"enabled": False}},
        "test")
    app = App(settings, RunOptions(pace=False, lockstep=True, loop_files=False))
    app.start()
    assert app.wait_finished(180)
    app.stop()
    conn = sqlite3.connect(tmp_path / "anpr.db")
    rows = conn.execute("SELECT plate_number, vehicle_type, status, entry_time, exit_time,"
                        " ocr_confidence FROM vehicle_logs").fetchall()
    assert len(rows) == 1, rows
    plate, vtype, status, entry, exit_, conf = rows[0]
    assert (plate, vtype, status) == ("WA56660", "car", "allowed")
    assert entry < exit_ and conf > 0.5
    reads = conn.execute("SELECT COUNT(*) FROM plate_reads").fetchone()[0]
    assert 3 <= reads <= settings.anpr.max_reads_per_track  # bounded OCR per vehicle
    assert conn.execute("SELECT COUNT(*) FROM outbox WHERE type = 'vehicle'").fetchone()[0] >= 2
