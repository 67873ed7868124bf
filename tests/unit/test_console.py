"""The console without a daemon: access rules, CSRF, editors, hostile input, the live view."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import supervision as sv
from fastapi.testclient import TestClient

from edge.capture.slot import Frame
from edge.config import load_settings
from edge.config.ui import UiConfig
from edge.store.direct import direct_writer
from edge.store.queries import StoreReader
from edge.ui.app import create_console
from edge.ui.context import ConsoleContext
from edge.ui.live import LiveView
from edge.ui.pages.cameras import field_errors

TOKEN = "t0ken-for-tests"
CONFIG = """# keep this comment
models:
  - name: person
    source: person.pt
cameras:
  - id: door   # the front door
    url: door.mp4
    lines:
      - id: in
        start: [0, 100]
        end: [200, 100]
"""


class Fake:
    """Records what the console asked the daemon to do."""

    def __init__(self) -> None:
        self.applied: list[Any] = []
        self.resets: list[tuple[str | None, str, str]] = []
        self.plates_changed = 0


def make(tmp_path: Path, host: str = "127.0.0.1", token: str | None = TOKEN
         ) -> tuple[TestClient, Path, Fake, ConsoleContext]:
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text(CONFIG)
    db = tmp_path / "console.db"
    direct_writer(db)(lambda conn: None)  # creates the schema
    fake = Fake()
    state = {"settings": load_settings(cfg)}

    def apply(new: Any) -> list[str]:
        fake.applied.append(new)
        state["settings"] = new
        return ["camera door: lines now ..."]

    def reset(camera: str | None, source: str, note: str) -> list[Any]:
        fake.resets.append((camera, source, note))
        return []

    def plates() -> None:
        fake.plates_changed += 1

    live = LiveView(lambda cid: next((c for c in state["settings"].cameras if c.id == cid),
                                     None))
    ctx = ConsoleContext(
        settings=lambda: state["settings"], config_path=cfg, cameras=dict, live=live,
        reader=StoreReader(db), run_write=direct_writer(db), apply_settings=apply,
        live_counts=dict, site_occupancy=lambda: 0, reset_occupancy=reset,
        plates_changed=plates, token=token)
    app = create_console(ctx, UiConfig(host=host))
    return TestClient(app, follow_redirects=False), cfg, fake, ctx


def login(client: TestClient) -> str:
    """Log in; return the session's CSRF token."""
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post("/login", data={"token": TOKEN, "csrf": csrf, "next": "/live"})
    assert r.status_code == 303, r.text
    return client.get("/cameras/door").text.split('name="csrf" value="')[1].split('"')[0]


LINE = {"id": "exit", "x1": "10", "y1": "150", "x2": "300", "y2": "150", "in_side": "left",
        "classes": ["person"], "counts_occupancy": "on"}


def test_every_page_renders_and_reads_are_open_on_loopback(tmp_path: Path) -> None:
    client, *_ = make(tmp_path)
    for path in ("/live", "/live/tiles", "/cameras", "/cameras/door", "/occupancy",
                 "/occupancy/hourly.json", "/attendance", "/attendance.csv", "/vehicles",
                 "/people", "/health", "/health/panel", "/health.json", "/login"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert "Content-Security-Policy" in r.headers
    assert client.get("/people").headers["cache-control"] == "no-store"
    assert client.get("/nowhere").status_code == 404


def test_every_page_needs_the_login_off_loopback(tmp_path: Path) -> None:
    client, *_ = make(tmp_path, host="0.0.0.0")
    r = client.get("/attendance")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/attendance"
    assert client.get("/attendance.csv").status_code == 401
    assert client.get("/live/door.jpg").status_code == 401
    assert client.get("/static/console.css").status_code == 200
    login(client)
    assert client.get("/attendance").status_code == 200


def test_a_saved_line_keeps_comments_and_is_applied(tmp_path: Path) -> None:
    client, cfg, fake, _ = make(tmp_path)
    csrf = login(client)
    r = client.post("/cameras/door/lines", data={**LINE, "csrf": csrf})
    assert r.status_code == 303, r.text
    assert "applied%20live" in r.headers["location"]
    text = cfg.read_text()
    assert "# keep this comment" in text and "# the front door" in text
    assert [ln.id for ln in load_settings(cfg).camera("door").lines] == ["in", "exit"]
    assert fake.applied and fake.applied[-1].camera("door").lines[1].in_side == "left"
    # move it (replace, keeping the id), then delete it
    r = client.post("/cameras/door/lines", data={**LINE, "x1": "20", "original_id": "exit",
                                                 "csrf": csrf})
    assert r.status_code == 303
    assert load_settings(cfg).camera("door").lines[1].start == (20, 150)
    r = client.post("/cameras/door/lines/delete", data={"line_id": "exit", "csrf": csrf})
    assert r.status_code == 303
    assert [ln.id for ln in load_settings(cfg).camera("door").lines] == ["in"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"id": "bad id!"}, "id", "String should match pattern"),
    ({"x2": "10", "y2": "150"}, "general", "start and end are the same point"),
    ({"in_side": "up"}, "in_side", "Input should be 'left' or 'right'"),
    ({"x1": "ten"}, "start", "x1: not a number: 'ten'"),
    ({"x1": "-5"}, "general", "coordinates must not be negative"),
    ({"id": "in"}, "general", "already has a line 'in'"),
    ({"classes": ["person", "dragon"]}, "classes", "unknown class(es) ['dragon']"),
])
def test_a_refused_line_shows_the_message_and_leaves_the_file_alone(
        tmp_path: Path, change: dict[str, Any], field: str, message: str) -> None:
    client, cfg, fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    csrf = login(client)
    r = client.post("/cameras/door/lines", data={**LINE, **change, "csrf": csrf})
    assert r.status_code == 422
    assert message in html.unescape(r.text)
    if field == "general":
        assert 'id="err-general"' in r.text
    else:
        assert f'name="{field if field not in ("start",) else "x1"}"' in r.text
    assert cfg.read_bytes() == before and not fake.applied


