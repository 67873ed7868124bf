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
