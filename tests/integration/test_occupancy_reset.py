"""Occupancy reset end to end: the daemon runs on real video, `edge occupancy reset` asks it
through the store, the daemon applies it on its loop and stores the event for upstream."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import yaml
from typer.testing import CliRunner

from edge.app import App, RunOptions
from edge.cli.main import app as cli
from edge.config import validate_mapping


def settings_dict(video: Path, db: Path, models_dir: Path) -> dict:
    return {
        "site": {"id": "test-site"},
        "models_dir": str(models_dir),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        "cameras": [{"id": "pets", "url": str(video), "loop": True,
                     "lines": [{"id": "mid", "start": [384, 576], "end": [384, 0],
                                "in_side": "right"}]}],
        "inference": {"batch_size": 1},
        "storage": {"path": str(db), "occupancy_heartbeat_s": 1.0},
        "metrics": {"enabled": False},
        "occupancy": {"request_ttl_s": 30},
    }


def test_cli_reset_reaches_the_running_daemon(tmp_path: Path, pets_video: Path,
                                              person_model: Path) -> None:
    db = tmp_path / "occ.db"
    data = settings_dict(pets_video, db, person_model.parent)
    cfg = tmp_path / "occ.yaml"
    cfg.write_text(yaml.safe_dump(data))
    daemon = App(validate_mapping(data, str(cfg)), RunOptions(pace=True))
    daemon.start()
    try:
        deadline = time.monotonic() + 60
        while "pets" not in daemon.loop.pipelines and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.1)
        assert "pets" in daemon.loop.pipelines, "no frame reached the pipeline"  # type: ignore[union-attr]
        # Give people time to cross the line so there is something to reset (best effort).
        pipe = daemon.loop.pipelines["pets"]  # type: ignore[union-attr]
        until = time.monotonic() + 15
        while pipe.occupancy.value == 0 and time.monotonic() < until:
            time.sleep(0.2)
        res = CliRunner().invoke(cli, ["occupancy", "reset", "--camera", "pets", "--note",
                                       "integration", "-c", str(cfg)])
        assert res.exit_code == 0, res.output
        m = re.fullmatch(r"applied: pets (\d+) -> 0; site occupancy now (\d+)\n", res.output)
        assert m, res.output
        previous = int(m.group(1))
        console = daemon.reset_occupancy(None, "console", "from the console")
        assert [e.camera_id for e in console] == ["pets"] and daemon.site.value == 0
        assert daemon.control is not None and daemon.control.alive
    finally:
        daemon.stop()
    assert daemon.control is not None and not daemon.control.alive
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM occupancy_resets ORDER BY id").fetchall()
    assert [(r["camera_id"], r["source"], r["note"], r["site"]) for r in rows] == [
        ("pets", "cli", "integration", "test-site"),
        ("pets", "console", "from the console", "test-site")]
    assert rows[0]["previous_occupancy"] == previous and rows[0]["occupancy"] == 0
    outbox = conn.execute("SELECT event_id, camera_id FROM outbox WHERE type = "
                          "'occupancy_reset' ORDER BY id").fetchall()
    assert [tuple(r) for r in outbox] == [(r["event_id"], "pets") for r in rows]
    req = conn.execute("SELECT state, outcome FROM occupancy_reset_requests").fetchall()
    assert [tuple(r) for r in req] == [("applied", res.output[len("applied: "):].strip())]
