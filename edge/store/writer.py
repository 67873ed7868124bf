"""The single store writer: one thread owns the writing connection and commits in batches.

Producers call :meth:`StoreWriter.submit` (never blocks for long). The thread gathers events
until ``batch_max`` or ``flush_interval_ms`` and writes them in one transaction. If a batch
fails, it is rolled back and retried event by event so one bad event cannot take the others
with it; what still fails is logged with its payload and counted, never silently lost.
Each event's row and its outbox row are written in the same transaction (``tables.insert``).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from edge.events import Event
from edge.store.schema import connect, migrate
from edge.store.tables import insert
from edge.telemetry import metrics

log = logging.getLogger(__name__)

_STOP = object()
T = TypeVar("T")


class _Barrier:
    """Queued behind events; set once everything before it was committed."""

    def __init__(self) -> None:
        self.done = threading.Event()


class _Call(_Barrier):
    """A function to run on the writer's connection, in its own transaction."""

    def __init__(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        super().__init__()
        self.fn = fn
        self.result: object = None
        self.error: BaseException | None = None


class StoreWriter:
    """Owns the database's only writing connection, on its own thread.

    Args:
        path: SQLite file (created and migrated on start).
        site: site id written into every row.
        batch_max: most events per transaction.
        flush_interval_ms: longest an event waits before its batch is committed.
        queue_max: bound of the inbound queue.
    """

    def __init__(self, path: str | Path, site: str, *, batch_max: int = 500,
                 flush_interval_ms: float = 200.0, queue_max: int = 100_000) -> None:
        self.path = Path(path)
        self.site = site
        self.batch_max = batch_max
        self.flush_interval_s = flush_interval_ms / 1000.0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_max)
        self._thread: threading.Thread | None = None
        self.last_progress = time.monotonic()
        self.committed = 0
        self.failed = 0
        self.commit_ages: deque[float] = deque(maxlen=100_000)
        """Seconds from each recent event's time (its frame's capture) to its commit."""
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    def start(self) -> None:
        """Open and migrate the database, then start the writer thread.

        Raises:
            RuntimeError: the database could not be opened or migrated.
        """
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._start_error is not None:
            raise RuntimeError(f"store {self.path}: {self._start_error}") from self._start_error

    def submit(self, event: Event, timeout: float = 0.5) -> bool:
        """Queue an event for writing; False (and counted) if the queue stayed full."""
        try:
            self._queue.put(event, timeout=timeout)
            return True
        except queue.Full:
            metrics.STORE_DROPPED.inc()
            log.error("store queue full; dropped %s %s", event.type, event.to_dict())
            return False

    def submit_many(self, events: Iterable[Event]) -> None:
        """Queue several events in order."""
        for e in events:
            self.submit(e)

    @property
    def alive(self) -> bool:
        """Whether the writer thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        """Events waiting to be written."""
        return self._queue.qsize()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event submitted so far is committed; False on timeout."""
        barrier = _Barrier()
        try:
            self._queue.put(barrier, timeout=timeout)
        except queue.Full:
            return False
        return barrier.done.wait(timeout)

    def call(self, fn: Callable[[sqlite3.Connection], T], timeout: float = 10.0) -> T:
        """Run ``fn(conn)`` on the writer thread inside one transaction; return its result.

        For rare writes that are not events (enrolment); keeps a single writing connection.

        Raises:
            TimeoutError: the writer did not get to it in time.
            Exception: whatever ``fn`` raised (the transaction is rolled back).
        """
        job = _Call(fn)  # type: ignore[arg-type]
        self._queue.put(job, timeout=timeout)
        if not job.done.wait(timeout):
            raise TimeoutError(f"store writer did not run the call within {timeout}s")
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def stop(self, timeout: float = 5.0) -> None:
        """Flush everything queued so far, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("store writer did not stop within %.1fs; %d events still queued",
                      timeout, self.backlog())

    def _run(self) -> None:
        try:
            conn = connect(self.path)
            migrate(conn)
        except Exception as exc:  # reported to start()
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            stopping = False
            while not stopping:
                batch, stopping, barriers = self._gather()
                self.last_progress = time.monotonic()
                if batch:
                    self._write(conn, batch)
                for barrier in barriers:
                    if isinstance(barrier, _Call):
                        self._run_call(conn, barrier)
                    barrier.done.set()
        finally:
            conn.close()

    def _gather(self) -> tuple[list[Event], bool, list[_Barrier]]:
        """Collect one batch; a barrier ends the batch early so its waiter is not delayed."""
        batch: list[Event] = []
        barriers: list[_Barrier] = []
        deadline: float | None = None
        while len(batch) < self.batch_max:
            if deadline is None:
                timeout = 1.0
            else:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True, barriers
            if isinstance(item, _Barrier):
                barriers.append(item)
                break
            batch.append(item)  # type: ignore[arg-type]
            if deadline is None:
                deadline = time.monotonic() + self.flush_interval_s
        return batch, False, barriers

    def _write(self, conn: sqlite3.Connection, batch: list[Event]) -> None:
        t0 = time.perf_counter()
        try:
            self._transaction(conn, batch)
            written = batch
        except (sqlite3.Error, TypeError) as exc:
            log.warning("batch of %d failed (%s); retrying one by one", len(batch), exc)
            written = []
            for event in batch:
                try:
                    self._transaction(conn, [event])
                    written.append(event)
                except (sqlite3.Error, TypeError) as one_exc:
                    self.failed += 1
                    metrics.STORE_FAILED.inc()
                    log.error("could not store %s: %s; payload=%s", event.type, one_exc,
                              json.dumps(event.to_dict(), default=str))
        self.committed += len(written)
        metrics.STORE_COMMITTED.inc(len(written))
        now = datetime.now(timezone.utc)
        for event in written:
            age = (now - event.ts).total_seconds()
            metrics.EVENT_COMMIT_AGE.observe(age)
            self.commit_ages.append(age)
        metrics.STORE_BATCH_SECONDS.observe(time.perf_counter() - t0)

    @staticmethod
    def _run_call(conn: sqlite3.Connection, job: _Call) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            job.result = job.fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            conn.execute("ROLLBACK")
            job.error = exc

    def _transaction(self, conn: sqlite3.Connection, events: list[Event]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for event in events:
                insert(conn, self.site, event)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
