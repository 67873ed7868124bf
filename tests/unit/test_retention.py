"""Retention deletes only what is past its table's age; the disk guard stops files only."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from edge.events import Crossing, OccupancyChanged, VehicleSeen
from edge.identity.build import crop_saver
from edge.store.retention import DiskGuard, RetentionJob
from edge.store.schema import connect
from edge.store.writer import StoreWriter

NOW = datetime.now(timezone.utc)


def test_rows_past_their_tables_age_go_and_the_rest_stay(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "r.db", "s")
    w.start()
    for age in (1, 40, 400):
        ts = NOW - timedelta(days=age)
        w.submit(Crossing(camera_id="c", ts=ts, line_id="l", tracker_id=age,
                          class_name="person", direction="entry"))
        w.submit(OccupancyChanged(camera_id="c", ts=ts, current_occupancy=0, entries_count=0,
                                  exits_count=0, people_detected=0, vehicles_detected=0,
                                  site_occupancy=0))
        w.submit(VehicleSeen(camera_id="g", ts=ts, vehicle_uid=f"v{age}", tracker_id=age,
                             vehicle_type="car", entry_time=ts, exit_time=ts))
    w.flush()
    job = RetentionJob(w.call, {"line_crossings": 365, "occupancy_logs": 30})
    assert job.run_once() == {"line_crossings": 1, "occupancy_logs": 2}
    assert job.run_once() == {}
    w.stop()
    conn = connect(tmp_path / "r.db", readonly=True)
    assert [r[0] for r in conn.execute("SELECT track_id FROM line_crossings ORDER BY id")] == [
        1, 40]
    assert conn.execute("SELECT COUNT(*) FROM vehicle_logs").fetchone()[0] == 3  # no policy
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental


def test_a_large_backlog_goes_in_chunks_and_the_space_is_given_back(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "big.db", "s", batch_max=1000)
    w.start()
    old = NOW - timedelta(days=500)
    for i in range(2000):
        w.submit(Crossing(camera_id="c", ts=old, line_id="l" * 200, tracker_id=i,
                          class_name="person", direction="entry"))
    for i in range(7):
        w.submit(Crossing(camera_id="c", ts=NOW, line_id="l", tracker_id=10_000 + i,
                          class_name="person", direction="exit"))
    w.flush()
    pages = w.call(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    job = RetentionJob(w.call, {"line_crossings": 365}, chunk_rows=500, vacuum_pages=20)
    assert job.run_once() == {"line_crossings": 2000}
    # 4 full chunks + 1 that finds nothing, 1 freelist probe, then 20-page vacuum steps
    assert job.transactions > 4 + 1 + 1 + 1
    left = w.call(lambda c: (c.execute("PRAGMA freelist_count").fetchone()[0],
                             c.execute("PRAGMA page_count").fetchone()[0],
                             c.execute("SELECT COUNT(*) FROM line_crossings").fetchone()[0]))
    w.stop()
    assert left[0] == 0 and left[1] <= pages - 150  # pages went back to the file system
    assert left[2] == 7  # the recent rows stay


def test_events_are_committed_between_retention_chunks(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "mix.db", "s")
    w.start()
    old = NOW - timedelta(days=100)
    for i in range(50):
        w.submit(OccupancyChanged(camera_id="c", ts=old, current_occupancy=i, entries_count=0,
                                  exits_count=0, people_detected=0, vehicles_detected=0,
                                  site_occupancy=0))
    w.flush()
    seen: list[int] = []

    def spying_call(fn):  # type: ignore[no-untyped-def]
        # an event submitted while retention runs lands before retention's next chunk
        w.submit(Crossing(camera_id="c", line_id="l", tracker_id=len(seen),
                          class_name="person", direction="entry"))
        w.flush()
        seen.append(w.call(lambda c: c.execute("SELECT COUNT(*) FROM line_crossings")
                           .fetchone()[0]))
        return w.call(fn)

    job = RetentionJob(spying_call, {"occupancy_logs": 90}, chunk_rows=10)
    assert job.run_once() == {"occupancy_logs": 50}
    w.stop()
    assert seen[:6] == [1, 2, 3, 4, 5, 6]  # six delete chunks, one event committed before each


def test_retention_config_names_unknown_tables() -> None:
    from pydantic import ValidationError

    from edge.config.models import StorageConfig

    with pytest.raises(ValidationError, match=r"no retention for table\(s\) \['frames'\]"):
        StorageConfig(retention_days={"frames": 3})


def test_disk_guard_skips_crops_but_not_events(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    free = [10 * 2**30]
    monkeypatch.setattr("shutil.disk_usage", lambda _p: usage(0, 0, free[0]))
    save = crop_saver(tmp_path / "faces", DiskGuard(tmp_path / "faces", min_free_mb=500))
    crop = np.zeros((40, 40, 3), np.uint8)
    save("door", 1, NOW, crop)
    free[0] = 100 * 2**20  # 100 MB left
    save("door", 2, NOW, crop)
    files = sorted(p.name.split("_")[1] for p in (tmp_path / "faces").rglob("*.jpg"))
    assert files == ["1"]
    w = StoreWriter(tmp_path / "e.db", "s")  # events still land
    w.start()
    w.submit(Crossing(camera_id="c", line_id="l", tracker_id=1, class_name="person",
                      direction="entry"))
    w.stop()
    assert connect(tmp_path / "e.db", readonly=True).execute(
        "SELECT COUNT(*) FROM line_crossings").fetchone()[0] == 1


def test_without_sync_the_outbox_is_pruned_by_age(tmp_path: Path) -> None:
    """Nothing drains the outbox when sync is off: retention keeps it bounded."""
    from edge.store.retention import retention_days

    w = StoreWriter(tmp_path / "o.db", "s")
    w.start()
    for i in range(3):
        w.submit(Crossing(camera_id="c", ts=NOW, line_id="l", tracker_id=i,
                          class_name="person", direction="entry"))
    w.flush()
    w.call(lambda c: c.execute("INSERT INTO outbox_acks (outbox_id, sink, status, reason, "
                               "acked_at) SELECT id, 'mqtt', 'sent', '', '' FROM outbox"))
    days = retention_days({"line_crossings": 365}, sync_enabled=False, outbox_days=30)
    assert retention_days({}, sync_enabled=True, outbox_days=30) == {}
    job = RetentionJob(w.call, days)
    assert job.run_once(now=NOW + timedelta(days=10)) == {}
    assert job.run_once(now=NOW + timedelta(days=31)) == {"outbox": 3}
    w.stop()
    conn = connect(tmp_path / "o.db", readonly=True)
    assert conn.execute("SELECT COUNT(*) FROM line_crossings").fetchone()[0] == 3  # kept
    assert conn.execute("SELECT COUNT(*) FROM outbox_acks").fetchone()[0] == 0
