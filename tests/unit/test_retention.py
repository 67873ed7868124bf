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
