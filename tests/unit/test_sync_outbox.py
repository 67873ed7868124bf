"""Outbox bookkeeping and the sink worker, with a scripted sink."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.config.sync import SyncConfig
from edge.events import AttendanceMarked, Crossing, VehicleSeen
from edge.store.direct import direct_writer
from edge.store.outbox import Outbox
from edge.store.writer import StoreWriter
from edge.sync.sinks import PublishResult, SinkUnavailable
from edge.sync.worker import Backoff, SinkWorker

T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


def crossing(i: int, camera: str = "c1") -> Crossing:
    return Crossing(camera_id=camera, ts=T0 + timedelta(seconds=i), line_id="door",
                    tracker_id=i, class_name="person", direction="entry")


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = StoreWriter(tmp_path / "s.db", "site1", flush_interval_ms=5)
    w.start()
    yield w, Outbox(tmp_path / "s.db", w.call)
    w.stop()


def test_pending_acks_and_low_water(store) -> None:  # type: ignore[no-untyped-def]
    w, outbox = store
    w.submit_many([crossing(i) for i in range(10)])
    w.flush()
    first = outbox.pending("a", 4)
    assert [r.id for r in first] == [1, 2, 3, 4]
    outbox.ack("a", first[1:])  # row 1 not yet: low water stays at 0
    assert [r.id for r in outbox.pending("a", 3)] == [1, 5, 6]
    outbox.ack("a", first[:1])
    assert [r.id for r in outbox.pending("a", 2)] == [5, 6]
    assert outbox.backlog("a")[0] == 6 and outbox.backlog("b")[0] == 10  # sinks are separate
    (progress,) = [s for s in outbox.status() if s.get("sink") == "a"]
    assert progress["low_water"] == 4


def test_protected_rows_go_first(store) -> None:  # type: ignore[no-untyped-def]
    w, outbox = store
    w.submit_many([crossing(0), crossing(1)])
    w.submit(VehicleSeen(camera_id="gate", vehicle_uid="v", tracker_id=1, vehicle_type="car",
                         entry_time=T0, plate_number="KA01AB1234", status="denied"))
    w.flush()
    assert [r.type for r in outbox.pending("a", 3)] == ["vehicle", "crossing", "crossing"]


def test_cap_drops_oldest_routine_rows_and_keeps_protected(store) -> None:  # type: ignore[no-untyped-def]
    w, outbox = store
    w.submit_many([crossing(i) for i in range(150)])
    w.submit(AttendanceMarked(camera_id="door", record_id="r", employee_id="E1",
                              work_date="2026-11-23", action="check_in", check_in_time=T0,
                              check_out_time=None, status="PRESENT", grace_period_used=False,
                              aws_face_confidence=99.0, tracker_id=1))
    w.flush()
    dropped = outbox.enforce_cap(["a"], max_rows=100, max_age_days=30)
    assert dropped == {"crossing": 51}
    rows = outbox.pending("a", 1000)
    assert rows[0].type == "attendance" and len(rows) == 100
    assert min(r.id for r in rows if r.type == "crossing") == 52  # the oldest went first
    assert {"dropped": {"crossing": 51}} in outbox.status()
    w.flush()
    conn_rows = w.call(lambda c: c.execute("SELECT COUNT(*) FROM line_crossings").fetchone()[0])
    assert conn_rows == 150  # only the upstream copy was dropped


def test_replay_makes_rows_since_a_time_unsent(store) -> None:  # type: ignore[no-untyped-def]
    w, outbox = store
    w.submit_many([crossing(i) for i in range(6)])
    w.flush()
    outbox.ack("a", outbox.pending("a", 10))
    assert outbox.pending("a", 10) == []
    assert outbox.replay(T0 + timedelta(seconds=4)) == 2
    assert [r.id for r in outbox.pending("a", 10)] == [5, 6]


class ScriptedSink:
    name = "scripted"

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.batches: list[list[int]] = []

    def start(self) -> None: ...

    def close(self) -> None: ...

    def publish(self, rows):  # type: ignore[no-untyped-def]
        what = self.script.pop(0) if self.script else "ok"
        if what == "down":
            raise SinkUnavailable("broker away")
        self.batches.append([r.id for r in rows])
        if what == "reject":
            return PublishResult(rejected=list(rows), reason="HTTP 400: bad schema")
        return PublishResult(sent=list(rows))


def test_worker_retries_the_same_rows_after_a_failure_and_skips_rejected(store) -> None:  # type: ignore[no-untyped-def]
    w, outbox = store
    w.submit_many([crossing(i) for i in range(5)])
    w.flush()
    sink = ScriptedSink(["down", "down", "reject", "ok"])
    cfg = SyncConfig(batch_size=2, backoff_initial_s=0.001, backoff_max_s=0.002)
    worker = SinkWorker(sink, outbox, cfg, threading.Event())  # type: ignore[arg-type]
    for _ in range(6):
        worker.step()
    assert sink.batches == [[1, 2], [3, 4], [5]]
    assert outbox.pending("scripted", 10) == []
    (status,) = [s for s in outbox.status() if s.get("sink") == "scripted"]
    assert status["last_error"] == "HTTP 400: bad schema"
    assert worker.sent == 3


def test_backoff_grows_with_full_jitter_and_resets() -> None:
    b = Backoff(1.0, 8.0, random.Random(1))
    caps = []
    for _ in range(6):
        caps.append(min(8.0, 2 ** b.failures))
        assert 0 <= b.next_delay() <= caps[-1]
    assert caps == [1, 2, 4, 8, 8, 8]
    b.reset()
    assert b.next_delay() <= 1.0


def test_sync_cli_status_and_replay(tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from edge.cli.main import app

    db = tmp_path / "cli.db"
    w = StoreWriter(db, "site1")
    w.start()
    w.submit_many([crossing(i) for i in range(4)])
    w.stop()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [{"name": "m", "source": "yolo11n.pt"}], "api": {"enabled": True},
        "storage": {"path": str(db)},
        "sync": {"enabled": True, "mqtt": {"host": "127.0.0.1", "port": 1883, "tls": False}}}))
    outbox = Outbox(db, direct_writer(db))
    outbox.ack("mqtt:127.0.0.1:1883", outbox.pending("mqtt:127.0.0.1:1883", 10))
    outbox.record_error("mqtt:127.0.0.1:1883", "not connected")
    run = CliRunner().invoke
    res = run(app, ["sync", "status", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("mqtt:127.0.0.1:1883: backlog 0; last sent 20")
    assert "not connected" in res.output
    res = run(app, ["sync", "replay", "--since", "2026-11-23T09:00:02Z", "-c", str(cfg)])
    assert res.exit_code == 0 and res.output.startswith("2 event(s)")
    assert "backlog 2" in run(app, ["sync", "status", "-c", str(cfg)]).output
    bad = run(app, ["sync", "replay", "--since", "yesterday", "-c", str(cfg)])
    assert bad.exit_code == 2 and "not an ISO date-time" in bad.output


def test_missing_tls_files_are_named_at_start(tmp_path: Path) -> None:
    from edge.config.sync import MqttSinkConfig
    from edge.sync.sinks import MqttSink

    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here")
    cfg = MqttSinkConfig(host="127.0.0.1", port=8883, tls=True, ca_file=str(ca),
                         cert_file=str(tmp_path / "device.pem"),
                         key_file=str(tmp_path / "device.key"))
    with pytest.raises(FileNotFoundError,
                       match=rf"sync\.mqtt\.cert_file: {tmp_path}/device\.pem is missing"):
        MqttSink(cfg, "plant")
