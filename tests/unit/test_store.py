"""The store: seed schema, batched single writer, nothing committed is ever lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from edge.events import Crossing, FrameStats, OccupancyChanged
from edge.store.schema import MIGRATIONS, SEED_COLUMNS, connect, migrate
from edge.store.writer import StoreWriter


def occupancy(i: int, camera: str = "cam1") -> OccupancyChanged:
    return OccupancyChanged(camera_id=camera, current_occupancy=i, entries_count=i,
                            exits_count=0, people_detected=1, vehicles_detected=0,
                            site_occupancy=i)


def test_schema_has_every_seed_column(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    assert migrate(conn) == len(MIGRATIONS)
    for table, cols in SEED_COLUMNS.items():
        have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert set(cols) <= have, f"{table} lacks {set(cols) - have}"
        assert {"event_id", "site", "camera_id"} <= have
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrate_is_idempotent_and_refuses_newer_db(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate(conn)
    assert migrate(conn) == len(MIGRATIONS)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this program"):
        migrate(conn)


def test_writer_batches_and_flushes_on_stop(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "s.db", "site1", batch_max=50, flush_interval_ms=10_000)
    w.start()
    for i in range(120):
        w.submit(occupancy(i))
    w.submit(Crossing(camera_id="cam1", line_id="door", tracker_id=3, class_name="person",
                      direction="entry"))
    w.submit(FrameStats(camera_id="cam1", frame_id=9, processing_time_ms=12.5, fps=9.5,
                        frames=95, cpu_usage=50.0, gpu_memory_used=0.0))
    w.stop()
    conn = connect(tmp_path / "s.db", readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM occupancy_logs").fetchone()[0] == 120
    row = conn.execute("SELECT * FROM line_crossings").fetchone()
    assert (row["site"], row["line_id"], row["direction"]) == ("site1", "door", "entry")
    m = conn.execute("SELECT * FROM system_metrics").fetchone()
    assert (m["frame_id"], m["processing_time_ms"], m["aws_calls"]) == (9, 12.5, 0)
    assert w.committed == 122 and w.failed == 0


def test_a_bad_event_does_not_take_its_batch_with_it(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "s.db", "site1", batch_max=100, flush_interval_ms=200)
    w.start()
    good = [occupancy(i) for i in range(5)]
    duplicate = good[2]  # same event_id again violates the UNIQUE constraint
    negative = occupancy(-1)  # CHECK (current_occupancy >= 0)
    for e in [*good[:3], duplicate, negative, *good[3:]]:
        w.submit(e)
    w.stop()
    conn = connect(tmp_path / "s.db", readonly=True)
    ids = [r[0] for r in conn.execute("SELECT event_id FROM occupancy_logs ORDER BY id")]
    assert ids == [e.event_id for e in good]
    assert w.failed == 2


CHILD = textwrap.dedent("""
    import sys, time
    from edge.events import OccupancyChanged
    from edge.store.writer import StoreWriter
    w = StoreWriter(sys.argv[1], "site1", batch_max=200, flush_interval_ms=5)
    w.start()
    i = 0
    while True:
        w.submit(OccupancyChanged(camera_id="cam1", current_occupancy=i, entries_count=i,
                                  exits_count=0, people_detected=0, vehicles_detected=0,
                                  site_occupancy=i))
        i += 1
        if i % 500 == 0:
            print(w.committed, flush=True)
            time.sleep(0.01)
""")


def test_sigkill_in_the_middle_of_writing_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    reported = 0
    deadline = time.monotonic() + 60
    while reported < 5000 and time.monotonic() < deadline:
        reported = int(proc.stdout.readline() or 0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert reported >= 5000, "writer child did not make progress"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT current_occupancy FROM occupancy_logs ORDER BY id").fetchall()
    # Everything the writer reported as committed before the kill is there, in order, no gaps.
    assert len(rows) >= reported
    assert [r[0] for r in rows] == list(range(len(rows)))


def test_unopenable_database_fails_start_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    w = StoreWriter(tmp_path / "dir.db", "site1")
    with pytest.raises(RuntimeError, match=r"store .*dir\.db"):
        w.start()
