"""The daemon end to end on real video: capture -> detect -> track -> count -> SQLite."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from edge.app import App, RunOptions
from edge.config import validate_mapping

ROOT = Path(__file__).resolve().parents[2]


def settings_dict(video: Path, db: Path, models_dir: Path) -> dict:
    return {
        "site": {"id": "test-site"},
        "models_dir": str(models_dir),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        "cameras": [{"id": "pets", "url": str(video), "loop": False,
                     "lines": [{"id": "mid", "start": [384, 0], "end": [384, 576]}]}],
        "inference": {"batch_size": 2},
        "storage": {"path": str(db), "metrics_interval_s": 1.0,
                    "occupancy_heartbeat_s": 1.0},
        "metrics": {"enabled": True, "port": 0},
    }


def test_sixty_frames_of_real_video_reach_the_database(tmp_path: Path, pets_video: Path,
                                                       person_model: Path) -> None:
    db = tmp_path / "e.db"
    settings = validate_mapping(settings_dict(pets_video, db, person_model.parent), "test")
    results = []
    app = App(settings, RunOptions(pace=False, lockstep=True, max_frames=60,
                                   loop_files=False), on_result=results.append)
    app.start()
    try:
        assert app.wait_finished(timeout=240), "pipeline did not finish 60 frames"
    finally:
        app.stop()
    assert [r.frame_seq for r in results] == list(range(1, 61))
    assert max(r.people_count for r in results) >= 3  # PETS has several people in view
    conn = sqlite3.connect(db)
    occ = conn.execute("SELECT camera_id, people_detected, site FROM occupancy_logs").fetchall()
    assert occ and all(row[0] == "pets" and row[2] == "test-site" for row in occ)
    assert max(row[1] for row in occ) >= 1
    metrics_rows = conn.execute(
        "SELECT frame_id, processing_time_ms, cpu_usage FROM system_metrics").fetchall()
    assert metrics_rows and metrics_rows[-1][0] == 60
    assert all(r[1] > 0 for r in metrics_rows)


def test_edge_run_serves_metrics_and_stops_cleanly_on_sigterm(tmp_path: Path, pets_video: Path,
                                                              person_model: Path) -> None:
    db = tmp_path / "run.db"
    cfg = tmp_path / "run.yaml"
    data = settings_dict(pets_video, db, person_model.parent)
    data["cameras"][0]["loop"] = True
    cfg.write_text(yaml.safe_dump(data))
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli.main", "run", "--config", str(cfg),
         "--status-every", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    port = None
    status_line = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and status_line is None:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", line)
        if m:
            port = int(m.group(1))
        if re.match(r"pets\s+up\s+[\d.]+ fps\s+people\s+\d+", line) and "in" in line:
            status_line = line
    assert port is not None and status_line is not None, "daemon never reported status"
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'edge_frames_processed_total{camera="pets"}' in body
    assert "edge_camera_up" in body
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=15)
    took = time.monotonic() - t0
    assert proc.returncode == 0, rest
    assert took < 5.0, f"stop took {took:.1f}s"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM system_metrics").fetchone()[0] >= 1
    assert conn.execute("SELECT COUNT(*) FROM occupancy_logs").fetchone()[0] >= 1
