"""The control poller with a fake clock: the reset schedule in the site's time zone, CLI
requests applied or expired, refreshers called; and `edge occupancy reset|show`."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from edge.cli.main import app
from edge.config import validate_mapping
from edge.config.models import Settings
from edge.events import OccupancyChanged, OccupancyReset
from edge.pipeline.control import ControlPoller
from edge.store.direct import direct_writer
from edge.store.occupancy import add_reset_request
from edge.store.queries import StoreReader
from edge.store.writer import StoreWriter

UTC = timezone.utc


def settings(tz: str = "UTC", reset_at: Sequence[str] = (), ttl: float = 60,
             db: Path | None = None) -> Settings:
    return validate_mapping({
        "models": [{"name": "m", "source": "x.pt"}],
        "site": {"timezone": tz},
        "cameras": [{"id": "door", "url": "x.avi"}, {"id": "dock", "url": "y.avi"}],
        "occupancy": {"reset_at": list(reset_at), "request_ttl_s": ttl},
        "storage": {"path": str(db or "unused.db")}}, "t")


class FakeApply:
    """Records resets; answers like App.reset_occupancy (door holds 3 people)."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple[str | None, str, str]] = []
        self.fail = fail

    def __call__(self, camera_id: str | None, source: str, note: str) -> list[OccupancyReset]:
        self.calls.append((camera_id, source, note))
        if self.fail is not None:
            raise self.fail
        cams = [camera_id] if camera_id else ["dock", "door"]
        return [OccupancyReset(camera_id=c, previous_occupancy=3 if c == "door" else 0,
                               occupancy=0, site_occupancy=0, source=source,  # type: ignore[arg-type]
                               note=note) for c in cams]


class CountingRefresher:
    def __init__(self, fail: bool = False) -> None:
        self.checks = 0
        self.fail = fail

    def check(self) -> bool:
        self.checks += 1
        if self.fail:
            raise sqlite3.OperationalError("disk I/O error")
        return False


def poller(tmp_path: Path, s: Settings, apply: FakeApply | None = None,
           refreshers: Sequence[Any] = ()) -> tuple[ControlPoller, FakeApply]:
    apply = apply or FakeApply()
    db = tmp_path / "c.db"
    holder = {"s": s}
    p = ControlPoller(apply, StoreReader(db), direct_writer(db), lambda: holder["s"],
                      refreshers)
    p.holder = holder  # type: ignore[attr-defined]
    return p, apply


def ticks(p: ControlPoller, start: datetime, end: datetime, step_s: float = 1.0) -> None:
    t = start
    while t <= end:
        p.tick(t)
        t += timedelta(seconds=step_s)


def test_schedule_fires_once_at_each_local_time_of_the_site(tmp_path: Path) -> None:
    # 06:00 in Kolkata (UTC+05:30) is 00:30 UTC.
    p, apply = poller(tmp_path, settings("Asia/Kolkata", ["06:00", "18:00"]))
    ticks(p, datetime(2026, 11, 23, 0, 29, 50, tzinfo=UTC),
          datetime(2026, 11, 23, 0, 31, 0, tzinfo=UTC))
    assert apply.calls == [(None, "schedule", "scheduled 06:00")]
    ticks(p, datetime(2026, 11, 23, 5, 59, 0, tzinfo=UTC),  # 06:00 UTC is not 06:00 local
          datetime(2026, 11, 23, 6, 1, 0, tzinfo=UTC), step_s=5)
    assert len(apply.calls) == 1
    p.tick(datetime(2026, 11, 23, 12, 30, 0, tzinfo=UTC))  # 18:00 local, after a long tick
    p.tick(datetime(2026, 11, 23, 12, 30, 0, tzinfo=UTC))
    p.tick(datetime(2026, 11, 24, 0, 30, 0, tzinfo=UTC))  # the next morning
    assert apply.calls[1:] == [(None, "schedule", "scheduled 18:00"),
                               (None, "schedule", "scheduled 06:00")]


def test_the_first_tick_does_not_fire_for_a_time_already_past(tmp_path: Path) -> None:
    p, apply = poller(tmp_path, settings("UTC", ["06:00"]))
    p.tick(datetime(2026, 11, 23, 6, 0, 0, tzinfo=UTC))
    p.tick(datetime(2026, 11, 23, 6, 0, 1, tzinfo=UTC))
    assert apply.calls == []


