"""The job pool: bounded, never blocking, and a raising job releases its waiter."""

from __future__ import annotations

import os
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


def test_workers_run_at_a_lower_priority_after_their_setup() -> None:
    """Each worker lowers its own thread's priority (Linux keeps nice per thread) and runs
    ``on_start`` first; the thread that started them keeps its priority."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[tuple[str, int]] = []

    def where() -> tuple[str, int]:
        tid = threading.get_native_id()
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, tid)

    pool = JobWorkers("low", lambda job: seen.append(where()), workers=2, queue_max=4,
                      nice=5, on_start=lambda: seen.append(("setup", 0)))
    pool.start()
    for j in range(4):
        assert pool.offer(j)
    assert pool.drain(5)
    pool.stop()
    assert seen.count(("setup", 0)) == 2
    jobs = [s for s in seen if s[0] != "setup"]
    assert len(jobs) == 4 and {p for _, p in jobs} == {min(19, base + 5)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base


def test_a_failing_setup_is_logged_and_jobs_still_run(caplog) -> None:  # type: ignore[no-untyped-def]
    done: list[int] = []

    def broken() -> None:
        raise RuntimeError("no torch")

    pool = JobWorkers("t", done.append, workers=1, queue_max=2, on_start=broken)
    pool.start()
    assert pool.offer(7) and pool.drain(5)
    pool.stop()
    assert done == [7] and "t worker setup failed" in caplog.text


def test_a_refused_priority_change_is_logged_and_jobs_still_run(
        monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """Under a seccomp filter that denies setpriority (EPERM), the workers run as before."""
    def refuse(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "setpriority", refuse)
    done: list[int] = []
    pool = JobWorkers("t", done.append, workers=1, queue_max=2, nice=5)
    pool.start()
    assert pool.offer(3) and pool.drain(5)
    pool.stop()
    assert done == [3] and "cannot lower the priority of thread" in caplog.text