def test_writes_are_refused_without_login_or_csrf_or_token(tmp_path: Path) -> None:
    client, cfg, fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    for path, form in (("/cameras/door/lines", LINE), ("/occupancy/reset", {"note": "x"}),
                       ("/vehicles/lists", {"plate": "KA01AB1234", "list": "deny"}),
                       ("/people/remove", {"employee_id": "E1"}),
                       ("/cameras/door/roi", {"clear": "1"})):
        assert client.post(path, data=form).status_code == 401, path
    csrf = login(client)
    for path, form in (("/cameras/door/lines", LINE), ("/occupancy/reset", {"note": "x"})):
        assert client.post(path, data=form).status_code == 403
        assert client.post(path, data={**form, "csrf": csrf + "x"}).status_code == 403
    assert cfg.read_bytes() == before and not fake.resets
    r = client.post("/occupancy/reset", data={"csrf": csrf, "note": "shift change"})
    assert r.status_code == 303 and fake.resets == [(None, "console", "shift change")]
    r = client.post("/occupancy/reset", data={"csrf": csrf, "camera_id": "nope"})
    assert r.status_code == 422 and "no camera 'nope'" in html.unescape(r.text)
    (tmp_path / "untokened").mkdir()
    no_token, *_ = make(tmp_path / "untokened", token=None)
    r = no_token.post("/cameras/door/lines", data=LINE)
    assert r.status_code == 403 and "no API token is configured" in r.text


def test_a_wrong_token_is_refused_and_counted(tmp_path: Path) -> None:
    client, *_ = make(tmp_path)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post("/login", data={"token": "nope", "csrf": csrf})
    assert r.status_code == 401 and "wrong token" in r.text
    r = client.post("/login", data={"token": TOKEN, "csrf": csrf, "next": "//evil.example"})
    assert r.headers["location"] == "/live"  # never an open redirect


def test_plate_lists_from_the_console_reach_the_store_and_the_daemon(tmp_path: Path) -> None:
    client, _cfg, fake, ctx = make(tmp_path)
    csrf = login(client)
    r = client.post("/vehicles/lists", data={"plate": "ka 01 ab 1234", "list": "deny",
                                             "csrf": csrf})
    assert r.status_code == 303 and "KA01AB1234" in r.headers["location"]
    assert ctx.reader.rows("SELECT plate, list FROM plate_lists") == [
        {"plate": "KA01AB1234", "list": "deny"}]
    assert fake.plates_changed == 1
    r = client.post("/vehicles/lists", data={"plate": "!!", "list": "deny", "csrf": csrf})
    assert r.status_code == 422


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("nested", {"content": b"[" * 100_000, "headers": {
        "content-type": "application/x-www-form-urlencoded"}}),
    ("nested-json", {"content": b"[" * 100_000 + b"]" * 100_000, "headers": {
        "content-type": "application/json"}}),
    ("huge", {"content": b"id=" + b"x" * 2_000_000, "headers": {
        "content-type": "application/x-www-form-urlencoded"}}),
    ("latin1", {"content": "id=\xe9\xff&x1=\x00".encode("latin-1"), "headers": {
        "content-type": "application/x-www-form-urlencoded"}}),
    ("broken-multipart", {"content": b"--xx\r\nContent-Disposition: form-data\r\n\r\n", "headers": {
        "content-type": "multipart/form-data; boundary=xx"}}),
    ("no-boundary", {"content": b"abc", "headers": {"content-type": "multipart/form-data"}}),
    ("many-fields", {"content": "&".join(f"f{i}=1" for i in range(5000)).encode(), "headers": {
        "content-type": "application/x-www-form-urlencoded"}}),
    ("numbers", {"data": {"x1": "1e999", "y1": "nan", "x2": "-inf", "y2": "9" * 400,
                          "id": "a" * 10_000}}),
]
POSTS = ["/login", "/logout", "/cameras/door/lines", "/cameras/door/lines/delete",
         "/cameras/door/roi", "/occupancy/reset", "/vehicles/lists", "/people/check",
         "/people/enroll", "/people/remove", "/cameras/%00/lines", "/live"]
