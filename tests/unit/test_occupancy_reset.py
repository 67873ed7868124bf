"""Occupancy resets: counters, the site arithmetic, running on the loop thread, the config,
and the event's way into the store and the outbox."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
import supervision as sv
from prometheus_client import REGISTRY
from pydantic import ValidationError

from edge.analytics.occupancy import Occupancy
from edge.config.models import RETENTION_DEFAULTS, CameraConfig, TrackingConfig
from edge.config.occupancy import OccupancyConfig
from edge.events import OccupancyReset
from edge.pipeline.loop import InferenceLoop
from edge.pipeline.reset import describe_resets, reset_occupancy, reset_on_loop
from edge.pipeline.step import CameraPipeline, SiteOccupancy
from edge.store.retention import TIME_COLUMN
from edge.store.schema import connect
from edge.store.writer import StoreWriter

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def pipelines(site: SiteOccupancy, **counts: int) -> dict[str, CameraPipeline]:
    """Pipelines whose cameras counted ``counts`` people in, the site counting them too."""
    out = {}
    for cid, n in counts.items():
        pipe = CameraPipeline(CameraConfig(id=cid, url="x.avi"), TrackingConfig(), site)
        for _ in range(n):
            pipe.occupancy.apply("entry")
            site.apply("entry")
        out[cid] = pipe
    return out


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_occupancy_reset_returns_the_previous_value_and_keeps_the_totals() -> None:
    occ = Occupancy()
    for d in ("entry", "entry", "entry", "exit"):
        occ.apply(d)
    assert occ.reset() == 2
    assert (occ.value, occ.entries, occ.exits) == (0, 3, 1)
    assert occ.reset(5) == 0 and occ.value == 5
    with pytest.raises(ValueError, match="negative"):
        occ.reset(-1)


def test_resetting_one_camera_lowers_the_site_by_its_count() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=3, dock=2)
    events = reset_occupancy(pipes, site, "door", "console", "all left")
    assert len(events) == 1
    e = events[0]
    assert (e.camera_id, e.previous_occupancy, e.occupancy, e.site_occupancy, e.source,
            e.note, e.type) == ("door", 3, 0, 2, "console", "all left", "occupancy_reset")
    assert (pipes["door"].occupancy.value, pipes["dock"].occupancy.value, site.value) == (0, 2, 2)
    assert gauge("edge_occupancy_people", camera="door") == 0
    assert gauge("edge_site_occupancy_people") == 2
    assert describe_resets(events) == "door 3 -> 0; site occupancy now 2"


def test_the_site_never_goes_below_zero() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=3)
    site.reset(1)  # the site was corrected by hand earlier
    assert reset_occupancy(pipes, site, "door", "cli")[0].site_occupancy == 0
    assert site.value == 0


def test_resetting_all_sets_every_camera_and_the_site_to_zero() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=3, dock=2, gate=0)
    events = reset_occupancy(pipes, site, None, "schedule", "scheduled 06:00")
    assert [(e.camera_id, e.previous_occupancy, e.site_occupancy) for e in events] == [
        ("dock", 2, 0), ("door", 3, 0), ("gate", 0, 0)]
    assert site.value == 0 and all(p.occupancy.value == 0 for p in pipes.values())
    assert gauge("edge_occupancy_people", camera="dock") == 0
    assert gauge("edge_site_occupancy_people") == 0
    assert describe_resets([], 0) == "no camera has counted anyone yet; site occupancy now 0"


def test_unknown_camera_and_source_are_refused_by_name() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=1)
    with pytest.raises(KeyError, match="no camera 'nope' to reset \\(cameras: door, idle\\)"):
        reset_occupancy(pipes, site, "nope", "cli", idle={"idle"})
    with pytest.raises(ValueError, match="console, cli, schedule, not 'api'"):
        reset_occupancy(pipes, site, "door", "api")
    assert pipes["door"].occupancy.value == 1 and site.value == 1


def test_a_camera_without_a_first_frame_resets_from_zero() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=2)
    [e] = reset_occupancy(pipes, site, "idle", "cli", idle={"idle", "door"})
    assert (e.camera_id, e.previous_occupancy, e.site_occupancy) == ("idle", 0, 2)


def test_the_step_logs_the_new_occupancy_after_a_reset() -> None:
    site = SiteOccupancy()
    pipes = pipelines(site, door=2)
    pipe = pipes["door"]
    pipe.process(1, NOW, sv.Detections.empty())
    reset_occupancy(pipes, site, "door", "cli")
    after = pipe.process(2, NOW, sv.Detections.empty())
    occ = [e for e in after.events if e.type == "occupancy"]
    assert [(o.current_occupancy, o.site_occupancy) for o in occ] == [(0, 0)]


def test_reset_on_loop_runs_on_the_loop_thread_and_emits_there() -> None:
    site = SiteOccupancy()
    emitted: list[tuple[str, list]] = []
    loop = InferenceLoop({}, [], lambda cid: None,  # type: ignore[arg-type,return-value]
                         lambda events: emitted.append((threading.current_thread().name,
                                                        events)))
    loop.pipelines.update(pipelines(site, door=4))
    with pytest.raises(RuntimeError, match="not running"):
        reset_on_loop(loop, site, loop.emit, "door", "console")
    loop.start()
    try:
        events = reset_on_loop(loop, site, loop.emit, "door", "console", "by hand")
        with pytest.raises(KeyError, match="nope"):
            reset_on_loop(loop, site, loop.emit, "nope", "console")
    finally:
        loop.stop(1.0)
    assert [e.previous_occupancy for e in events] == [4]
    assert emitted == [("inference", events)]


def test_reset_on_a_stuck_loop_is_cancelled_not_applied_late() -> None:
    site = SiteOccupancy()
    loop = InferenceLoop({}, [], lambda cid: None,  # type: ignore[arg-type,return-value]
                         lambda events: None)
    loop.pipelines.update(pipelines(site, door=4))
    release = threading.Event()
    loop.call_between_passes(lambda: release.wait(5))  # the loop is busy
    loop.start()
    try:
        with pytest.raises(RuntimeError, match="did not get to the occupancy reset"):
            reset_on_loop(loop, site, loop.emit, "door", "cli", timeout=0.2)
        release.set()
        done = threading.Event()
        loop.call_between_passes(done.set)
        assert done.wait(5)
    finally:
        loop.stop(1.0)
    assert loop.pipelines["door"].occupancy.value == 4 and site.value == 4


@pytest.mark.parametrize(("given", "stored"), [
    ([], []),
    (["22:30", "06:00"], ["06:00", "22:30"]),
    (["00:00", "23:59"], ["00:00", "23:59"]),
])
def test_occupancy_config_accepts_times_of_day_sorted(given: list[str],
                                                      stored: list[str]) -> None:
    cfg = OccupancyConfig(reset_at=given)
    assert cfg.reset_at == stored
    assert [t.strftime("%H:%M") for t in cfg.reset_times()] == stored
    assert cfg.request_ttl_s == 60


@pytest.mark.parametrize(("given", "message"), [
    (["24:00"], "'24:00' is not a time of day as HH:MM"),
    (["6:00"], "'6:00' is not a time of day"),
    (["06:00", "06:60"], "'06:60' is not a time of day"),
    (["06:00 "], "'06:00 ' is not a time of day"),
    (["06:00", "07:00", "06:00"], "06:00 listed more than once"),
])
def test_occupancy_config_names_the_bad_time(given: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        OccupancyConfig(reset_at=given)


def test_occupancy_config_refuses_a_non_positive_ttl_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="request_ttl_s"):
        OccupancyConfig(request_ttl_s=0)
    with pytest.raises(ValidationError, match="reset_every"):
        OccupancyConfig(reset_every="1h")  # type: ignore[call-arg]


def test_new_tables_have_retention_and_a_time_column() -> None:
    assert RETENTION_DEFAULTS["occupancy_resets"] == 365
    assert set(RETENTION_DEFAULTS) <= set(TIME_COLUMN)


def test_reset_event_reaches_its_table_and_the_outbox_through_the_writer(
        tmp_path: Path) -> None:
    site = SiteOccupancy()
    events = reset_occupancy(pipelines(site, door=3, dock=1), site, None, "cli", "empty")
    w = StoreWriter(tmp_path / "s.db", "site1")
    w.start()
    w.submit_many(events)
    w.stop()
    conn = connect(tmp_path / "s.db", readonly=True)
    rows = conn.execute("SELECT * FROM occupancy_resets ORDER BY camera_id").fetchall()
    assert [(r["event_id"], r["site"], r["camera_id"], r["previous_occupancy"], r["occupancy"],
             r["site_occupancy"], r["source"], r["note"], r["timestamp"]) for r in rows] == [
        (e.event_id, "site1", e.camera_id, e.previous_occupancy, 0, 0, "cli", "empty",
         e.ts.isoformat()) for e in events]
    out = conn.execute("SELECT type, camera_id, priority, payload FROM outbox ORDER BY id")
    got = [(r["type"], r["camera_id"], r["priority"], json.loads(r["payload"])) for r in out]
    assert [g[:3] for g in got] == [("occupancy_reset", "dock", 0), ("occupancy_reset", "door", 0)]
    assert got[1][3]["previous_occupancy"] == 3 and got[1][3]["site"] == "site1"
    assert got[1][3]["event_id"] == events[1].event_id


def test_the_store_refuses_an_unknown_reset_source(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "s.db", "site1")
    w.start()
    w.submit(OccupancyReset(camera_id="door", previous_occupancy=1, occupancy=0,
                            site_occupancy=0, source="api"))  # type: ignore[arg-type]
    w.stop()
    assert w.failed == 1
