"""The sync service: one worker thread per sink, plus the backlog cap.

Each worker takes the next unacknowledged outbox rows for its sink, publishes them, and only
then records them as sent. A failure waits an exponentially growing, jittered delay
(:class:`edge.backoff.Backoff` with full jitter: uniform between 0 and the current cap) and
tries the same rows again, so a crash or an outage at any point can send a row twice but
never loses one. Consumers drop duplicates by ``event_id``.

Order: within a batch rows go out in outbox order, so per camera they arrive in the order
they were committed. Protected rows (attendance, deny-list hits) are taken before routine
ones, so they may overtake older routine rows of the same camera; within each class the
order holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from edge.backoff import Backoff
from edge.config.sync import SyncConfig
from edge.store.direct import WriteRunner
from edge.store.outbox import Outbox
from edge.sync.sinks import HttpSink, MqttSink, Sink, SinkUnavailable
from edge.telemetry import metrics

log = logging.getLogger(__name__)


class SinkWorker:
    """Moves outbox rows to one sink, in batches."""

    def __init__(self, sink: Sink, outbox: Outbox, cfg: SyncConfig,
                 stop: threading.Event) -> None:
        self.sink = sink
        self.outbox = outbox
        self.cfg = cfg
        self.stop = stop
        self.backoff = Backoff(cfg.backoff_initial_s, cfg.backoff_max_s)
        self.sent = 0
        self.last_error = ""
        self.thread = threading.Thread(target=self._run, name=f"sync-{sink.name}",
                                       daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                busy = self.step()
            except Exception as exc:  # the database or a sink bug: log, back off, go on
                log.exception("sync worker for %s failed", self.sink.name)
                self._failed(f"{type(exc).__name__}: {exc}")
                continue
            if not busy:
                self.stop.wait(self.cfg.poll_interval_s)

    def step(self) -> bool:
        """Publish one batch; True if there was anything to send."""
        rows = self.outbox.pending(self.sink.name, self.cfg.batch_size)
        self._gauges()
        if not rows:
            return False
        t0 = time.perf_counter()
        try:
            result = self.sink.publish(rows)
        except SinkUnavailable as exc:
            self._failed(str(exc))
            return True
        metrics.SYNC_PUBLISH_SECONDS.labels(self.sink.name).observe(time.perf_counter() - t0)
        self.outbox.ack(self.sink.name, result.sent)
        if result.rejected:
            self.outbox.ack(self.sink.name, result.rejected, "rejected", result.reason)
            self.outbox.record_error(self.sink.name, result.reason)
            metrics.SYNC_FAILED.labels(self.sink.name).inc(len(result.rejected))
        self.sent += len(result.sent)
        metrics.SYNC_SENT.labels(self.sink.name).inc(len(result.sent))
        self.backoff.reset()
        return True

    def _failed(self, error: str) -> None:
        metrics.SYNC_FAILED.labels(self.sink.name).inc()
        if error != self.last_error:
            log.warning("sync to %s: %s", self.sink.name, error)
        self.last_error = error
        try:
            self.outbox.record_error(self.sink.name, error)
        except Exception:  # the store may be the problem; the log line above stays
            log.exception("could not record the sync error")
        self.stop.wait(self.backoff.next_delay())

    def _gauges(self) -> None:
        count, oldest = self.outbox.backlog(self.sink.name)
        metrics.SYNC_BACKLOG.labels(self.sink.name).set(count)
        age = 0.0
        if oldest:
            age = (datetime.now(timezone.utc) - datetime.fromisoformat(oldest)).total_seconds()
        metrics.SYNC_OLDEST_AGE.labels(self.sink.name).set(age)


def build_sinks(cfg: SyncConfig, site: str) -> list[Sink]:
    """The sinks the config names (MQTT and/or HTTP)."""
    sinks: list[Sink] = []
    if cfg.mqtt is not None:
        sinks.append(MqttSink(cfg.mqtt, site))
    if cfg.http is not None:
        sinks.append(HttpSink(cfg.http, site))
    return sinks


class SyncService:
    """All sink workers and the periodic backlog cap, started and stopped together.

    Args:
        cfg: sync settings.
        db_path: the store's database.
        run_write: the store writer's ``call`` (the only writer).
        sinks: built from ``cfg`` when None (tests pass their own).
        cap_interval_s: how often the backlog cap runs.
    """

    def __init__(self, cfg: SyncConfig, site: str, db_path: str | Path, run_write: WriteRunner,
                 sinks: Sequence[Sink] | None = None, cap_interval_s: float = 60.0) -> None:
        self.cfg = cfg
        self.outbox = Outbox(db_path, run_write)
        self.sinks = list(sinks) if sinks is not None else build_sinks(cfg, site)
        self._stop = threading.Event()
        self.workers = [SinkWorker(s, self.outbox, cfg, self._stop) for s in self.sinks]
        self.cap_interval_s = cap_interval_s
        self._cap_thread = threading.Thread(target=self._cap_loop, name="sync-cap",
                                            daemon=True)

    def start(self) -> None:
        """Connect the sinks and start the workers."""
        for sink in self.sinks:
            sink.start()
        for w in self.workers:
            w.thread.start()
        self._cap_thread.start()

    def enforce_cap(self) -> dict[str, int]:
        """Apply the backlog cap now; return drops per event type."""
        dropped = self.outbox.enforce_cap([s.name for s in self.sinks],
                                          self.cfg.max_backlog_rows,
                                          self.cfg.max_backlog_age_days)
        if dropped:
            log.warning("sync backlog over its cap: dropped %s (kept locally)", dropped)
        return dropped

    def _cap_loop(self) -> None:
        while not self._stop.wait(self.cap_interval_s):
            try:
                self.enforce_cap()
            except Exception:
                log.exception("sync backlog cap failed")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers (a batch in flight is simply sent again next time)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for w in self.workers:
            w.thread.join(max(0.0, deadline - time.monotonic()))
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.exception("closing %s", sink.name)
