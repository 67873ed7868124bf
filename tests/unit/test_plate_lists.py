"""Plate allow/deny lists: one write path for CLI and console, applied live by the refresher."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge.anpr.lists import PlateListError, lists_from, put_plate, remove_plate
from edge.anpr.refresh import PlateListRefresher
from edge.anpr.service import AnprService
from edge.cli.main import app
from edge.config.anpr import AnprConfig
from edge.store.direct import direct_writer
from edge.store.queries import StoreReader
from edge.store.writer import StoreWriter


class NoEngine:
    name = "none"

    def read(self, crop: object, height: int | None = None) -> object:
        raise AssertionError("no OCR in these tests")


def service(**cfg: object) -> AnprService:
    return AnprService(AnprConfig(enabled=True, **cfg), NoEngine(),  # type: ignore[arg-type]
                       lambda events: None)


@pytest.mark.parametrize(("typed", "stored"), [
    ("ka-01 ab 1234", "KA01AB1234"),
    ("TG02XY5678", "TG02XY5678"),
    ("b.1", "B1"),
    ("ABCDEF123456", "ABCDEF123456"),
])
def test_put_plate_normalises_and_stores(tmp_path: Path, typed: str, stored: str) -> None:
    db = tmp_path / "p.db"
    assert put_plate(direct_writer(db), typed, "deny", "banned") == stored
    assert [(r["plate"], r["list"], r["note"]) for r in StoreReader(db).plate_lists()] == [
        (stored, "deny", "banned")]


@pytest.mark.parametrize(("plate", "which", "note", "message"), [
    ("!", "allow", "", "'!' is not a plate number \\(2-12 letters and digits"),
    ("A", "allow", "", "'A' is not a plate number"),
    ("ABCDEF1234567", "deny", "", "'ABCDEF1234567' is not a plate number"),
    ("KA01@AB1234", "deny", "", "'KA01@AB1234' is not a plate number"),
    ("KÄ01", "deny", "", "'KÄ01' is not a plate number"),
    ("KA01AB1234", "block", "", "list must be 'allow' or 'deny', not 'block'"),
    ("KA01AB1234", "allow", "x" * 201, "note is 201 characters; at most 200"),
])
def test_put_plate_refuses_with_a_clear_message(tmp_path: Path, plate: str, which: str,
                                                note: str, message: str) -> None:
    db = tmp_path / "p.db"
    with pytest.raises(PlateListError, match=message):
        put_plate(direct_writer(db), plate, which, note)
    assert StoreReader(db).plate_lists() == []


def test_upsert_moves_a_plate_between_lists_and_remove_takes_it_off(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    run = direct_writer(db)
    put_plate(run, "KA01AB1234", "allow", "director")
    first = StoreReader(db).plate_lists()[0]["created_at"]
    put_plate(run, "ka 01 ab 1234", "deny", "left the company")
    put_plate(run, "TG02XY5678", "allow")
    rows = StoreReader(db).plate_lists()
    assert [(r["plate"], r["list"], r["note"]) for r in rows] == [
        ("TG02XY5678", "allow", ""), ("KA01AB1234", "deny", "left the company")]
    assert rows[1]["created_at"] == first
    assert remove_plate(run, "ka-01-ab-1234") == "KA01AB1234"
    with pytest.raises(PlateListError, match=r"^KA01AB1234 is on no list$"):
        remove_plate(run, "KA01AB1234")
    assert [r["plate"] for r in StoreReader(db).plate_lists()] == ["TG02XY5678"]


def test_the_daemon_writes_through_its_store_writer_the_same_way(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "p.db", "s")
    w.start()
    try:
        assert put_plate(w.call, "MH12DE1433", "deny", "console") == "MH12DE1433"
        assert remove_plate(w.call, "MH12DE1433") == "MH12DE1433"
    finally:
        w.stop()
    assert StoreReader(tmp_path / "p.db").plate_lists() == []


def test_lists_from_joins_config_and_table() -> None:
    cfg = AnprConfig(allow=["KA01AB1234"], deny=["TG02XY5678"], fuzzy_distance=0)
    lists = lists_from(cfg, [{"plate": "MH12DE1433", "list": "deny"},
                             {"plate": "DL3CAF0001", "list": "allow"}])
    assert lists.status("KA01AB1234") == "allowed"
    assert lists.status("DL3CAF0001") == "allowed"
    assert lists.status("TG02XY5678") == "denied"
    assert lists.status("MH12DE1433") == "denied"
    assert lists.status("MH12DE1434") == "unknown"  # fuzzy_distance 0


def test_refresher_swaps_the_lists_only_when_the_table_changes(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    run = direct_writer(db)
    svc = service(deny=["TG02XY5678"], fuzzy_distance=0)
    refresher = PlateListRefresher(svc, StoreReader(db))
    assert refresher.check()  # first look: the table may have changed since start
    before = svc.lists
    assert not refresher.check() and svc.lists is before
    put_plate(run, "MH12DE1433", "deny")
    assert svc.lists.status("MH12DE1433") == "unknown"  # not yet: nobody checked
    assert refresher.check()
    assert svc.lists is not before
    assert svc.lists.status("MH12DE1433") == "denied"
    assert svc.lists.status("TG02XY5678") == "denied"  # the config's list stays
    assert not refresher.check()
    put_plate(run, "MH12DE1433", "deny", "only the note changed")
    assert not refresher.check()
    put_plate(run, "MH12DE1433", "allow")
    assert refresher.check() and svc.lists.status("MH12DE1433") == "allowed"
    remove_plate(run, "MH12DE1433")
    assert refresher.check() and svc.lists.status("MH12DE1433") == "unknown"


class BrokenReader(StoreReader):
    def plate_lists(self) -> list:
        raise sqlite3.OperationalError("database disk image is malformed")


def test_a_read_error_keeps_the_lists_in_force(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    svc = service(deny=["TG02XY5678"])
    lists = svc.lists
    refresher = PlateListRefresher(svc, BrokenReader(tmp_path / "p.db"))
    assert not refresher.check() and not refresher.check()
    assert svc.lists is lists
    assert [r.getMessage() for r in caplog.records].count(
        "cannot read plate_lists (database disk image is malformed); keeping the lists in "
        "force") == 1  # once per failure streak, not every second


def test_plates_cli_uses_the_same_path(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models": [{"name": "m", "source": "yolo11n.pt"}],
                                   "api": {"enabled": True},
                                   "storage": {"path": str(tmp_path / "p.db")}}))
    run = CliRunner().invoke
    ok = run(app, ["plates", "deny", "tg-02 xy 5678", "-c", str(cfg)])
    assert ok.exit_code == 0
    assert ok.output == "TG02XY5678: deny (a running daemon applies it within a second)\n"
    assert "when it starts" not in ok.output
    long = run(app, ["plates", "allow", "KA01AB1234", "--note", "n" * 201, "-c", str(cfg)])
    assert long.exit_code == 2 and "note is 201 characters; at most 200" in long.output
    gone = run(app, ["plates", "remove", "TG02XY5678", "-c", str(cfg)])
    assert gone.exit_code == 0 and gone.output.startswith("TG02XY5678: removed")
