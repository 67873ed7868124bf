"""The operator console in a real browser (Playwright + Debian's chromium) against a real
daemon: PETS through the person model, a car clip through the vehicle model and ANPR.

Every page's screenshot is saved under var/screenshots/ (the README shows three).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from edge.app import App, RunOptions
from edge.config import load_settings
from edge.events import AttendanceMarked
from tests.browser_support import launch_browser
from tests.conftest import MODELS, ROOT, SHARED_DATA, require
from tests.integration.test_anpr_clip import make_clip

TOKEN = "console-test-token-0123456789"
SHOTS = ROOT / "var" / "screenshots"
PLATE = "WA56660"

pytestmark = pytest.mark.integration


def wait_until(check: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, pets_video: Path
           ) -> Iterator[tuple[App, Path, str]]:
    tmp = tmp_path_factory.mktemp("console")
    photo = require(SHARED_DATA / "anpr" / "openalpr" / "eu" / "eu10.jpg",
                    "../shared/data/anpr is missing")
    make_clip(photo, tmp / "gate.avi")
    cfg = tmp / "cameras.yaml"
    cfg.write_text(f"""# console test: comments must survive edits
site: {{id: console-test, name: Console test}}
models_dir: {MODELS}
models:
  - name: person   # people on PETS
    source: person-yolov8s.pt
    classes: {{Normal: person, Fall: person}}
    cameras: [pets]
  - name: vehicle
    source: vehicle-yolo11n-seg.pt
    classes: {{bick: motorcycle, bus: bus, car: car, lorry: truck, tuktuk: car, van: car}}
    confidence: 0.3
    cameras: [gate]
cameras:
  - id: pets
    name: PETS walkway
    url: {pets_video}
  - id: gate
    name: Gate
    url: {tmp / 'gate.avi'}
anpr:
  enabled: true
  region: none
  track_gone_s: 1
  store_plate_crops: true
  plate_crops_dir: {tmp / 'plates'}
storage:
  path: {tmp / 'console.db'}
metrics:
  enabled: false
api:
  token_env: EDGE_CONSOLE_TEST_TOKEN
ui:
  enabled: true
  port: 0
