"""A zone on the PETS demo camera, through the real daemon: dwell events reach SQLite and the
outbox (for upstream sync)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from edge.app import App, RunOptions
from edge.config import validate_mapping


def test_a_zone_on_pets_yields_dwell_events_in_sqlite_and_the_outbox(
        tmp_path: Path, pets_video: Path, person_model: Path) -> None:
    db = tmp_path / "zones.db"
    data = {
        "site": {"id": "test-site"},
        "models_dir": str(person_model.parent),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        # The lower half of the picture, where most PETS walkers are; a short dwell so that
        # 80 frames (processed in a few seconds of wall time) are enough.
        "cameras": [{"id": "pets", "url": str(pets_video), "loop": False,
                     "zones": [{"id": "plaza", "dwell_s": 1.0, "restricted": True,
                                "polygon": [[0, 288], [768, 288], [768, 576], [0, 576]]}]}],
        "inference": {"batch_size": 2},
        "storage": {"path": str(db)},
    }
    settings = validate_mapping(data, "test")
    app = App(settings, RunOptions(pace=False, lockstep=True, max_frames=80,
                                   loop_files=False))
    app.start()
    try:
        assert app.wait_finished(timeout=300), "pipeline did not finish 80 frames"
    finally:
        app.stop()
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT zone_id, event, track_id, dwell_s, entered_at, timestamp, site "
                        "FROM zone_events ORDER BY id").fetchall()
    dwell = [r for r in rows if r[1] == "dwell"]
    entries = [r for r in rows if r[1] == "restricted_entry"]
    assert dwell and entries
    assert all(r[0] == "plaza" and r[6] == "test-site" and r[3] >= 1.0 for r in dwell)
    assert len({r[2] for r in dwell}) == len(dwell)  # once per visit: one per track here
    assert all(r[5] > r[4] for r in dwell)
    outbox = conn.execute("SELECT type, priority, payload FROM outbox WHERE type = 'zone'"
                          ).fetchall()
    assert len(outbox) == len(rows)
    payloads = [json.loads(p) for _t, _p, p in outbox]
    assert {p["event"] for p in payloads} == {"dwell", "restricted_entry"}
    assert {pr for _t, pr, p in outbox if json.loads(p)["event"] == "restricted_entry"} == {5}
