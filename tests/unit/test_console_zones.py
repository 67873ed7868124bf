"""The camera page's zone editor without a daemon: access rules, CSRF, saving through
``edge.config.edit`` and the reload path, refusals that leave the file byte-identical, the
zones table."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from edge.config import load_settings
from edge.events import ZoneEvent
from edge.store.tables import insert
from edge.ui.zones import parse_points, zone_field_errors
from tests.unit.test_console import HOSTILE, login, make

ZONE = {"zone_id": "plaza", "points": "0,100 200,100 200,200 0,200", "dwell_s": "10",
        "zone_classes": ["person"], "anchor": "bottom_center"}


def test_a_saved_zone_keeps_comments_is_applied_and_can_be_changed_and_deleted(
        tmp_path: Path) -> None:
    client, cfg, fake, _ = make(tmp_path)
    csrf = login(client)
    r = client.post("/cameras/door/zones", data={**ZONE, "restricted": "on", "csrf": csrf})
    assert r.status_code == 303, r.text
    assert "added%20zone%20plaza" in r.headers["location"]
    assert "applied%20live" in r.headers["location"]
    text = cfg.read_text()
    assert "# keep this comment" in text and "# the front door" in text
    assert "polygon: [[0, 100], [200, 100], [200, 200], [0, 200]]" in text
    zone = load_settings(cfg).camera("door").zones[0]
    assert (zone.id, zone.dwell_s, zone.restricted) == ("plaza", 10, True)
    assert fake.applied and fake.applied[-1].camera("door").zones[0].id == "plaza"
    # change it in place: another shape, no dwell, not restricted, trucks too
    r = client.post("/cameras/door/zones", data={
        **ZONE, "original_zone_id": "plaza", "points": "10,10 300,10 300,220", "dwell_s": "",
        "zone_classes": ["person", "truck"], "csrf": csrf})
    assert r.status_code == 303, r.text
    zone = load_settings(cfg).camera("door").zones[0]
    assert zone.polygon == [(10, 10), (300, 10), (300, 220)]
    assert zone.dwell_s is None and not zone.restricted and zone.classes == ["person", "truck"]
    assert "dwell_s" not in cfg.read_text() and "restricted" not in cfg.read_text()
    r = client.post("/cameras/door/zones/delete", data={"zone_id": "plaza", "csrf": csrf})
    assert r.status_code == 303
    assert load_settings(cfg).camera("door").zones == []
    assert "# the front door" in cfg.read_text()


def test_changes_need_the_login_and_the_csrf_token_and_a_token(tmp_path: Path) -> None:
    client, cfg, fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    for path, form in (("/cameras/door/zones", ZONE),
                       ("/cameras/door/zones/delete", {"zone_id": "plaza"})):
        r = client.post(path, data=form)
        assert r.status_code == 401 and "log in to make changes" in r.text, path
    csrf = login(client)
    for path, form in (("/cameras/door/zones", ZONE),
                       ("/cameras/door/zones/delete", {"zone_id": "plaza"})):
        assert client.post(path, data=form).status_code == 403
        r = client.post(path, data={**form, "csrf": csrf + "x"})
        assert r.status_code == 403 and "CSRF" in r.text
    assert cfg.read_bytes() == before and not fake.applied
    (tmp_path / "untokened").mkdir()
    no_token, *_ = make(tmp_path / "untokened", token=None)
    r = no_token.post("/cameras/door/zones", data=ZONE)
    assert r.status_code == 403 and "no API token is configured" in r.text


def test_reads_need_the_login_off_loopback(tmp_path: Path) -> None:
    client, *_ = make(tmp_path, host="0.0.0.0")
    r = client.get("/cameras/door")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/cameras/door"
    assert client.post("/cameras/door/zones", data=ZONE).status_code == 401


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"points": "0,100 200,100 400,100"}, "polygon", "polygon has no area"),
    ({"points": "0,100 200,100"}, "polygon", "a zone needs at least 3 corners, got 2"),
    ({"points": ""}, "polygon", "draw the zone on the picture"),
    ({"points": "0,100 200 0,200"}, "polygon", "points: '200' is not X,Y"),
    ({"points": "0,100 -5,100 0,200"}, "polygon", "coordinates must not be negative"),
    ({"points": "1e999,1 2,2 3,3"}, "polygon", "is not X,Y"),
    ({"zone_id": "bad id!"}, "id", "String should match pattern"),
    ({"dwell_s": "soon"}, "dwell_s", "not a number: 'soon'"),
    ({"dwell_s": "-3"}, "dwell_s", "Input should be greater than 0"),
    ({"dwell_s": "inf"}, "dwell_s", "not a number: 'inf'"),
    ({"zone_classes": ["person", "dragon"]}, "classes", "unknown class(es) ['dragon']"),
    ({"anchor": "feet"}, "anchor", "'feet' is not one of"),
    ({"zone_id": "taken"}, "general", "already has a zone 'taken'"),
    ({"original_zone_id": "gone"}, "general", "no zone with id 'gone'"),
])
def test_a_refused_zone_shows_the_message_and_leaves_the_file_alone(
        tmp_path: Path, change: dict[str, Any], field: str, message: str) -> None:
    client, cfg, fake, _ = make(tmp_path)
    csrf = login(client)
    taken = {**ZONE, "zone_id": "taken", "points": "300,10 400,10 400,90", "csrf": csrf}
    assert client.post("/cameras/door/zones", data=taken).status_code == 303
    before, applied = cfg.read_bytes(), len(fake.applied)
    r = client.post("/cameras/door/zones", data={**ZONE, **change, "csrf": csrf})
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert message in page
    if field == "general":
        assert 'id="zone-err-general"' in r.text
    else:
        # the message stands in the form field's label, and the form keeps what was typed
        assert message in page.split('id="zone-form"')[1]
    if "points" in change:
        assert change["points"] in page.split('name="points"')[1].split("</textarea>")[0]
    assert cfg.read_bytes() == before and len(fake.applied) == applied


def test_deleting_an_unknown_zone_is_refused(tmp_path: Path) -> None:
    client, cfg, _fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    csrf = login(client)
    r = client.post("/cameras/door/zones/delete", data={"zone_id": "nope", "csrf": csrf})
    assert r.status_code == 422 and "no zone with id 'nope'" in html.unescape(r.text)
    r = client.post("/cameras/nope/zones", data={**ZONE, "csrf": csrf})
    assert r.status_code == 404
    assert cfg.read_bytes() == before


def test_the_zones_table_shows_inside_now_and_the_last_24_hours(tmp_path: Path) -> None:
    client, _cfg, _fake, ctx = make(tmp_path)
    csrf = login(client)
    assert client.post("/cameras/door/zones", data={**ZONE, "restricted": "on", "csrf": csrf}
                       ).status_code == 303
    page = client.get("/cameras/door").text
    row = page.split('<tr data-zone="plaza">')[1].split("</tr>")[0]
    assert 'class="inside">—<' in row  # no running step yet
    assert "0 dwell" in row and "restricted" in row
    now = datetime.now(timezone.utc)
    events = [ZoneEvent(camera_id="door", ts=now, zone_id="plaza", tracker_id=t,
                        class_name="person", event=k, entered_at=now, dwell_s=1.0)  # type: ignore[arg-type]
              for t, k in ((1, "dwell"), (2, "dwell"), (2, "restricted_entry"))]
    ctx.run_write(lambda conn: [insert(conn, "s", e) for e in events])
    ctx.zone_counts = lambda: {"door": {"plaza": 3}}
    row = client.get("/cameras/door").text.split('<tr data-zone="plaza">')[1].split("</tr>")[0]
    assert 'class="inside">3<' in row
    assert "2 dwell" in row and "1 restricted entry" in row
    assert '"zones": [{"id": "plaza"' in client.get("/cameras/door").text


@pytest.mark.parametrize("path", ["/cameras/door/zones", "/cameras/door/zones/delete"])
def test_hostile_bodies_never_get_a_5xx(tmp_path: Path, path: str) -> None:
    client, cfg, _fake, _ = make(tmp_path)
    before = cfg.read_bytes()
    csrf = login(client)
    hostile = [*HOSTILE, ("zone-numbers", {"data": {"points": "9" * 3000 + ",1 2,2 3,3",
                                                    "dwell_s": "1e999", "zone_id": "z"}}),
               ("many-points", {"data": {"points": " ".join(["1,1"] * 2000), "zone_id": "z"}})]
    for name, kwargs in hostile:
        if "data" in kwargs:
            kwargs = {"data": {**kwargs["data"], "csrf": csrf}}
        r = client.post(path, **kwargs)
        assert r.status_code < 500, (name, r.status_code, r.text[:300])
        assert "Traceback" not in r.text
    assert cfg.read_bytes() == before


def test_form_helpers() -> None:
    assert parse_points("0,1;2 , 3\n4,5") == ([[0, 1], [2, 3], [4, 5]], None)
    assert zone_field_errors("c.yaml: cameras[0].zones[0].polygon: too few\n"
                             "c.yaml: cameras[0].zones: duplicate zone id 'a'") == {
        "polygon": "too few", "general": "duplicate zone id 'a'"}
