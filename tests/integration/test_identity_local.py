"""Local identity on the shared face photos: gate, enrolment (CLI and API), search."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edge.api.app import ApiServices, create_app
from edge.cli.main import app as cli
from edge.identity.enroll import EnrollmentError, enroll_employee
from edge.identity.faces import FaceEngine, GateConfig
from edge.identity.gallery import Gallery
from edge.identity.local import LocalBackend
from edge.pipeline.step import SiteOccupancy
from edge.store.queries import StoreReader
from tests.conftest import FACES, face_photo

photo = face_photo


def test_gate_refuses_no_face_several_faces_small_and_blurred(engine: FaceEngine) -> None:
    gate = GateConfig()
    assert engine.gate(np.full((200, 200, 3), 128, np.uint8), gate).reason == "no face found"
    assert engine.gate(photo("multi_kit_rose.jpg"), gate).reason == "2 faces found; need " \
                                                                     "exactly one"
    small = cv2.resize(photo("obama_a.jpg"), None, fx=0.12, fy=0.12)
    verdict = engine.gate(small, GateConfig(min_face_px=40))
    assert not verdict.ok and ("below the 40 px minimum" in verdict.reason
                               or verdict.reason == "no face found")
    blurred = cv2.GaussianBlur(photo("obama_a.jpg"), (0, 0), 6)
    verdict = engine.gate(blurred, GateConfig(min_sharpness=10))
    assert not verdict.ok and ("too blurred" in verdict.reason or verdict.reason ==
                               "no face found")
    assert engine.gate(photo("obama_a.jpg"), gate).ok


def test_enrol_then_identify_and_reject_a_stranger(tmp_path: Path, engine: FaceEngine) -> None:
    gallery = Gallery(tmp_path / "g.db")
    for person in ("obama", "biden"):
        enroll_employee(engine, gallery, person, person.title(), [("a", photo(f"{person}_a.jpg"))])
    backend = LocalBackend(gallery)

    def who(name: str) -> str | None:
        img = photo(name)
        verdict = engine.gate(img, GateConfig())
        assert verdict.ok and verdict.face is not None, verdict.reason
        return backend.identify(engine.embed(img, verdict.face)).employee_id

    assert who("obama_b.jpg") == "obama"
    assert who("biden_b.jpg") == "biden"
    assert who("elon_musk_a.jpg") is None
    with pytest.raises(EnrollmentError, match="group: 2 faces found"):
        enroll_employee(engine, gallery, "kit", "Kit", [("group", photo("multi_kit_rose.jpg"))])
    assert gallery.remove("obama") and not gallery.remove("obama")
    assert [e.employee_id for e in gallery.employees()] == ["biden"]
    assert who("obama_b.jpg") is None  # removal deletes the face data, and search sees it


def test_employee_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models": [{"name": "m", "source": "yolo11n.pt"}],
                                   "api": {"enabled": True},
                                   "storage": {"path": str(tmp_path / "e.db")}}))
    run = CliRunner().invoke
    res = run(cli, ["employee", "enroll", "--id", "E1", "--name", "Barack", "-c", str(cfg),
                    str(FACES / "obama_a.jpg"), str(FACES / "obama_b.jpg")])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "enrolled E1: 2 face(s) added, 2 in the gallery"
    res = run(cli, ["employee", "enroll", "--id", "E2", "--name", "Two", "-c", str(cfg),
                    str(FACES / "multi_two_people.jpg")])
    assert res.exit_code == 1 and "2 faces found" in res.output
    res = run(cli, ["employee", "list", "-c", str(cfg)])
    assert res.output.startswith("E1") and "2 face(s)" in res.output
    assert run(cli, ["employee", "remove", "E1", "-c", str(cfg)]).exit_code == 0
    assert run(cli, ["employee", "remove", "E1", "-c", str(cfg)]).exit_code == 1
    assert "no employees enrolled" in run(cli, ["employee", "list", "-c", str(cfg)]).output


def b64(img: np.ndarray) -> str:
    return base64.b64encode(cv2.imencode(".jpg", img)[1].tobytes()).decode()


def test_enroll_route_auth_and_face_checks(tmp_path: Path, engine: FaceEngine) -> None:
    gallery = Gallery(tmp_path / "api.db")
    services = ApiServices(site=SiteOccupancy(), reader=StoreReader(tmp_path / "api.db"),
                           api_token="s3cret",
                           enroll=lambda i, n, img: enroll_employee(engine, gallery, i, n,
                                                                    [("frame", img)]))
    client = TestClient(create_app(services))
    body = {"employee_id": "E7", "employee_name": "Joe", "frame": b64(photo("biden_a.jpg"))}
    missing = client.post("/api/enroll-employee", json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/enroll-employee", json=body,
                        headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "missing or wrong bearer token"
    right = client.post("/api/enroll-employee", json=body,
                        headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200, right.text
    assert right.json() == {"success": True, "employee_id": "E7",
                            "message": "Employee Joe enrolled (1 face(s) on file)"}
    assert [e.employee_id for e in gallery.employees()] == ["E7"]
    for name, reason in (("multi_obama_biden.jpg", "faces found; need exactly one"),):
        r = client.post("/api/enroll-employee", headers={"Authorization": "Bearer s3cret"},
                        json={**body, "employee_id": "E8", "frame": b64(photo(name))})
        assert r.status_code == 400 and reason in r.json()["error"]
    blank = b64(np.full((300, 300, 3), 200, np.uint8))
    r = client.post("/api/enroll-employee", headers={"Authorization": "Bearer s3cret"},
                    json={**body, "employee_id": "E9", "frame": blank})
    assert r.status_code == 400 and r.json()["error"] == "not enrolled: frame: no face found"


def test_enroll_route_is_closed_without_a_configured_token(tmp_path: Path) -> None:
    services = ApiServices(site=SiteOccupancy(), reader=StoreReader(tmp_path / "x.db"))
    r = TestClient(create_app(services)).post("/api/enroll-employee", json={})
    assert r.status_code == 403 and "no API token configured" in r.json()["error"]


def scene(engine: FaceEngine, name: str) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 640x480 frame with the person's head (face about 80 px) where a person box's top is."""
    img = photo(name)
    (face,) = engine.find(img)
    size = face.bottom - face.top
    y0, x0 = max(0, face.top - size), max(0, face.left - size // 2)
    head = img[y0:face.bottom + size // 2, x0:face.right + size // 2]
    head = cv2.resize(head, None, fx=80 / size, fy=80 / size)
    frame = np.full((480, 640, 3), 60, np.uint8)
    h, w = min(head.shape[0], 200), min(head.shape[1], 200)
    frame[40:40 + h, 220:220 + w] = head[:h, :w]
    return frame, (220, 40, 220 + w, 470)


def test_process_route_names_the_person_once_then_serves_the_cache(
        tmp_path: Path, engine: FaceEngine) -> None:
    import supervision as sv

    from edge.config.models import Settings
    from edge.identity.build import build_identity_service
    from edge.pipeline.loop import ModelRoute
    from edge.pipeline.single import SingleFrameProcessor
    from edge.store.writer import StoreWriter

    settings = Settings.model_validate({
        "models": [{"name": "m", "source": "unused.pt"}], "api": {"enabled": True},
        "identity": {"enabled": True, "min_track_frames": 1},
        "storage": {"path": str(tmp_path / "i.db")}})
    writer = StoreWriter(settings.storage.path, "s", flush_interval_ms=20)
    writer.start()
    gallery = Gallery(settings.storage.path, run_write=writer.call)
    enroll_employee(engine, gallery, "E1", "Barack", [("a", photo("obama_a.jpg"))])
    frames = [scene(engine, "obama_b.jpg"), scene(engine, "elon_musk_a.jpg")]

    class Boxes:
        name = "scripted"
        refines_near = False  # no refiner: the loop passes no lines

        def __init__(self, box: tuple[int, int, int, int]) -> None:
            self.box = box

        def predict(self, images: list[np.ndarray]) -> list[sv.Detections]:
            return [sv.Detections(xyxy=np.array([self.box], np.float32),
                                  confidence=np.array([0.9], np.float32),
                                  class_id=np.array([0]))]

    service = build_identity_service(settings, writer.submit_many, gallery)
    service.start()
    detector = Boxes(frames[0][1])
    processor = SingleFrameProcessor([ModelRoute(detector)], {}, settings.tracking,  # type: ignore[list-item]
                                     SiteOccupancy(), writer.submit_many, writer.flush,
                                     services=[service])
    client = TestClient(create_app(ApiServices(
        site=SiteOccupancy(), reader=StoreReader(settings.storage.path), processor=processor,
        writer_alive=lambda: True, inference_alive=lambda: True, answer_wait_s=10)))
    def post(image: np.ndarray, camera: str = "api") -> dict:
        return client.post("/api/process", json={"frame": b64(image), "camera_id": camera}).json()

    try:
        # The tracker confirms a new track on its second frame; until then there is no
        # track id to remember a face by.
        assert post(frames[0][0])["faces_recognized"] == []
        first, second = post(frames[0][0]), post(frames[0][0])
        detector.box = frames[1][1]
        post(frames[1][0], "side")
        stranger = post(frames[1][0], "side")
    finally:
        service.stop()
        writer.stop()
    (face,) = first["faces_recognized"]
    assert (face["name"], face["source"], face["details"]["employee_id"]) == (
        "Barack", "local", "E1")
    assert first["performance"]["face_processing_ms"] > 0
    assert second["faces_recognized"][0]["source"] == "cache"
    assert second["faces_recognized"][0]["track_id"] == face["track_id"]
    (unknown,) = stranger["faces_recognized"]
    assert (unknown["name"], unknown["source"]) == ("Unknown", "no_match")
    rows = StoreReader(settings.storage.path).rows(
        "SELECT employee_id, source FROM identity_events ORDER BY id")
    assert rows == [{"employee_id": "E1", "source": "local"},
                    {"employee_id": None, "source": "no_match"}]
