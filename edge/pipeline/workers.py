"""A small pool of worker threads fed by a bounded queue (identity and ANPR jobs).

``offer`` never blocks: a full queue refuses the job and the caller counts the drop. A job
that raises is logged and ``on_error`` is told, so its waiter is released; the pool goes on.

Workers may run at a lower CPU priority than the inference loop (``nice``): on a box whose
cores are all busy, the loop's frames then come first and the jobs, which can wait, take
what is left (README "Counting first: background work yields").
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")


class JobWorkers(Generic[J]):
    """``workers`` threads running ``handle(job)`` for jobs from a queue of ``queue_max``.

    Args:
        name: thread name prefix.
        handle: does one job (on a worker thread).
        on_error: called with a job whose ``handle`` raised (release its waiters).
        nice: how much lower each worker thread's CPU priority is than the thread that
            starts it (Linux ``nice``, 0-19; 0: the same).
        on_start: called first on each worker thread (per-thread settings, such as torch's
            thread count).
    """

    def __init__(self, name: str, handle: Callable[[J], None], workers: int, queue_max: int,
                 on_error: Callable[[J], None] | None = None, *, nice: int = 0,
                 on_start: Callable[[], None] | None = None) -> None:
        self.name = name
        self.handle = handle
        self.on_error = on_error
        self.nice = nice
        self.on_start = on_start
        self.count = workers
        self._queue: queue.Queue[J | None] = queue.Queue(maxsize=queue_max)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads."""
        for i in range(self.count):
            t = threading.Thread(target=self._run, name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def offer(self, job: J) -> bool:
        """Queue a job without waiting; False when the queue is full."""
        try:
            self._queue.put_nowait(job)
            return True
        except queue.Full:
            return False

    def stop(self, timeout: float = 3.0) -> None:
        """Stop after the jobs already queued (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            try:
                self._queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                break
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def discard(self) -> int:
        """Take every queued job off the queue unrun (``on_error`` releases its waiters, as
        for a job that failed), so that ``stop`` waits only for the jobs in progress; the
        number of jobs taken."""
        taken = 0
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return taken
            try:
                if job is not None:
                    taken += 1
                    if self.on_error is not None:
                        self.on_error(job)
            finally:
                self._queue.task_done()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued job is done (replays and tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.002)
        return not self._queue.unfinished_tasks

    def _run(self) -> None:
        lower_priority(self.nice)
        if self.on_start is not None:
            try:
                self.on_start()
            except Exception:
                log.exception("%s worker setup failed; running without it", self.name)
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                try:
                    self.handle(job)
                except Exception:
                    log.exception("%s job failed", self.name)
                    if self.on_error is not None:
                        self.on_error(job)
            finally:
                self._queue.task_done()


def lower_priority(nice: int) -> int:
    """Lower the calling thread's CPU priority by ``nice`` (Linux keeps ``nice`` per thread;
    a thread it starts inherits it); return its nice value now. Lowering needs no privilege;
    where the system refuses, it is logged, nothing changes and 0 is returned.

    >>> import threading
    >>> seen = []
    >>> t = threading.Thread(target=lambda: seen.append(lower_priority(0)))
    >>> t.start(); t.join()
    >>> seen == [os.getpriority(os.PRIO_PROCESS, 0)]
    True
    """
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        if nice > 0:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + nice))
            now = os.getpriority(os.PRIO_PROCESS, tid)
    except OSError as exc:  # a seccomp filter that denies it (systemd/edge.service allows it)
        log.warning("cannot lower the priority of thread %s: %s", tid, exc)
        return 0
    return now
