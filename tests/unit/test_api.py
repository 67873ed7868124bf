"""HTTP shim with a scripted detector: contract fields, errors, tracking across requests."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from fastapi.testclient import TestClient

from edge.api.app import ApiServices, create_app
from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.loop import ModelRoute
from edge.pipeline.single import SingleFrameProcessor
from edge.pipeline.step import SiteOccupancy
from edge.store.queries import StoreReader
from edge.store.writer import StoreWriter


class ScriptedDetector:
    """Each call returns the next scripted list of person foot points (x, y)."""
    refines_near = False  # no refiner: the loop passes no lines

    name = "scripted"

    def __init__(self, script: list[list[tuple[float, float]]]) -> None:
        self.script = script
        self.calls = 0

    def predict(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        feet = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if not feet:
            return [sv.Detections.empty()]
        xyxy = np.array([[x - 20, y - 100, x + 20, y] for x, y in feet], np.float32)
        return [sv.Detections(xyxy=xyxy, confidence=np.full(len(feet), 0.9, np.float32),
                              class_id=np.zeros(len(feet), int))]


def jpeg_b64(w: int = 640, h: int = 480, ext: str = ".jpg") -> str:
    ok, buf = cv2.imencode(ext, np.full((h, w, 3), 127, np.uint8))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


@pytest.fixture
def services(tmp_path: Path):  # type: ignore[no-untyped-def]
    writer = StoreWriter(tmp_path / "api.db", "site1", flush_interval_ms=20)
    writer.start()
    site = SiteOccupancy()
    svc = ApiServices(site=site, reader=StoreReader(tmp_path / "api.db"),
                      max_body_bytes=200_000, max_pixels=1920 * 1080,
                      writer_alive=lambda: writer.alive, inference_alive=lambda: True)
    svc.writer = writer  # type: ignore[attr-defined]
    yield svc
    writer.stop()


def attach(svc: ApiServices, script: list[list[tuple[float, float]]]) -> ScriptedDetector:
    det = ScriptedDetector(script)
    cams = {"api": CameraConfig(id="api", url="api", lines=[
        {"id": "door", "start": (0, 240), "end": (640, 240), "in_side": "right"}])}
    svc.processor = SingleFrameProcessor(
        [ModelRoute(det)], cams, TrackingConfig(), svc.site,  # type: ignore[list-item]
        svc.writer.submit_many, svc.writer.flush)  # type: ignore[attr-defined]
    return det


TOP_LEVEL = ["success", "frame_id", "timestamp", "occupancy", "entries", "exits",
             "entries_this_frame", "exits_this_frame", "faces_recognized", "vehicles_detected",
             "people_count", "vehicle_count", "processing_time_ms", "performance"]
PERF = ["decoding_time_ms", "yolo_inference_ms", "face_processing_ms",
        "vehicle_processing_ms", "database_write_ms"]


def test_process_response_has_every_seed_field_with_its_type(services: ApiServices) -> None:
    attach(services, [[(300, 100), (400, 120)]])
    client = TestClient(create_app(services))
    r = client.post("/api/process", json={"frame": jpeg_b64()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == TOP_LEVEL
    assert body["success"] is True and body["frame_id"] == 1
    assert isinstance(body["timestamp"], str) and body["timestamp"].endswith("+00:00")
    for key in ("occupancy", "entries", "exits", "entries_this_frame", "exits_this_frame",
                "people_count", "vehicle_count"):
        assert type(body[key]) is int, key
    assert body["people_count"] == 2 and body["faces_recognized"] == []
    assert list(body["performance"]) == PERF
    assert all(isinstance(v, float) for v in body["performance"].values())
    assert isinstance(body["processing_time_ms"], float)


def test_empty_frame_gets_a_note(services: ApiServices) -> None:
    attach(services, [[]])
    body = TestClient(create_app(services)).post("/api/process",
                                                 json={"frame": jpeg_b64()}).json()
    assert body["people_count"] == 0 and body["note"] == "no people or vehicles in this frame"


def test_person_crossing_over_several_requests_is_one_entry(services: ApiServices) -> None:
    ys = list(range(120, 400, 20))
    attach(services, [[(320, y)] for y in ys])
    client = TestClient(create_app(services))
    bodies = [client.post("/api/process", json={"frame": jpeg_b64(), "camera_id": "api"}).json()
              for _ in ys]
    assert [b["frame_id"] for b in bodies] == list(range(1, len(ys) + 1))
    assert sum(b["entries_this_frame"] for b in bodies) == 1
    assert bodies[-1]["entries"] == 1 and bodies[-1]["occupancy"] == 1
    events = client.get("/api/events").json()["items"]
    assert len(events) == 1 and events[0]["direction"] == "entry"
    assert client.get("/api/occupancy").json()["site_occupancy"] == 1


@pytest.mark.parametrize(("kwargs", "status", "message"), [
    ({"content": b"{}", "headers": {"content-type": "text/plain"}}, 415,
     "content type must be application/json, got text/plain"),
    ({"content": b"x" * 300_000, "headers": {"content-type": "application/json"}}, 413,
     "body of 300000 bytes is over the limit of 200000"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400,
     "body is not valid JSON: Expecting property name enclosed in double quotes"),
    ({"content": b"{\"frame\": \"\xff\"}", "headers": {"content-type": "application/json"}}, 400,
     "body is not valid JSON: not UTF-8 text"),
    ({"json": {}}, 400, "invalid frame: frame: Field required"),
    ({"content": b"[" * 100_000 + b"]" * 100_000,
      "headers": {"content-type": "application/json"}}, 400,
     "body is not valid JSON: nested too deeply"),
    ({"content": b"[" * 90_000, "headers": {"content-type": "application/json"}}, 400,
     "body is not valid JSON: nested too deeply"),
    ({"json": {"frame": "%%%"}}, 400, "invalid frame: frame is not valid base64"),
    ({"json": {"frame": base64.b64encode(b"hello").decode()}}, 400,
     "invalid frame: frame is not a JPEG or PNG image"),
    ({"json": {"frame": ""}}, 400,
     "invalid frame: frame: String should have at least 1 character"),
    ({"json": {"frame": jpeg_b64(2000, 1200)}}, 413,
     "invalid frame: frame is 2000x1200 = 2400000 pixels, over the limit of 2073600"),
    ({"json": {"frame": jpeg_b64(), "camera_id": "a b"}}, 422,
     "invalid frame: camera_id: String should match pattern '^[A-Za-z0-9_.-]+$'"),
])
def test_bad_requests_get_a_json_error(services: ApiServices, kwargs: dict, status: int,
                                       message: str) -> None:
    attach(services, [[]])
    r = TestClient(create_app(services)).post("/api/process", **kwargs)
    assert r.status_code == status
    assert r.json() == {"success": False, "error": message}


def test_png_frames_and_data_urls_are_accepted(services: ApiServices) -> None:
    attach(services, [[]])
    client = TestClient(create_app(services))
    r = client.post("/api/process", json={"frame": "data:image/png;base64," +
                                          jpeg_b64(64, 48, ".png")})
    assert r.status_code == 200


def test_pipeline_not_initialised(services: ApiServices) -> None:
    r = TestClient(create_app(services)).post("/api/process", json={"frame": jpeg_b64()})
    assert r.status_code == 503
    assert r.json() == {"success": False, "error": "pipeline not initialised", "details": {
        "check_items": {"models_loaded": False, "writer_alive": True, "inference_alive": True}}}
    ready = TestClient(create_app(services)).get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False


def test_too_many_virtual_cameras(services: ApiServices) -> None:
    attach(services, [[]])
    services.processor.max_cameras = 2  # type: ignore[union-attr]
    client = TestClient(create_app(services))
    for cam in ("a", "b"):
        assert client.post("/api/process", json={"frame": jpeg_b64(),
                                                 "camera_id": cam}).status_code == 200
    r = client.post("/api/process", json={"frame": jpeg_b64(), "camera_id": "c"})
    assert r.status_code == 429 and "at most 2 virtual cameras" in r.json()["error"]


def test_status_routes(services: ApiServices) -> None:
    attach(services, [[]])
    client = TestClient(create_app(services))
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert client.get("/api/cameras").json() == []
    assert client.get("/api/attendance", params={"date": "2026-11-23"}).json() == {
        "items": [], "next_after_id": None}
    assert client.get("/api/attendance", params={"date": "23/11/2026"}).status_code == 422
    assert client.get("/api/vehicles", params={"plate": "KA01AB1234"}).json()["items"] == []
    assert "edge_" in client.get("/metrics/").text
    spec = client.get("/openapi.json").json()
    assert "ProcessResponse" in spec["components"]["schemas"]


def test_vehicle_pages_follow_next_after_id(services: ApiServices) -> None:
    attach(services, [[]])
    client = TestClient(create_app(services))
    client.post("/api/process", json={"frame": jpeg_b64()})  # the writer has migrated the db
    services.writer.call(lambda conn: conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO vehicle_logs (event_id, site, camera_id, track_id, plate_number, "
        "vehicle_type, entry_time, status) VALUES (?, 's', 'gate', ?, 'KA01AB1234', 'car', "
        "'2026-11-23T08:00:00+00:00', 'unknown')", [(f"e{i}", i) for i in range(5)]))
    first = client.get("/api/vehicles", params={"limit": 3}).json()
    assert [r["track_id"] for r in first["items"]] == [0, 1, 2]
    rest = client.get("/api/vehicles", params={"limit": 3,
                                               "after_id": first["next_after_id"]}).json()
    assert [r["track_id"] for r in rest["items"]] == [3, 4]
    assert rest["next_after_id"] is None


def test_identity_outage_answers_from_the_cache_with_the_seed_warning(
        services: ApiServices) -> None:
    from edge.config.identity import BreakerConfig, IdentityConfig
    from edge.identity.answer import Identification
    from edge.identity.faces import FaceBox, GateResult
    from edge.identity.rekognition import BackendUnavailable
    from edge.identity.service import UNAVAILABLE, IdentityService

    class Cloud:
        name, cloud, down = "rekognition", True, False

        def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
            if self.down:
                raise BackendUnavailable("timeout", "search_faces_by_image: read timeout")
            return Identification("E1", "Asha", 99.2, None, "aws")

    cloud = Cloud()
    identity = IdentityService(
        IdentityConfig(enabled=True, backend="rekognition", cache_ttl_s=2.0, min_track_frames=1,
                       breaker=BreakerConfig(failure_threshold=1, reset_after_s=60)),
        lambda crop: GateResult(True, "", FaceBox(0, 10, 10, 0)), cloud,
        services.writer.submit_many)  # type: ignore[attr-defined]
    identity.start()
    attach(services, [[(300, 300)]])
    services.processor.services = [identity]  # type: ignore[union-attr]
    client = TestClient(create_app(services))
    try:
        bodies = [client.post("/api/process", json={"frame": jpeg_b64()}).json()
                  for _ in range(3)]
        cloud.down = True
        time.sleep(2.1)  # the cached name expires: the next frame asks the (down) backend
        down = [client.post("/api/process", json={"frame": jpeg_b64()}).json()
                for _ in range(2)]
    finally:
        identity.stop()
    assert [f["source"] for f in bodies[1]["faces_recognized"]] == ["aws"]
    assert [f["source"] for f in bodies[2]["faces_recognized"]] == ["cache"]
    assert "warning" not in bodies[2]
    assert down[0]["warning"] == UNAVAILABLE
    assert [f["source"] for f in down[0]["faces_recognized"]] == ["error"]
    assert down[1]["warning"] == UNAVAILABLE  # breaker open: no call, cached answer only
    assert down[1]["success"] is True and down[1]["people_count"] == 1