def test_a_gap_over_several_times_resets_once(tmp_path: Path) -> None:
    p, apply = poller(tmp_path, settings("UTC", ["06:00", "07:00"]))
    p.tick(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    p.tick(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # suspended for three hours
    assert apply.calls == [(None, "schedule", "scheduled 07:00")]


def test_daylight_saving_jumps_neither_skip_nor_repeat_a_reset(tmp_path: Path) -> None:
    # Berlin 2026: 02:00 -> 03:00 on 29 March (01:00 UTC), 03:00 -> 02:00 on 25 October.
    p, apply = poller(tmp_path, settings("Europe/Berlin", ["02:30"]))
    ticks(p, datetime(2026, 3, 29, 0, 50, tzinfo=UTC), datetime(2026, 3, 29, 1, 10, tzinfo=UTC),
          step_s=60)
    assert apply.calls == [(None, "schedule", "scheduled 02:30")]  # 02:30 never showed
    p, apply = poller(tmp_path, settings("Europe/Berlin", ["02:30"]))
    ticks(p, datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
          step_s=60)
    assert apply.calls == [(None, "schedule", "scheduled 02:30")]  # showed twice, reset once


def test_a_reloaded_schedule_applies_on_the_next_tick(tmp_path: Path) -> None:
    p, apply = poller(tmp_path, settings("UTC", []))
    p.tick(datetime(2026, 11, 23, 9, 59, 30, tzinfo=UTC))
    p.holder["s"] = settings("UTC", ["10:00"])  # type: ignore[attr-defined]
    p.tick(datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC))
    assert apply.calls == [(None, "schedule", "scheduled 10:00")]


def request(db: Path, camera: str | None, note: str, at: datetime) -> int:
    return int(direct_writer(db)(lambda c: add_reset_request(c, camera, note, at.isoformat())))


def test_requests_are_applied_when_young_and_expired_when_old(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    db = tmp_path / "c.db"
    old = request(db, None, "stale", now - timedelta(seconds=61))
    young = request(db, "door", "cleaners left", now - timedelta(seconds=5))
    every = request(db, None, "", now)
    p, apply = poller(tmp_path, settings(ttl=60))
    p.tick(now)
    assert apply.calls == [("door", "cli", "cleaners left"), (None, "cli", "")]
    reader = StoreReader(db)
    got = {i: reader.reset_request(i) for i in (old, young, every)}
    assert {i: r["state"] for i, r in got.items()} == {  # type: ignore[index]
        old: "expired", young: "applied", every: "applied"}
    assert got[young]["outcome"] == "door 3 -> 0; site occupancy now 0"  # type: ignore[index]
    assert got[every]["outcome"] == "dock 0 -> 0, door 3 -> 0; site occupancy now 0"  # type: ignore[index]
    assert got[old]["outcome"] == "no daemon applied it within 60s"  # type: ignore[index]
    assert got[young]["done_at"] == now.isoformat()  # type: ignore[index]
    p.tick(now + timedelta(seconds=1))
    assert len(apply.calls) == 2 and reader.pending_reset_requests() == []


def test_a_reset_the_daemon_cannot_do_is_marked_failed_with_the_reason(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    db = tmp_path / "c.db"
    rid = request(db, "gone", "", now)
    p, _ = poller(tmp_path, settings(), FakeApply(KeyError("no camera 'gone' to reset")))
    p.tick(now)
    r = StoreReader(db).reset_request(rid)
    assert r is not None and (r["state"], r["outcome"]) == ("failed",
                                                            "no camera 'gone' to reset")


def test_an_unreadable_request_time_fails_that_request_only(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    db = tmp_path / "c.db"
    bad = int(direct_writer(db)(lambda c: add_reset_request(c, "door", "", "yesterday")))
    good = request(db, "dock", "", now)
    p, apply = poller(tmp_path, settings())
    p.tick(now)
    reader = StoreReader(db)
    assert (reader.reset_request(bad) or {}).get("outcome") == \
        "requested_at 'yesterday' is not an ISO-8601 time"
    assert (reader.reset_request(good) or {}).get("state") == "applied"
    assert apply.calls == [("dock", "cli", "")]


def test_an_applied_request_is_never_applied_twice_when_marking_fails(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    db = tmp_path / "c.db"
    rid = request(db, "door", "", now)
    p, apply = poller(tmp_path, settings())
    real = p.run_write
    failures = [sqlite3.OperationalError("database is locked")]

    def flaky(fn):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return real(fn)

    p.run_write = flaky
    p.tick(now)  # applied, but the mark failed (logged)
    assert StoreReader(db).reset_request(rid)["state"] == "pending"  # type: ignore[index]
    p.tick(now + timedelta(seconds=1))
    assert len(apply.calls) == 1
    assert StoreReader(db).reset_request(rid)["state"] == "applied"  # type: ignore[index]


def test_refreshers_are_called_every_tick_and_a_failing_one_stops_nothing(
        tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    good, bad = CountingRefresher(), CountingRefresher(fail=True)
    request(tmp_path / "c.db", "door", "", now)
    p, apply = poller(tmp_path, settings(), refreshers=[bad, good])
    p.tick(now)
    p.tick(now + timedelta(seconds=1))
    assert (bad.checks, good.checks) == (2, 2)
    assert apply.calls == [("door", "cli", "")]


def test_the_thread_ticks_until_stopped(tmp_path: Path) -> None:
    p, _ = poller(tmp_path, settings(), refreshers=[r := CountingRefresher()])
    p.period_s = 0.02
    p.start()
    deadline = time.monotonic() + 5
    while r.checks < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    p.stop()
    assert r.checks >= 3 and not p.alive
    seen = r.checks
    time.sleep(0.1)
    assert r.checks == seen


def cli_config(tmp_path: Path, ttl: float = 60) -> str:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [{"name": "m", "source": "x.pt"}],
        "cameras": [{"id": "door", "url": "x.avi"}, {"id": "dock", "url": "y.avi"}],
        "occupancy": {"request_ttl_s": ttl},
        "storage": {"path": str(tmp_path / "c.db")}}))
    return str(cfg)


def test_cli_reset_without_a_daemon_says_so_and_exits_1(tmp_path: Path) -> None:
    c = cli_config(tmp_path, ttl=45)
    res = CliRunner().invoke(app, ["occupancy", "reset", "--wait", "0.3", "-c", c])
    assert res.exit_code == 1
    assert "no running daemon picked up the reset within 0.3s" in res.output
    assert "expires after 45s (occupancy.request_ttl_s)" in res.output
    [pending] = StoreReader(tmp_path / "c.db").pending_reset_requests()
    assert pending["camera_id"] is None


def test_cli_reset_refuses_an_unknown_camera_and_a_long_note(tmp_path: Path) -> None:
    c = cli_config(tmp_path)
    res = CliRunner().invoke(app, ["occupancy", "reset", "--camera", "gate", "-c", c])
    assert res.exit_code == 2
    assert "no enabled camera 'gate'" in res.output and "cameras: door, dock" in res.output
    res = CliRunner().invoke(app, ["occupancy", "reset", "--note", "x" * 201, "-c", c])
    assert res.exit_code == 2 and "at most 200" in res.output
    assert StoreReader(tmp_path / "c.db").pending_reset_requests() == []


@pytest.mark.parametrize(("fail", "code", "said"), [
    (None, 0, "applied: door 3 -> 0; site occupancy now 0\n"),
    (RuntimeError("the inference loop is not running: nothing to reset"), 1,
     "edge: not reset (failed): the inference loop is not running: nothing to reset\n"),
])
def test_cli_reset_reports_what_the_daemon_did(tmp_path: Path, fail: BaseException | None,
                                               code: int, said: str) -> None:
    c = cli_config(tmp_path)
    p, apply = poller(tmp_path, settings(), FakeApply(fail))
    p.period_s = 0.05
    p.start()
    try:
        res = CliRunner().invoke(app, ["occupancy", "reset", "--camera", "door", "--note",
                                       "fire drill", "-c", c])
    finally:
        p.stop()
    assert (res.exit_code, res.output) == (code, said)
    assert apply.calls == [("door", "cli", "fire drill")]


def test_cli_show_prints_last_counts_and_resets(tmp_path: Path) -> None:
    c = cli_config(tmp_path)
    assert CliRunner().invoke(app, ["occupancy", "show", "-c", c]).output == (
        "no occupancy stored yet\nno resets yet\n")
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    w = StoreWriter(tmp_path / "c.db", "s")
    w.start()
    for i, occ in enumerate((1, 4)):
        w.submit(OccupancyChanged(camera_id="door", ts=t0 + timedelta(minutes=i),
                                  current_occupancy=occ, entries_count=occ, exits_count=0,
                                  people_detected=occ, vehicles_detected=0,
                                  site_occupancy=occ))
    w.submit(OccupancyReset(camera_id="door", ts=t0 + timedelta(minutes=5),
                            previous_occupancy=4, occupancy=0, site_occupancy=0, source="cli",
                            note="drill"))
    w.stop()
    out = CliRunner().invoke(app, ["occupancy", "show", "-c", c]).output.splitlines()
    assert out[1].split() == ["door", "4", "4", "4", "0", "2026-11-23T09:01:00"]
    assert out[2] == "resets (UTC):"
    assert out[3].split() == ["2026-11-23T09:05:00", "door", "4", "->", "0", "(site", "0)",
                              "cli", "drill"]


def test_cli_reset_applied_by_a_poller_in_another_thread_is_seen_within_wait(
        tmp_path: Path) -> None:
    c = cli_config(tmp_path)
    db = tmp_path / "c.db"
    done = threading.Event()
    p, _ = poller(tmp_path, settings())

    def late_daemon() -> None:  # starts 0.5 s after the request was written
        time.sleep(0.5)
        p.tick(datetime.now(UTC))
        done.set()

    threading.Thread(target=late_daemon, daemon=True).start()
    res = CliRunner().invoke(app, ["occupancy", "reset", "--wait", "5", "-c", c])
    assert done.wait(5)
    assert res.exit_code == 0 and res.output.startswith("applied: dock 0 -> 0, door 3 -> 0")
    assert StoreReader(db).pending_reset_requests() == []
