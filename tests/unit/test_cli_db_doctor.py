"""edge db stats|export|vacuum and edge doctor."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge.cli import doctor
from edge.cli.main import app
from edge.events import Crossing
from edge.store.schema import MIGRATIONS
from edge.store.writer import StoreWriter


def config(tmp_path: Path, **extra: object) -> str:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models": [{"name": "m", "source": "missing-model.pt"}],
                                   "api": {"enabled": True},
                                   "storage": {"path": str(tmp_path / "d.db")}, **extra}))
    return str(cfg)


def test_db_stats_export_and_vacuum(tmp_path: Path) -> None:
    c = config(tmp_path)
    run = CliRunner().invoke
    assert "no database yet" in run(app, ["db", "stats", "-c", c]).output
    w = StoreWriter(tmp_path / "d.db", "s")
    w.start()
    for day in (1, 20):
        w.submit(Crossing(camera_id="door", ts=datetime(2026, 11, day, tzinfo=timezone.utc),
                          line_id="l", tracker_id=day, class_name="person",
                          direction="entry"))
    w.stop()
    stats = run(app, ["db", "stats", "-c", c]).output
    assert f"schema v{len(MIGRATIONS)}" in stats
    assert "line_crossings                   2  2026-11-01T00:00:00 .. 2026-11-20T00:00:00" \
        in stats
    assert "occupancy_reset_requests         0" in stats
    out = run(app, ["db", "export", "--table", "line_crossings", "--since", "2026-11-10",
                    "--format", "json", "-c", c]).output
    rows = json.loads(out)
    assert [r["track_id"] for r in rows] == [20]
    csv_file = tmp_path / "x.csv"
    res = run(app, ["db", "export", "--table", "line_crossings", "-o", str(csv_file), "-c", c])
    assert res.output == f"wrote 2 row(s) of line_crossings to {csv_file}\n"
    assert csv_file.read_text().splitlines()[0].startswith("id,event_id,site,camera_id")
    bad = run(app, ["db", "export", "--table", "face_embeddings", "-c", c])
    assert bad.exit_code == 2 and "must be one of" in bad.output
    bad = run(app, ["db", "export", "--table", "line_crossings", "--since", "soon", "-c", c])
    assert bad.exit_code == 2 and "not an ISO date" in bad.output
    assert run(app, ["db", "vacuum", "-c", c]).exit_code == 0
    assert len(json.loads(run(app, ["db", "export", "--table", "line_crossings", "--format",
                                    "json", "-c", c]).output)) == 2  # nothing lost


def test_export_since_with_a_zone_and_an_empty_csv_has_its_header(tmp_path: Path) -> None:
    c = config(tmp_path)
    w = StoreWriter(tmp_path / "d.db", "s")
    w.start()
    for hour in (1, 6):
        w.submit(Crossing(camera_id="door", ts=datetime(2026, 11, 10, hour, tzinfo=timezone.utc),
                          line_id="l", tracker_id=hour, class_name="person",
                          direction="entry"))
    w.stop()
    run = CliRunner().invoke

    def since(text: str) -> list[int]:
        res = run(app, ["db", "export", "--table", "line_crossings", "--since", text,
                        "--format", "json", "-c", c])
        assert res.exit_code == 0, res.output
        return [r["track_id"] for r in json.loads(res.output)]

    assert since("2026-11-10T08:30:00+05:30") == [6]  # 03:00 UTC
    assert since("2026-11-10T03:00:00Z") == [6]
    assert since("2026-11-10T01:00:00") == [1, 6]  # no zone: UTC
    assert since("2026-11-11") == []
    empty = run(app, ["db", "export", "--table", "plate_reads", "-c", c])
    assert empty.exit_code == 0 and empty.output.startswith("id,event_id,site,camera_id")
    bad = run(app, ["db", "export", "--table", "line_crossings", "--format", "xml", "-c", c])
    assert bad.exit_code == 2 and "csv or json" in bad.output


def test_vacuum_steps_while_others_write_but_full_waits_for_the_daemon(tmp_path: Path) -> None:
    c = config(tmp_path)
    db = tmp_path / "d.db"
    w = StoreWriter(db, "s")
    w.start()
    for i in range(500):
        w.submit(Crossing(camera_id="door", ts=datetime(2020, 1, 1, tzinfo=timezone.utc),
                          line_id="x" * 300, tracker_id=i, class_name="person",
                          direction="entry"))
    w.flush()
    w.call(lambda conn: conn.execute("DELETE FROM line_crossings WHERE track_id < 400"))
    free = w.call(lambda conn: conn.execute("PRAGMA freelist_count").fetchone()[0])
    assert free > 0
    run = CliRunner().invoke
    res = run(app, ["db", "vacuum", "-c", c])  # the writer (this process) stays open
    assert res.exit_code == 0, res.output
    assert w.call(lambda conn: conn.execute("PRAGMA freelist_count").fetchone()[0]) == 0
    w.submit(Crossing(camera_id="door", line_id="l", tracker_id=9999, class_name="person",
                      direction="entry"))
    w.stop()

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT COUNT(*) FROM line_crossings').fetchone(); print('open', flush=True); "
        "time.sleep(60)"), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        res = run(app, ["db", "vacuum", "--full", "-c", c])
        assert res.exit_code == 1 and f"process(es) {holder.pid} have it open" in res.output
    finally:
        holder.kill()
        holder.wait()
    res = run(app, ["db", "vacuum", "--full", "-c", c])
    assert res.exit_code == 0, res.output
    rows = json.loads(run(app, ["db", "export", "--table", "line_crossings", "--format", "json",
                                "-c", c]).output)
    assert len(rows) == 101  # vacuum never loses a row


def test_vacuum_on_an_old_database_says_how_to_convert_it(tmp_path: Path) -> None:
    c = config(tmp_path)
    conn = sqlite3.connect(tmp_path / "d.db")  # made without auto_vacuum
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    res = CliRunner().invoke(app, ["db", "vacuum", "-c", c])
    assert res.exit_code == 1 and "edge db vacuum --full" in res.output


def test_doctor_reports_each_check_and_fails_on_a_missing_model(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["doctor", "--skip-cameras", "-c", config(tmp_path)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0].startswith("OK   config:")
    assert any(ln.startswith("OK   python:") for ln in lines)
    assert any(ln.startswith("FAIL model m: ") for ln in lines)
    assert any(ln.startswith("OK   disk:") for ln in lines)
    assert any(ln.startswith("OK   sync: not enabled") for ln in lines)


@pytest.mark.parametrize(("kernel", "ok", "says"), [
    ((True, 3.0), True, "kernel says synchronised, max error 3 ms"),
    ((False, 16000.0), False, "kernel says NOT synchronised"),
    (None, False, "cannot tell whether the clock is synchronised"),
])
def test_clock_check_falls_back_to_the_kernel_without_timedatectl(
        monkeypatch: pytest.MonkeyPatch, kernel: tuple[bool, float] | None, ok: bool,
        says: str) -> None:
    monkeypatch.setattr(doctor.shutil, "which", lambda _name: None)
    monkeypatch.setattr(doctor, "kernel_clock_state", lambda: kernel)
    [(name, got_ok, detail)] = doctor._clock()
    assert name == "clock" and got_ok is ok and detail.startswith(says)


def test_the_kernel_clock_state_is_readable_here() -> None:
    state = doctor.kernel_clock_state()
    assert state is not None and isinstance(state[0], bool) and state[1] >= 0