""")
    mp = pytest.MonkeyPatch()
    mp.setenv("EDGE_CONSOLE_TEST_TOKEN", TOKEN)
    require(MODELS / "vehicle-yolo11n-seg.pt", "run `make models`")
    app = App(load_settings(cfg), RunOptions(), config_path=cfg)
    app.start()
    assert app.console is not None
    yield app, cfg, f"http://127.0.0.1:{app.console.port}"
    app.stop()
    mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, daemon: tuple[App, Path, str]) -> Iterator[Page]:
    context = browser.new_context(base_url=daemon[2], viewport={"width": 1360, "height": 900},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.on("dialog", lambda d: d.accept())
    yield pg
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page: Page, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("input[name=token]", TOKEN)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"**{next_path}")


def test_live_shows_every_camera_and_the_pictures_change(page: Page) -> None:
    page.goto("/live")
    for cam in ("pets", "gate"):
        page.wait_for_selector(f"#tile-{cam} .pic.has-pic", timeout=30_000)
        assert page.locator(f"#tile-{cam} img").evaluate("el => el.naturalWidth") > 0
    # the picture changes: new frames keep arriving, several a second while visible
    seqs = set()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.0:
        seqs.add(page.locator("#tile-pets img").get_attribute("data-seq"))
        time.sleep(0.05)
    assert len(seqs - {None, ""}) >= 3, seqs
    page.wait_for_selector("#cap-pets .badge.up", timeout=10_000)
    shot(page, "live")


def test_a_change_needs_the_login_and_the_csrf_token(daemon: tuple[App, Path, str]) -> None:
    _app, cfg, base = daemon
    before = cfg.read_bytes()
    form = {"id": "sneaky", "x1": "10", "y1": "10", "x2": "200", "y2": "10"}
    with httpx.Client(base_url=base) as anon:
        r = anon.post("/cameras/pets/lines", data=form)
        assert r.status_code == 401 and "log in to make changes" in r.text
    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = client.post("/login", data={"token": TOKEN, "csrf": csrf, "next": "/live"})
        assert r.status_code == 303, r.text
        r = client.post("/cameras/pets/lines", data=form)  # logged in, no CSRF token
        assert r.status_code == 403 and "CSRF" in r.text
        r = client.post("/cameras/pets/lines", data={**form, "csrf": "forged"})
        assert r.status_code == 403
    with httpx.Client(base_url=base) as other:
        r = other.post("/login", data={"token": TOKEN, "csrf": "x", "next": "/live"})
        assert r.status_code == 403  # the login form has its own CSRF cookie
    assert cfg.read_bytes() == before


def test_a_line_drawn_by_clicking_is_saved_and_counts_at_once(
        page: Page, daemon: tuple[App, Path, str]) -> None:
    app, cfg, _base = daemon
    login(page, "/cameras/pets")
    # wait_for_selector, not wait_for_function: the console's CSP forbids the eval that
    # Playwright's polling predicates need.
    page.wait_for_selector(".stage.has-pic", timeout=20_000)
    page.click("#new-line")
    box = page.locator("#overlay").bounding_box()
    assert box is not None
    # a vertical line through the middle of PETS (768x576), drawn bottom to top
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.98)
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.02)
    assert abs(int(page.input_value("input[name=x1]")) - 384) <= 3
    page.fill("input[name=id]", "middle")
    page.check("input[name=in_side][value=right]")
    shot(page, "camera-editor")
    page.click("button:has-text('Save line')")
    page.wait_for_selector(".flash.ok:has-text('applied live')")
    text = cfg.read_text()
    assert "- id: middle" in text and "# console test: comments must survive edits" in text
    assert [ln.id for ln in load_settings(cfg).camera("pets").lines] == ["middle"]
    counts = wait_until(lambda: sum(app.loop.pipelines["pets"].line_counts().get(  # type: ignore[union-attr]
        "middle", (0, 0))), 90, "a person crossing the new line")
    assert counts
    page.reload()
    page.wait_for_selector("#line-list button[data-select=middle]")
    shot(page, "camera")


def test_a_zone_drawn_by_clicking_is_saved_and_raises_events(
        page: Page, daemon: tuple[App, Path, str]) -> None:
    app, cfg, _base = daemon
    # the editor's coordinates are the camera's pixels once its size is known
    wait_until(lambda: app.cameras["pets"].health.width, 30, "the first PETS frame")
    login(page, "/cameras/pets")
    page.wait_for_selector(".stage.has-pic", timeout=20_000)
    assert page.get_attribute("#zone-overlay", "viewBox") == "0 0 768 576"
    page.click("#new-zone")
    box = page.locator("#zone-overlay").bounding_box()
    assert box is not None

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy

    # the lower half of PETS (768x576), where most walkers are; a double-click closes it
    for fx, fy in ((0.01, 0.5), (0.99, 0.5), (0.99, 0.99)):
        page.mouse.click(*at(fx, fy))
    page.mouse.dblclick(*at(0.01, 0.99))
    corners = [[int(v) for v in p.split(",")]
               for p in page.input_value("textarea[name=points]").split()]
    assert len(corners) == 4, corners
    assert abs(corners[1][0] - 760) <= 6 and abs(corners[1][1] - 288) <= 4, corners
    assert page.is_disabled("#zone-close")  # drawing finished
    page.fill("input[name=zone_id]", "plaza")
    page.fill("input[name=dwell_s]", "1")
    page.check("input[name=restricted]")
    shot(page, "camera-zone-editor")
    page.click("button:has-text('Save zone')")
    page.wait_for_selector(".flash.ok:has-text('added zone plaza to pets')")
    text = cfg.read_text()
    assert "- id: plaza" in text and "# console test: comments must survive edits" in text
    (zone,) = load_settings(cfg).camera("pets").zones
    assert zone.restricted and zone.dwell_s == 1 and len(zone.polygon) == 4

    def stored() -> list[tuple[str, str]]:
        with sqlite3.connect(app.settings.storage.path) as conn:
            return conn.execute("SELECT zone_id, event FROM zone_events").fetchall()

    events = wait_until(stored, 90, "a dwell event in the new zone")
    assert {zone_id for zone_id, _ in events} == {"plaza"}  # type: ignore[attr-defined]
    page.reload()
    page.wait_for_selector("#zone-table tr[data-zone=plaza]")
    shot(page, "camera-zones")


def test_an_invalid_line_shows_the_validator_message_and_changes_nothing(
        page: Page, daemon: tuple[App, Path, str]) -> None:
    _app, cfg, _base = daemon
    before = cfg.read_bytes()
    login(page, "/cameras/pets")
    page.click("#new-line")
    box = page.locator("#overlay").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 50, box["y"] + 50)
    page.mouse.click(box["x"] + 300, box["y"] + 60)
    page.fill("input[name=id]", "bad id!")
    page.click("button:has-text('Save line')")
    error = page.locator("label:has(input[name=id]) .field-error")
    assert "should match pattern" in error.inner_text()
    assert cfg.read_bytes() == before


def test_attendance_shows_a_seeded_record_and_exports_csv(
        page: Page, daemon: tuple[App, Path, str]) -> None:
    app, _cfg, _base = daemon
    now = datetime.now(timezone.utc)
    app.writer.call(lambda conn: conn.execute(
        "INSERT OR IGNORE INTO employees (employee_id, name, employee_group, created_at) "
        "VALUES ('E042', 'Asha Rao', 'day', ?)", (now.isoformat(),)))
    app.writer.submit_many([AttendanceMarked(
        camera_id="pets", record_id="E042-today", employee_id="E042",
        work_date=now.date().isoformat(), action="check_in", check_in_time=now,
        check_out_time=None, status="LATE", grace_period_used=True,
        aws_face_confidence=97.5, tracker_id=12)])
    app.writer.flush()
    page.goto(f"/attendance?date={now.date().isoformat()}")
    row = page.locator("tr:has-text('Asha Rao')")
    assert "LATE" in row.inner_text() and "yes" in row.inner_text()
    shot(page, "attendance")
    with page.expect_download() as dl:
        page.click("#csv")
    body = Path(dl.value.path()).read_text()
    assert body.splitlines()[0].startswith("work_date,employee_id,name")
    assert "E042,Asha Rao,day,LATE" in body


def test_enrol_by_upload_then_remove(page: Page) -> None:
    photo = require(SHARED_DATA / "faces" / "images" / "obama_a.jpg", "shared faces missing")
    login(page, "/people")
    page.fill("#enrol-form input[name=employee_id]", "E777")
    page.fill("#enrol-form input[name=name]", "Barack Test")
    page.set_input_files("#enrol-form input[name=photos]", [str(photo)])
    page.click("button:has-text('Check photos')")
    assert "accepted" in page.locator("ul.verdicts li.ok").inner_text()
    assert page.locator("tr[data-employee=E777]").count() == 0  # nothing stored yet
    page.click("button:has-text('Enrol Barack Test')")
    page.wait_for_selector("tr[data-employee=E777]")
    shot(page, "people")
    page.click("tr[data-employee=E777] button:has-text('Remove')")
    page.wait_for_selector(".flash.ok:has-text('removed E777')")
    assert page.locator("tr[data-employee=E777]").count() == 0


def test_deny_from_the_vehicles_page_applies_to_the_next_read(
        page: Page, daemon: tuple[App, Path, str]) -> None:
    app, _cfg, _base = daemon
    db = app.settings.storage.path

    def rows() -> list[tuple[int, str, str]]:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT id, plate_number, status FROM vehicle_logs "
                                "WHERE plate_number = ? ORDER BY id", (PLATE,)).fetchall()

    first = wait_until(rows, 120, f"a vehicle with plate {PLATE}")
    assert first[0][2] == "unknown"  # type: ignore[index]
    login(page, "/vehicles")
    page.click(f"tr[data-plate={PLATE}] >> nth=0 >> button:has-text('Deny')")
    page.wait_for_selector(f".flash.ok:has-text('{PLATE}: on the deny list')")
    last_id = rows()[-1][0]
    later = wait_until(lambda: [r for r in rows() if r[0] > last_id and r[2] != "unknown"],
                       120, "the next read of the plate")
    assert later[0][2] == "denied", later  # type: ignore[index]
    page.reload()
    assert page.locator(f"tr[data-plate={PLATE}] .badge.denied").count() >= 1
    shot(page, "vehicles")


def test_every_page_renders_for_a_screenshot(page: Page) -> None:
    login(page, "/occupancy")
    page.wait_for_selector("#hourly[data-ready='1']", timeout=10_000)
    shot(page, "occupancy")
    page.goto("/health")
    page.wait_for_selector("text=Cameras")
    shot(page, "health")
    page.goto("/cameras")
    shot(page, "cameras")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, portrait
    page.goto("/live")
    page.wait_for_selector("#tile-pets .pic.has-pic", timeout=20_000)
    shot(page, "live-tablet")
