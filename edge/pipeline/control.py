"""The control poller: the daemon's once-a-second look at what operators asked for.

Each tick it (a) lets every refresher (the ANPR plate lists) re-read its table, (b) answers
``occupancy_reset_requests`` written by ``edge occupancy reset``: a request younger than
``occupancy.request_ttl_s`` is applied and marked ``applied`` (or ``failed`` with the
reason), an older one is marked ``expired`` and never applied, and (c) resets every camera's
occupancy when a time of ``occupancy.reset_at`` (local time in ``site.timezone``) has passed
since the previous tick. Settings are read on every tick, so a reload changes the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from edge.config.models import Settings
from edge.events import OccupancyReset
from edge.pipeline.reset import describe_resets
from edge.store.direct import WriteRunner
from edge.store.occupancy import RequestState, finish_reset_request
from edge.store.queries import StoreReader
from edge.threads import BackgroundThread

log = logging.getLogger(__name__)

ApplyReset = Callable[[str | None, str, str], Sequence[OccupancyReset]]
"""``apply_reset(camera_id or None, source, note)``: resets on the loop thread, emits the
events and returns them; raises ``KeyError`` (unknown camera) or ``RuntimeError``."""


class Refresher(Protocol):
    """Something that re-reads its state from the store when asked (plate lists)."""

    def check(self) -> bool:
        """Re-read; True when something changed."""
        ...


class ControlPoller(BackgroundThread):
    """One daemon thread that runs :meth:`tick` every ``period_s`` seconds.

    Args:
        apply_reset: resets occupancy (the daemon's ``App.reset_occupancy``).
        reader: read-only queries on the daemon's database.
        run_write: the store writer's ``call``.
        settings: returns the settings in force (read on every tick).
        refreshers: called first on every tick.
        period_s: seconds between ticks.
    """

    def __init__(self, apply_reset: ApplyReset, reader: StoreReader, run_write: WriteRunner,
                 settings: Callable[[], Settings], refreshers: Sequence[Refresher] = (),
                 *, period_s: float = 1.0) -> None:
        self.apply_reset = apply_reset
        self.reader = reader
        self.run_write = run_write
        self.settings = settings
        self.refreshers = list(refreshers)
        self.period_s = period_s
        self._previous: datetime | None = None
        self._fired: set[tuple[date, str]] = set()
        self._answered: dict[int, tuple[RequestState, str]] = {}
        super().__init__("control", stop_timeout_s=6.0)

    def _run(self) -> None:
        while True:
            try:
                self.tick(datetime.now(timezone.utc))
            except Exception:  # one bad tick must not end operator control
                log.exception("control tick failed; continuing")
            if self._stop.wait(self.period_s):
                return

    def tick(self, now: datetime) -> None:
        """Do one round of checks as of ``now`` (an aware datetime; tests pass a fake clock).

        Each part runs even when an earlier one failed (the failure is logged).
        """
        settings = self.settings()
        for refresher in self.refreshers:
            try:
                refresher.check()
            except Exception:
                log.exception("refresh failed")
        try:
            self._answer_requests(now, settings.occupancy.request_ttl_s)
        except Exception:
            log.exception("could not answer occupancy reset requests")
        due = self._due(now, settings)
        if due is not None:
            self._reset("schedule", None, f"scheduled {due}")

    def _answer_requests(self, now: datetime, ttl_s: float) -> None:
        pending = self.reader.pending_reset_requests()
        ids = {int(r["id"]) for r in pending}
        self._answered = {k: v for k, v in self._answered.items() if k in ids}
        for req in pending:
            rid = int(req["id"])
            # A request applied on an earlier tick whose marking failed is only marked now:
            # never applied twice.
            answer = self._answered.get(rid)
            if answer is None:
                at = _utc(req["requested_at"])
                if at is None:
                    answer = ("failed", f"requested_at {req['requested_at']!r} is not an "
                                        f"ISO-8601 time")
                elif (now - at).total_seconds() > ttl_s:
                    answer = ("expired", f"no daemon applied it within {ttl_s:g}s")
                    log.warning("occupancy reset request %d expired unapplied (%.0fs old)",
                                rid, (now - at).total_seconds())
                else:
                    answer = self._reset("cli", req["camera_id"], req["note"] or "")
                self._answered[rid] = answer
            self.run_write(lambda conn, i=rid, a=answer: finish_reset_request(
                conn, i, a[0], a[1], now.isoformat()))
            del self._answered[rid]

    def _reset(self, source: str, camera_id: str | None,
               note: str) -> tuple[RequestState, str]:
        try:
            events = self.apply_reset(camera_id, source, note)
        except Exception as exc:  # answered as failed: a retry might reset twice
            reason = str(exc.args[0]) if exc.args else type(exc).__name__
            log.error("occupancy reset (%s, %s) failed: %s", source, camera_id or "all",
                      reason, exc_info=not isinstance(exc, (KeyError, RuntimeError)))
            return "failed", reason
        outcome = describe_resets(events, 0 if camera_id is None else None)
        log.info("occupancy reset (%s%s): %s", source, f", {note}" if note else "", outcome)
        return "applied", outcome

    def _due(self, now: datetime, settings: Settings) -> str | None:
        """The latest ``reset_at`` time passed in (previous tick, now], once per day and time.

        Compared on the local wall clock, so a time skipped by a daylight-saving jump still
        fires and one repeated when clocks go back fires once.
        """
        previous, self._previous = self._previous, now
        times = settings.occupancy.reset_times()
        if previous is None or not times:
            return None
        zone = ZoneInfo(settings.site.timezone)
        start = previous.astimezone(zone).replace(tzinfo=None)
        end = now.astimezone(zone).replace(tzinfo=None)
        if end <= start:
            return None
        due: str | None = None
        day = max(start.date(), end.date() - timedelta(days=1))  # at most the last 24 h
        while day <= end.date():
            for t in times:
                at = datetime.combine(day, t)
                key = (day, t.strftime("%H:%M"))
                if start < at <= end and key not in self._fired:
                    self._fired.add(key)
                    due = key[1]
            day += timedelta(days=1)
        self._fired = {k for k in self._fired if k[0] >= end.date() - timedelta(days=2)}
        return due


def _utc(text: str) -> datetime | None:
    """A stored ISO time as an aware datetime (no zone means UTC); None if unreadable."""
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
