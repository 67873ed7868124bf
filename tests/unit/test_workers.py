"""The job pool: bounded, never blocking, and a raising job releases its waiter."""

from __future__ import annotations

import threading

from edge.pipeline.workers import JobWorkers


def test_full_queue_refuses_and_failing_jobs_are_reported() -> None:
    gate = threading.Event()
    done: list[int] = []
    failed: list[int] = []

    def handle(job: int) -> None:
        gate.wait(5)
        if job == 2:
            raise ValueError("bad job")
        done.append(job)

    pool = JobWorkers("t", handle, workers=1, queue_max=2, on_error=failed.append)
    pool.start()
    assert pool.offer(1)  # taken by the worker (blocked on the gate) ...
    assert pool.drain(0.05) is False
    accepted = [pool.offer(j) for j in (2, 3, 4)]
    assert accepted.count(False) >= 1  # ... so the bounded queue fills
    gate.set()
    assert pool.drain(5)
    pool.stop()
    assert failed == [2] and 1 in done
