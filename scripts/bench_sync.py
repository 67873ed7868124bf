#!/usr/bin/env python3
"""Throughput of the sync worker to a real MQTT broker at QoS 1 (mosquitto on loopback).

Writes ``--events`` events through the store writer first, then starts the sync service and
times until a subscriber has received every event id. Needs the ``mosquitto`` binary
(``scripts/test_services.sh`` installs it).

Example:
    python scripts/bench_sync.py --events 20000 --batch 200 1000 [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.config.sync import MqttSinkConfig, SyncConfig
from edge.events import Crossing
from edge.store.writer import StoreWriter
from edge.sync.worker import SyncService
from tests.integration.mqtt_helpers import Broker, Consumer


def run(events: int, batch: int) -> dict[str, float]:
    """One timed run; returns events/s and duplicates seen."""
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp))
        broker.start()
        consumer = Consumer(broker.port)
        writer = StoreWriter(Path(tmp) / "b.db", "bench", flush_interval_ms=50)
        writer.start()
        t0 = datetime(2026, 11, 23, tzinfo=timezone.utc)
        writer.submit_many([Crossing(camera_id=f"cam{i % 4}", ts=t0 + timedelta(
            milliseconds=i), line_id="l", tracker_id=i, class_name="person",
            direction="entry") for i in range(events)])
        writer.flush(60)
        cfg = SyncConfig(enabled=True, batch_size=batch, mqtt=MqttSinkConfig(
            host="127.0.0.1", port=broker.port, tls=False))
        service = SyncService(cfg, "bench", Path(tmp) / "b.db", writer.call)
        start = time.perf_counter()
        service.start()
        ok = consumer.wait_for(events, 600)
        elapsed = time.perf_counter() - start
        dups = len(consumer.events()) - len(consumer.unique())
        service.stop()
        writer.stop()
        consumer.close()
        broker.stop()
    if not ok:
        raise SystemExit(f"bench_sync: not every event arrived (batch {batch})")
    return {"batch": batch, "events": events, "seconds": round(elapsed, 2),
            "events_per_s": round(events / elapsed, 1), "duplicates": dups}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each batch size, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--batch", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = [run(args.events, b) for b in args.batch]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| batch | events | seconds | events/s (QoS 1, acked) | duplicates |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['batch']} | {r['events']} | {r['seconds']} | {r['events_per_s']} | "
              f"{r['duplicates']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
