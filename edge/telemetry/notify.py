"""systemd notifications (``sd_notify``) and the watchdog that only pings while healthy.

The protocol is one datagram per message to the socket named by ``NOTIFY_SOCKET`` (a path, or
``@name`` for the abstract namespace); no library needed. Outside systemd every call is a
no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(message: str, env: dict[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``READY=1``) to systemd; False when not under systemd."""
    address = (env if env is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
        return True
    except OSError as exc:
        log.warning("sd_notify to %r failed: %s", address, exc)
        return False


def watchdog_interval(env: dict[str, str] | None = None) -> float | None:
    """Half of systemd's ``WATCHDOG_USEC`` in seconds (ping twice per period), or None."""
    e = env if env is not None else os.environ
    usec = e.get("WATCHDOG_USEC")
    if not usec or (e.get("WATCHDOG_PID") and e["WATCHDOG_PID"] != str(os.getpid())):
        return None
    return int(usec) / 2e6


class Watchdog:
    """Pings ``WATCHDOG=1`` only while every health check passes; says why when not.

    Args:
        checks: name -> callable returning None when healthy, else the problem.
        status: one-line summary for ``STATUS=``.
        interval_s: seconds between checks (half the watchdog period).
        send: the notifier (``notify``; tests pass their own).
    """

    def __init__(self, checks: dict[str, Callable[[], str | None]],
                 status: Callable[[], str], interval_s: float,
                 send: Callable[[str], bool] = notify) -> None:
        self.checks = checks
        self.status = status
        self.interval_s = interval_s
        self.send = send
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> None:
        """Start pinging."""
        self._thread.start()

    def stop(self) -> None:
        """Stop pinging (before a clean shutdown)."""
        self._stop.set()
        self._thread.join(2.0)

    def tick(self) -> bool:
        """Run the checks once; ping when all pass. Returns whether it pinged."""
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
        self.problems = problems
        self.send("STATUS=" + ("; ".join(problems) if problems else self.status()))
        if problems:
            return False
        return self.send("WATCHDOG=1")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()


def progress_check(last_progress: Callable[[], float], stall_s: float,
                   clock: Callable[[], float] = time.monotonic) -> Callable[[], str | None]:
    """A check that fails when ``last_progress()`` (monotonic) is older than ``stall_s``."""

    def check() -> str | None:
        age = clock() - last_progress()
        return f"no progress for {age:.0f}s" if age > stall_s else None

    return check
