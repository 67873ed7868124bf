"""What keeps cloud calls cheap and safe: call budgets and a circuit breaker.

Both take the clock as an argument so tests and replays control time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from enum import IntEnum

from edge.telemetry import metrics


class BreakerState(IntEnum):
    """Circuit breaker states (the values are the exported gauge)."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Stops calling a failing backend; lets one trial call through after ``reset_after_s``.

    Closed: calls go through; ``failure_threshold`` failures in a row open it. Open: calls are
    refused until ``reset_after_s`` has passed, then one trial is allowed (half-open). The
    trial's success closes it; its failure opens it again for another ``reset_after_s``.

    Example:
        >>> b = CircuitBreaker(failure_threshold=2, reset_after_s=10)
        >>> b.failure(0.0); b.failure(1.0); b.allow(2.0)
        False
        >>> b.allow(11.5), b.allow(11.6)  # one trial, then wait for its answer
        (True, False)
    """

    def __init__(self, failure_threshold: int = 5, reset_after_s: float = 30.0) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.last_error = ""
        self._trial_out = False
        self._lock = threading.Lock()

    def allow(self, now: float) -> bool:
        """Whether a call may be made now (in half-open, only one trial at a time)."""
        with self._lock:
            if self.state is BreakerState.CLOSED:
                return True
            if self.state is BreakerState.OPEN and now - self.opened_at >= self.reset_after_s:
                self._set(BreakerState.HALF_OPEN)
            if self.state is BreakerState.HALF_OPEN and not self._trial_out:
                self._trial_out = True
                return True
            return False

    def refusing(self, now: float) -> bool:
        """True when a call now would be refused (without taking the half-open trial)."""
        with self._lock:
            if self.state is BreakerState.OPEN:
                return now - self.opened_at < self.reset_after_s
            return self.state is BreakerState.HALF_OPEN and self._trial_out

    def success(self) -> None:
        """The call worked: close."""
        with self._lock:
            self.failures = 0
            self._trial_out = False
            self._set(BreakerState.CLOSED)

    def failure(self, now: float, error: str = "") -> None:
        """The call failed (error, throttling, timeout): count it, open when due."""
        with self._lock:
            self.failures += 1
            self.last_error = error or self.last_error
            if self.state is BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
                self.opened_at = now
                self._trial_out = False
                self._set(BreakerState.OPEN)

    @property
    def is_open(self) -> bool:
        """True while calls are being refused (open, or half-open with a trial out)."""
        return self.state is not BreakerState.CLOSED

    def _set(self, state: BreakerState) -> None:
        self.state = state
        metrics.IDENTITY_BREAKER_STATE.set(int(state))


def _windows(ts: datetime) -> dict[str, str]:
    u = ts.astimezone(timezone.utc)
    return {"minute": u.strftime("%Y-%m-%dT%H:%M"), "day": u.strftime("%Y-%m-%d"),
            "month": u.strftime("%Y-%m")}


class CallBudget:
    """Most cloud calls per calendar minute, day and month (UTC); ``None`` = unlimited.

    ``try_spend`` counts a call only when every window still has room, so a refused call costs
    nothing. Counts start at zero with the process; ``seed`` restores them after a restart
    (from the ``system_metrics`` rows) so a restart loop cannot overspend a day's budget.
    """

    def __init__(self, per_minute: int | None = 60, per_day: int | None = 5_000,
                 per_month: int | None = 100_000,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.limits = {"minute": per_minute, "day": per_day, "month": per_month}
        self.clock = clock
        self._keys: dict[str, str] = {}
        self._used: dict[str, int] = {"minute": 0, "day": 0, "month": 0}
        self._lock = threading.Lock()

    def try_spend(self) -> str | None:
        """Spend one call; return None if allowed, else the name of the spent window."""
        with self._lock:
            self._roll()
            for window, limit in self.limits.items():
                if limit is not None and self._used[window] >= limit:
                    metrics.IDENTITY_BUDGET_REFUSED.labels(window).inc()
                    return window
            for window in self._used:
                self._used[window] += 1
            return None

    def seed(self, day: int = 0, month: int = 0) -> None:
        """Start from calls already made today / this month (after a restart)."""
        with self._lock:
            self._roll()
            self._used["day"] = max(self._used["day"], day)
            self._used["month"] = max(self._used["month"], month)

    def used(self) -> dict[str, int]:
        """Calls counted in the current minute, day and month."""
        with self._lock:
            self._roll()
            return dict(self._used)

    def _roll(self) -> None:
        keys = _windows(self.clock())
        for window, key in keys.items():
            if self._keys.get(window) != key:
                self._keys[window] = key
                self._used[window] = 0
