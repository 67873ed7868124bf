"""The HTTP shim with the real person model on real PETS frames."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from edge.analytics.groundtruth import load_mot
from edge.api.app import ApiServices, create_app
from edge.config.models import CameraConfig, ModelConfig, TrackingConfig
from edge.detect.detector import Detector
from edge.pipeline.loop import ModelRoute
from edge.pipeline.single import SingleFrameProcessor
from edge.pipeline.step import SiteOccupancy
from edge.store.queries import StoreReader
from edge.store.writer import StoreWriter
from tests.conftest import SHARED_DATA

# Ground truth: person 13 walks right-to-left (on screen) across x = 384 at frame 220, and
# nobody else crosses that line between frames 200 and 240.
FIRST, LAST = 205, 235


def test_person_crossing_over_posted_frames_is_one_exit_with_a_stable_track(
        tmp_path: Path, pets_video: Path, person_model: Path) -> None:
    cap = cv2.VideoCapture(str(pets_video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, FIRST - 1)
    frames = [cap.read()[1] for _ in range(FIRST, LAST + 1)]
    writer = StoreWriter(tmp_path / "api.db", "site1", flush_interval_ms=10)
    writer.start()
    site = SiteOccupancy()
    detector = Detector(ModelConfig(name="person", source=str(person_model),
                                    classes={"Normal": "person", "Fall": "person"}),
                        person_model.parent, "cpu")
    line = {"id": "mid", "start": (384, 576), "end": (384, 0), "in_side": "right"}
    services = ApiServices(site=site, reader=StoreReader(tmp_path / "api.db"),
                           writer_alive=lambda: writer.alive, inference_alive=lambda: True)
    services.processor = SingleFrameProcessor(
        [ModelRoute(detector)], {"gate": CameraConfig(id="gate", url="api", lines=[line])},
        TrackingConfig(), site, writer.submit_many, writer.flush)
    client = TestClient(create_app(services))
    gt = dict((f, (x, y)) for f, x, y in load_mot(SHARED_DATA / "counting" / "pets09_s2l1" /
                                                  "gt.txt")[13])
    bodies, ids_on_person = [], []
    for n, img in zip(range(FIRST, LAST + 1), frames, strict=True):
        ok, buf = cv2.imencode(".jpg", img)
        assert ok
        r = client.post("/api/process", json={"frame": base64.b64encode(buf).decode(),
                                              "camera_id": "gate"})
        assert r.status_code == 200, r.text
        bodies.append(r.json())
        tracked = services.processor.pipelines["gate"].last_result.detections
        feet = np.stack([(tracked.xyxy[:, 0] + tracked.xyxy[:, 2]) / 2, tracked.xyxy[:, 3]], 1)
        dist = np.hypot(*(feet - np.array(gt[n])).T)
        if dist.min() < 40 and tracked.tracker_id[dist.argmin()] >= 0:
            ids_on_person.append(int(tracked.tracker_id[dist.argmin()]))
    writer.stop()
    assert sum(b["exits_this_frame"] for b in bodies) == 1
    assert sum(b["entries_this_frame"] for b in bodies) == 0
    assert bodies[-1]["exits"] == 1 and bodies[-1]["occupancy"] == 0  # clamped at zero
    assert all(b["people_count"] >= 3 for b in bodies)
    crossings = services.reader.events(None, 0, 10)
    assert len(crossings) == 1 and crossings[0]["direction"] == "exit"
    # The walker kept one track id over the whole sequence, and that id crossed.
    assert len(ids_on_person) >= 2 * len(frames) // 3  # a few frames lose them behind the pole
    assert set(ids_on_person) == {crossings[0]["track_id"]}
