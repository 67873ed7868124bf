"""Circuit breaker states and call budgets, with a controlled clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from edge.identity.guard import BreakerState, CallBudget, CircuitBreaker


def test_breaker_opens_after_consecutive_failures_and_half_opens_after_reset() -> None:
    b = CircuitBreaker(failure_threshold=3, reset_after_s=30)
    b.failure(0.0)
    b.success()  # a success in between resets the count
    for t in (1.0, 2.0, 3.0):
        assert b.allow(t)
        b.failure(t, "ThrottlingException")
    assert b.state is BreakerState.OPEN and not b.allow(10.0) and b.refusing(10.0)
    assert not b.refusing(33.5)  # reset elapsed: a trial would be allowed
    assert b.allow(33.5) and b.state is BreakerState.HALF_OPEN
    assert not b.allow(33.6)  # only one trial at a time
    b.failure(34.0)  # the trial failed: open again for another reset period
    assert b.state is BreakerState.OPEN and not b.allow(50.0)
    assert b.allow(64.5)
    b.success()
    assert b.state is BreakerState.CLOSED and b.allow(64.6)
    assert b.last_error == "ThrottlingException"


def test_budget_refuses_per_window_and_rolls_over() -> None:
    now = [datetime(2026, 11, 23, 9, 0, 5, tzinfo=timezone.utc)]
    budget = CallBudget(per_minute=2, per_day=3, per_month=None, clock=lambda: now[0])
    assert [budget.try_spend() for _ in range(3)] == [None, None, "minute"]
    now[0] += timedelta(minutes=1)
    assert [budget.try_spend() for _ in range(2)] == [None, "day"]
    assert budget.used() == {"minute": 1, "day": 3, "month": 3}
    now[0] += timedelta(days=1)
    assert budget.try_spend() is None


def test_budget_seeded_after_a_restart_cannot_overspend_the_day() -> None:
    budget = CallBudget(per_minute=None, per_day=100, per_month=1000)
    budget.seed(day=100, month=400)
    assert budget.try_spend() == "day"


def test_calls_so_far_reads_the_day_and_month_from_system_metrics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edge.events import FrameStats
    from edge.identity.build import calls_so_far
    from edge.store.queries import StoreReader
    from edge.store.writer import StoreWriter

    w = StoreWriter(tmp_path / "m.db", "s")
    w.start()
    for day, calls in ((1, 7), (20, 5), (23, 3)):
        w.submit(FrameStats(camera_id="c", ts=datetime(2026, 11, day, 8, tzinfo=timezone.utc),
                            frame_id=1, processing_time_ms=1, fps=1, frames=1, cpu_usage=1,
                            gpu_memory_used=0, aws_calls=calls))
    w.submit(FrameStats(camera_id="c", ts=datetime(2026, 10, 30, tzinfo=timezone.utc),
                        frame_id=1, processing_time_ms=1, fps=1, frames=1, cpu_usage=1,
                        gpu_memory_used=0, aws_calls=100))
    w.stop()
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    assert calls_so_far(StoreReader(tmp_path / "m.db"), now) == (3, 15)
