"""``edge zone add|list|remove``: comment-keeping edits, refusals that leave the file
byte-identical, and a listing (text or JSON) with the last 24 hours' events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.cli.main import app
from edge.cli.zone import parse_point
from edge.config import load_settings
from edge.events import ZoneEvent
from edge.store.direct import direct_writer
from edge.store.tables import insert

CONFIG = """\
# Plant config: keep this comment
models:
  - name: m
    source: yolo11n.pt
cameras:
  # the PETS walkway
  - id: pets
    url: pets.mp4
  - id: gate
    url: gate.mp4
storage:
  path: {db}
"""
PLAZA = ["--point", "0,288", "--point", "768,288", "--point", "768,576", "--point", "0,576"]


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "cameras.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "edge.db"))
    return path


def test_add_list_remove_keep_comments_and_say_how_to_apply(cfg: Path) -> None:
    c = str(cfg)
    r = run("zone", "add", "--camera", "pets", "--id", "plaza", *PLAZA, "--dwell-s", "10",
            "-c", c)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("added zone plaza to pets;") and "SIGHUP" not in r.output
    assert "reload" in r.output and "kill -HUP" in r.output
    r = run("zone", "add", "--camera", "pets", "--id", "press-3", "--point", "400,300",
            "--point", "620,300", "--point", "620,560", "--restricted", "--classes",
            "person,truck", "--anchor", "center", "-c", c)
    assert r.exit_code == 0, r.output
    text = cfg.read_text()
    assert "# Plant config: keep this comment" in text and "# the PETS walkway" in text
    assert "polygon: [[0, 288], [768, 288], [768, 576], [0, 576]]" in text
    assert "dwell_s: 10\n" in text and "classes: [person, truck]" in text
    zones = load_settings(cfg).camera("pets").zones
    assert [(z.id, z.dwell_s, z.restricted, z.anchor) for z in zones] == [
        ("plaza", 10, False, "bottom_center"), ("press-3", None, True, "center")]
    assert zones[1].classes == ["person", "truck"]

    listing = run("zone", "list", "-c", c)
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split()[:3] == ["pets", "plaza", "4"] and "dwell 10s" in lines[0]
    assert "restricted" in lines[1] and "person,truck" in lines[1]
    assert all(ln.endswith("no database") for ln in lines)

    r = run("zone", "remove", "--camera", "pets", "--id", "plaza", "-c", c)
    assert r.exit_code == 0 and r.output.startswith("removed zone plaza from pets;")
    assert [z.id for z in load_settings(cfg).camera("pets").zones] == ["press-3"]
    assert run("zone", "remove", "--camera", "pets", "--id", "press-3", "-c", c).exit_code == 0
    assert "zones" not in cfg.read_text()  # the last one takes the empty key with it
    assert run("zone", "list", "-c", c).output == "no zones\n"
    assert "# the PETS walkway" in cfg.read_text()


def test_json_listing_is_only_json_and_counts_the_last_24_hours(cfg: Path,
                                                                tmp_path: Path) -> None:
    c = str(cfg)
    assert run("zone", "add", "--camera", "pets", "--id", "plaza", *PLAZA, "--dwell-s", "2.5",
               "--restricted", "-c", c).exit_code == 0
    assert run("zone", "add", "--camera", "gate", "--id", "kerb", "--point", "0,0",
               "--point", "10,0", "--point", "10,10", "-c", c).exit_code == 0
    now = datetime.now(timezone.utc)

    def event(kind: str, age_h: float, zone: str = "plaza") -> ZoneEvent:
        ts = now - timedelta(hours=age_h)
        return ZoneEvent(camera_id="pets", ts=ts, zone_id=zone, tracker_id=1,
                         class_name="person", event=kind, entered_at=ts,  # type: ignore[arg-type]
                         dwell_s=3.0)

    write = direct_writer(tmp_path / "edge.db")
    events = [event("dwell", 1), event("dwell", 2), event("restricted_entry", 3),
              event("dwell", 30), event("dwell", 1, zone="elsewhere")]
    write(lambda conn: [insert(conn, "s", e) for e in events])

    r = run("zone", "list", "--json", "-c", c)
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [(z["camera_id"], z["id"]) for z in rows] == [("pets", "plaza"), ("gate", "kerb")]
    plaza = rows[0]
    assert plaza["polygon"] == [[0, 288], [768, 288], [768, 576], [0, 576]]
    assert plaza["dwell_s"] == 2.5 and plaza["restricted"] is True
    assert plaza["classes"] == ["person"] and plaza["anchor"] == "bottom_center"
    assert plaza["events_24h"] == {"dwell": 2, "restricted_entry": 1}  # the 30 h one is out
    assert rows[1]["events_24h"] == {"dwell": 0, "restricted_entry": 0}
    one = json.loads(run("zone", "list", "--camera", "gate", "--json", "-c", c).stdout)
    assert [z["id"] for z in one] == ["kerb"]
    text = run("zone", "list", "--camera", "pets", "-c", c).output
    assert "24h: 2 dwell, 1 restricted_entry" in text


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--camera", "nope", "--id", "z", *PLAZA], 1, "no camera with id 'nope'"),
    (["--camera", "pets", "--id", "plaza", *PLAZA], 1, "already has a zone 'plaza'"),
    (["--camera", "pets", "--id", "z", "--point", "0,0", "--point", "9,9"], 2,
     "at least 3 --point corners, got 2"),
    (["--camera", "pets", "--id", "z", "--point", "0,0", "--point", "9", "--point", "3,3"], 2,
     "--point '9': expected X,Y"),
    (["--camera", "pets", "--id", "z", "--point", "0,0", "--point", "a,b", "--point", "3,3"],
     2, "--point 'a,b'"),
    (["--camera", "pets", "--id", "z", "--point", "0,0", "--point", "5,0", "--point", "9,0"],
     1, "zones[1].polygon: polygon has no area"),
    (["--camera", "pets", "--id", "z", "--point", "-1,0", "--point", "5,0", "--point", "9,9"],
     1, "coordinates must not be negative"),
    (["--camera", "pets", "--id", "bad id", *PLAZA], 1, "zones[1].id: String should match"),
    (["--camera", "pets", "--id", "z", *PLAZA, "--classes", "person,dragon"], 2,
     "unknown class(es) ['dragon']"),
    (["--camera", "pets", "--id", "z", *PLAZA, "--dwell-s", "0"], 1,
     "zones[1].dwell_s: Input should be greater than 0"),
    (["--camera", "pets", "--id", "z", *PLAZA, "--anchor", "feet"], 2, "--anchor 'feet'"),
])
def test_bad_input_is_named_and_leaves_the_file_byte_identical(
        cfg: Path, args: list[str], code: int, message: str) -> None:
    c = str(cfg)
    assert run("zone", "add", "--camera", "pets", "--id", "plaza", *PLAZA, "-c", c
               ).exit_code == 0
    before = cfg.read_bytes()
    r = run("zone", "add", *args, "-c", c)
    assert r.exit_code == code, r.output
    assert message in r.output and r.output.startswith("edge: not changed: ")
    assert cfg.read_bytes() == before
    assert not [p for p in cfg.parent.iterdir() if p.name.startswith(".cameras.yaml.")]


def test_remove_and_list_refusals(cfg: Path) -> None:
    c = str(cfg)
    before = cfg.read_bytes()
    r = run("zone", "remove", "--camera", "pets", "--id", "nope", "-c", c)
    assert r.exit_code == 1 and "no zone with id 'nope'" in r.output
    r = run("zone", "remove", "--camera", "nope", "--id", "plaza", "-c", c)
    assert r.exit_code == 1 and "no camera with id 'nope'" in r.output
    r = run("zone", "list", "--camera", "nope", "-c", c)
    assert r.exit_code == 1 and "no camera with id 'nope'" in r.output
    assert cfg.read_bytes() == before
    missing = run("zone", "list", "-c", str(cfg.parent / "absent.yaml"))
    assert missing.exit_code == 1


def test_parse_point() -> None:
    assert parse_point("768, 288") == [768, 288]
    for bad in ("768", "1,2,3", "x,1", "1.5,2", ""):
        with pytest.raises(ValueError, match="expected X,Y"):
            parse_point(bad)
