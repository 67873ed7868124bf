"""The systemd watchdog: ``WATCHDOG=1`` only while the daemon's workers make progress.

Three threads must keep moving for the daemon to be useful: the inference loop, the store
writer and the capture supervisor. Each stamps ``last_progress`` (``time.monotonic()``) once
per pass, idle or not, and has an ``alive`` property. When any thread died or has not passed
for ``stall_s``, pings stop (so systemd restarts the service after ``WatchdogSec``) and
``STATUS=`` names what stalled. A camera that is merely down is not a stall: the supervisor
reconnects it, and a restart would not bring it back sooner.

Example:
    >>> import time
    >>> class Loop:
    ...     last_progress = time.monotonic()
    ...     alive = True
    >>> dog = Watchdog(progress_checks(30.0, {"inference loop": Loop()}), lambda: "ok",
    ...                interval_s=1.0, ping=True, send=lambda m: True)
    >>> dog.tick()
    True
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from edge.telemetry.notify import notify
from edge.threads import BackgroundThread

log = logging.getLogger(__name__)

Check = Callable[[], "str | None"]
"""Returns None while healthy, else a short description of the problem."""


class Progressing(Protocol):
    """What a watched worker exposes (``InferenceLoop``, ``StoreWriter``,
    ``CaptureSupervisor``)."""

    last_progress: float

    @property
    def alive(self) -> bool:
        """Whether its thread runs."""
        ...


def progress_check(last_progress: Callable[[], float], stall_s: float,
                   clock: Callable[[], float] = time.monotonic,
                   alive: Callable[[], bool] | None = None) -> Check:
    """A check that fails when the thread died or ``last_progress()`` is older than
    ``stall_s`` seconds.

    Args:
        last_progress: monotonic time of the worker's last pass.
        stall_s: how long without a pass counts as a stall.
        clock: the monotonic clock (tests pass their own).
        alive: optional thread-liveness probe; a dead thread fails at once.
    """

    def check() -> str | None:
        if alive is not None and not alive():
            return "thread not running"
        age = clock() - last_progress()
        return f"no progress for {age:.0f}s" if age > stall_s else None

    return check


def progress_checks(stall_s: float, workers: Mapping[str, Progressing | None],
                    clock: Callable[[], float] = time.monotonic) -> dict[str, Check]:
    """One ``progress_check`` per worker (``None`` workers are left out).

    Args:
        stall_s: how long without a pass counts as a stall.
        workers: display name -> worker with ``last_progress`` and ``alive``.
        clock: the monotonic clock.
    """
    checks: dict[str, Check] = {}
    for name, worker in workers.items():
        if worker is None:
            continue
        checks[name] = progress_check(lambda w=worker: w.last_progress, stall_s, clock,
                                      alive=lambda w=worker: bool(w.alive))
    return checks


class Watchdog(BackgroundThread):
    """Every ``interval_s``: run the checks, send ``STATUS=``, and ``WATCHDOG=1`` when all pass.

    Args:
        checks: name -> check (None when healthy, else the problem).
        status: one-line summary for ``STATUS=`` while healthy.
        interval_s: seconds between ticks (half the watchdog period, see
            ``watchdog_interval``).
        ping: send ``WATCHDOG=1`` (False: only keep ``STATUS=`` current, for units without
            ``WatchdogSec``).
        send: the notifier (``notify``; tests pass their own).
    """

    def __init__(self, checks: Mapping[str, Check], status: Callable[[], str],
                 interval_s: float, *, ping: bool = True,
                 send: Callable[[str], bool] = notify) -> None:
        self.checks = dict(checks)
        self.status = status
        self.interval_s = interval_s
        self.ping = ping
        self.send = send
        self.problems: list[str] = []
        super().__init__("watchdog", stop_timeout_s=2.0)

    def tick(self) -> bool:
        """Run the checks once and notify. Returns whether ``WATCHDOG=1`` was sent."""
        problems = []
        for name, check in self.checks.items():
            try:
                why = check()
            except Exception as exc:  # a failing check is a failed check
                why = f"check raised {exc!r}"
            if why:
                problems.append(f"{name}: {why}")
        if problems and problems != self.problems:
            log.error("watchdog withheld: %s", "; ".join(problems))
        elif self.problems and not problems:
            log.info("watchdog: every worker makes progress again")
        self.problems = problems
        try:
            summary = self.status()
        except Exception as exc:
            summary = f"status unavailable ({exc!r})"
        self.send("STATUS=" + ("STALLED " + "; ".join(problems) if problems else summary))
        if problems or not self.ping:
            return False
        return self.send("WATCHDOG=1")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()
