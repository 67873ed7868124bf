"""edge db stats|export|vacuum and edge doctor."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml
from typer.testing import CliRunner

from edge.cli.main import app
from edge.events import Crossing
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
    assert "schema v4" in stats
    assert "line_crossings               2  2026-11-01T00:00:00 .. 2026-11-20T00:00:00" in stats
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


def test_doctor_reports_each_check_and_fails_on_a_missing_model(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["doctor", "--skip-cameras", "-c", config(tmp_path)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0].startswith("OK   config:")
    assert any(ln.startswith("OK   python:") for ln in lines)
    assert any(ln.startswith("FAIL model m: ") for ln in lines)
    assert any(ln.startswith("OK   disk:") for ln in lines)
    assert any(ln.startswith("OK   sync: not enabled") for ln in lines)