GETS = ["/attendance?date=" + "9" * 5000, "/attendance?date=2026-02-30",
        "/attendance?status=%ff", "/vehicles?plate=%00%00", "/vehicles?date=x" + "y" * 50,
        "/live/door.jpg?lines=7", "/live/%2e%2e%2fetc.jpg", "/cameras/" + "a" * 5000,
        "/vehicles/../../etc/passwd/plate.jpg", "/login?next=" + "%" * 2000]


@pytest.mark.parametrize("logged_in", [False, True])
def test_hostile_input_never_gets_a_5xx(tmp_path: Path, logged_in: bool) -> None:
    client, cfg, _fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    csrf = login(client) if logged_in else ""
    for path in POSTS:
        for name, kwargs in HOSTILE:
            if "data" in kwargs:
                kwargs = {"data": {**kwargs["data"], "csrf": csrf}}
            r = client.post(path, **kwargs)
            assert r.status_code < 500, (path, name, r.status_code, r.text[:300])
            assert "Traceback" not in r.text
    for path in GETS:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
    assert cfg.read_bytes() == before


def test_field_errors_map_validator_lines_to_fields() -> None:
    got = field_errors("c.yaml: cameras[0].lines[1].start: bad\nc.yaml: cameras[0].roi: x\n"
                       "c.yaml: cameras[0].lines[1]: start and end are the same point")
    assert got == {"start": "bad", "roi": "x", "general": "start and end are the same point"}


def test_live_view_draws_only_when_watched_and_at_a_capped_rate(tmp_path: Path) -> None:
    _client, _cfg, _fake, ctx = make(tmp_path)
    live = LiveView(ctx.camera, fps=2.0)
    image = np.zeros((240, 320, 3), np.uint8)
    dets = sv.Detections(xyxy=np.array([[10, 10, 50, 90]], np.float32),
                         class_id=np.array([0]), tracker_id=np.array([3]))

    def put(seq: int) -> None:
        live.put(Frame("door", image, seq), dets, lambda: {"in": (2, 1)})

    put(1)
    assert live.jpeg("door") is None  # nobody watched: the frame was not even kept
    put(2)
    jpeg, seq = live.jpeg("door")  # type: ignore[misc]
    assert jpeg[:2] == b"\xff\xd8" and seq == 2 and live.encodes == 1
    put(3)
    assert live.jpeg("door")[1] == 2  # type: ignore[index]  # within 1/fps: cached picture
    time.sleep(0.55)
    assert live.jpeg("door")[1] == 3 and live.encodes == 2  # type: ignore[index]
    assert live.jpeg("door")[1] == 3 and live.encodes == 2  # type: ignore[index]  # no new frame
    assert live.jpeg("nope") is None


def test_the_health_page_says_when_a_counting_camera_skips_frames(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from edge.capture.camera import CameraHealth

    client, _, _, ctx = make(tmp_path)
    health = CameraHealth(up=True, frames=900, decode_fps=25.0, last_frame_at=time.monotonic())
    ctx.cameras = lambda: {"door": SimpleNamespace(health=health)}  # type: ignore[assignment,return-value]
    ctx.frame_gaps = lambda: {"door": 3.0}
    door = client.get("/health.json").json()["cameras"][0]
    assert (door["frame_gap"], door["counts_lines"]) == (3.0, True)
    panel = client.get("/health/panel").text
    assert "1 frame in 3.0: lines count less well" in panel  # the rate is not known
    assert "<td>not known</td>" in panel
    health.frame_rate, health.rate_source = 25.0, "stamps"  # 8.3 frames a second: enough
    panel = client.get("/health/panel").text
    assert "1 frame in 3.0 (8.3/s)</td>" in panel and "<td>25.0 fps (its timestamps)</td>" in panel
    assert client.get("/health.json").json()["cameras"][0]["timed_by"] == "its timestamps"
    health.frame_rate = 5.0
    assert "1 frame in 3.0 (1.7/s): lines count less well" in client.get("/health/panel").text
    ctx.frame_gaps = lambda: {"door": 1.0}
    assert "every frame (5.0/s)</td>" in client.get("/health/panel").text
