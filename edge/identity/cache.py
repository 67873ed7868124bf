"""Per-track identity cache and the policy that decides when to ask a backend.

One entry per (camera, track id). A confirmed name is served from the cache for ``ttl_s``
at no cost (``source: cache``). Until then the track is asked about at most every
``retry_interval_s`` and at most ``max_attempts`` times; ``no_match`` answers are remembered
too. A name is confirmed only after ``confirmations`` answers agree on the same employee, so
one bad frame cannot name a stranger. Entries are dropped when the track ends.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from edge.identity.answer import Identification

TrackKey = tuple[str, int]
"""(camera_id, tracker_id)"""


@dataclass(frozen=True)
class CachePolicy:
    """How often to ask and how sure to be (defaults: one call per person, about)."""

    ttl_s: float = 600.0
    retry_interval_s: float = 2.0
    max_attempts: int = 2
    confirmations: int = 1
    """Agreeing answers needed before a name counts (raise it for cheap local backends)."""


class Action(Enum):
    """What to do with a person track right now."""

    ASK = "ask"  # send the face to the backend
    CACHED = "cached"  # a confirmed answer exists: serve it, free
    WAIT = "wait"  # asked recently without a confirmed answer: not yet
    GIVE_UP = "give_up"  # attempts used up: the track stays unknown


@dataclass
class _Entry:
    answers: list[Identification] = field(default_factory=list)
    confirmed: Identification | None = None
    confirmed_at: float = 0.0
    expired: Identification | None = None  # last confirmed name, for outage fallback
    attempts: int = 0
    last_attempt: float = float("-inf")


class TrackIdentityCache:
    """Thread-safe cache; the clock is passed in so tests and replays control time."""

    def __init__(self, policy: CachePolicy | None = None) -> None:
        self.policy = policy or CachePolicy()
        self._entries: dict[TrackKey, _Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def decide(self, key: TrackKey, now: float) -> tuple[Action, Identification | None]:
        """Whether to call the backend for this track; with the answer to show meanwhile."""
        p = self.policy
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            if entry.confirmed is not None and now - entry.confirmed_at < p.ttl_s:
                self.hits += 1
                return Action.CACHED, _as_cached(entry.confirmed)
            if entry.confirmed is not None:  # expired: ask again from scratch
                entry.expired = entry.confirmed
                entry.confirmed, entry.answers, entry.attempts = None, [], 0
            last = entry.answers[-1] if entry.answers else None
            if entry.attempts >= p.max_attempts:
                self.hits += 1
                return Action.GIVE_UP, _as_cached(last) if last else None
            if now - entry.last_attempt < p.retry_interval_s:
                return Action.WAIT, _as_cached(last) if last else None
            self.misses += 1
            entry.attempts += 1
            entry.last_attempt = now
            return Action.ASK, None

    def record(self, key: TrackKey, answer: Identification, now: float) -> Identification:
        """Store a backend answer; return what to report (named only once confirmed)."""
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            entry.answers.append(answer)
            if not answer.matched:  # no_match and error both count as spent attempts
                return answer
            votes = Counter(a.employee_id for a in entry.answers if a.matched)
            top, count = votes.most_common(1)[0]
            if top == answer.employee_id and count >= self.policy.confirmations:
                entry.confirmed, entry.confirmed_at = answer, now
                return answer
            return Identification(None, "Unknown", 0.0, answer.distance, "no_match")

    def refund(self, key: TrackKey) -> None:
        """Give back the attempt of an ASK that made no backend call (gate refused the crop,
        breaker open, budget spent, queue full); the retry interval still applies."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.attempts > 0:
                entry.attempts -= 1

    def confirmed(self, key: TrackKey) -> Identification | None:
        """The confirmed identity of a track, if any (attendance reads this)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry.confirmed if entry else None

    def last_known(self, key: TrackKey) -> Identification | None:
        """The confirmed name, or the one that expired last (served while a backend is down)."""
        with self._lock:
            entry = self._entries.get(key)
            return (entry.confirmed or entry.expired) if entry else None

    def end_tracks(self, alive: set[TrackKey], camera_id: str) -> int:
        """Drop entries of ``camera_id`` whose track is no longer alive; return how many."""
        with self._lock:
            gone = [k for k in self._entries if k[0] == camera_id and k not in alive]
            for k in gone:
                del self._entries[k]
            return len(gone)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _as_cached(answer: Identification) -> Identification:
    if answer.source == "error":
        return answer
    return Identification(answer.employee_id, answer.name, answer.confidence, answer.distance,
                          "cache" if answer.matched else "no_match")
