"""Per-track identity cache and the policy that decides when to ask a backend.

One entry per (camera, track id). A confirmed name is served from the cache for ``ttl_s``
at no cost (``source: cache``). Until then the track is asked about at most every
``retry_interval_s`` and at most ``max_attempts`` times; ``no_match`` answers are remembered
too. A name is confirmed only after ``confirmations`` answers agree on the same employee, so
one bad frame cannot name a stranger. Entries are dropped when the track ends.

A confirmed name can be put in doubt (:meth:`TrackIdentityCache.doubt`: the tracker may have
handed the id to someone else). It is then served at ``doubt_confidence`` times its
confidence and the track is asked again (at most ``max_reasks`` times per track); an answer
naming the same employee lifts the doubt, ``confirmations`` answers naming another employee
replace the name and leave a :class:`Correction` for the caller to re-attribute what was done
under the old name since the doubt began. Three rules keep re-asks to those that can tell
something:

* a doubt whose events all happened before the current name was given (``last``) is dropped:
  that answer came from a face seen after them;
* with ``reask_after_no_match`` off, a re-ask answered ``no_match`` (face turned away) is
  not repeated for the same doubt: the doubted name is served until something new happens
  (another doubt, a namesake);
* two named tracks doubted by the same overlap, each looking like the other did (a suspected
  id swap, ``partner``), are resolved with one call: only one is asked, and when it names the
  other's employee, the other gets its old name without a call (a ``swap_partner``
  :class:`Correction`, :meth:`TrackIdentityCache.take_partner_correction`); when it keeps its
  own name, both doubts are lifted.
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
    max_reasks: int = 0
    """Backend calls per track allowed for doubted names (0: a doubt only lowers
    confidence)."""
    doubt_confidence: float = 0.5
    """A doubted name is served with its confidence multiplied by this."""
    reask_after_no_match: bool = True
    """Re-ask a doubt again after a re-ask answered ``no_match`` (False: only on news)."""


@dataclass(frozen=True)
class Correction:
    """A doubted name replaced by another: what was done as ``old`` since ``since`` belongs
    to ``new``."""

    old: Identification
    new: Identification
    since: float
    reason: str


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
    doubt_since: float | None = None
    doubt_reason: str = ""
    reasks: int = 0
    reask_pending: bool = False
    reask_answers: list[Identification] = field(default_factory=list)
    correction: Correction | None = None
    parked: bool = False
    """A re-ask for the current doubt was answered ``no_match``: no more until news."""
    partner: int | None = None
    """The track of the same camera this one seems to have swapped ids with."""
    partner_fix: tuple[TrackKey, Correction] | None = None
    """The partner's name this track's answer corrected, for the caller."""


class TrackIdentityCache:
    """Thread-safe cache; the clock is passed in so tests and replays control time."""

    def __init__(self, policy: CachePolicy | None = None) -> None:
        self.policy = policy or CachePolicy()
        self._entries: dict[TrackKey, _Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.reasks = 0
        """Calls made for doubted names (part of ``misses``)."""
        self.namesakes = 0
        """Names put in doubt because another track of the camera got the same name."""
        self.stale_doubts = 0
        """Doubts dropped: the name was given from a face seen after the events behind them."""
        self.inferred = 0
        """Swap partners corrected or cleared without a call."""

    def decide(self, key: TrackKey, now: float, can_ask: bool = True,
               ) -> tuple[Action, Identification | None]:
        """Whether to call the backend for this track; with the answer to show meanwhile.

        ``can_ask`` False (the face is not clear now, e.g. another person overlaps it) never
        asks: the track waits without spending an attempt."""
        p = self.policy
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            if entry.confirmed is not None and now - entry.confirmed_at < p.ttl_s:
                if entry.doubt_since is None:
                    self.hits += 1
                    return Action.CACHED, _as_cached(entry.confirmed)
                if (can_ask and entry.reasks < p.max_reasks and not entry.parked
                        and now - entry.last_attempt >= p.retry_interval_s
                        and not self._partner_asking(key, entry)):
                    self.misses += 1
                    self.reasks += 1
                    entry.reasks += 1
                    entry.reask_pending = True
                    entry.last_attempt = now
                    return Action.ASK, None
                self.hits += 1
                return Action.CACHED, self._doubted(entry.confirmed)
            if entry.confirmed is not None:  # expired: ask again from scratch
                entry.expired = entry.confirmed
                entry.confirmed, entry.answers, entry.attempts = None, [], 0
                self._clear_doubt(entry)
            last = entry.answers[-1] if entry.answers else None
            if entry.attempts >= p.max_attempts:
                self.hits += 1
                return Action.GIVE_UP, _as_cached(last) if last else None
            if not can_ask or now - entry.last_attempt < p.retry_interval_s:
                return Action.WAIT, _as_cached(last) if last else None
            self.misses += 1
            entry.attempts += 1
            entry.last_attempt = now
            return Action.ASK, None

    def record(self, key: TrackKey, answer: Identification, now: float) -> Identification:
        """Store a backend answer; return what to report (named only once confirmed)."""
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            if entry.reask_pending:
                return self._record_reask(key, entry, answer, now)
            entry.answers.append(answer)
            if not answer.matched:  # no_match and error both count as spent attempts
                return answer
            votes = Counter(a.employee_id for a in entry.answers if a.matched)
            top, count = votes.most_common(1)[0]
            if top == answer.employee_id and count >= self.policy.confirmations:
                entry.confirmed, entry.confirmed_at = answer, now
                if self.policy.max_reasks:
                    self._doubt_namesakes(key, answer, now)
                return answer
            return Identification(None, "Unknown", 0.0, answer.distance, "no_match")

    def _doubt_namesakes(self, key: TrackKey, answer: Identification, now: float) -> None:
        """One person cannot be two tracks of one camera: another track confirmed as the
        same employee has the wrong name now (or this one has): doubt it (or, when it is in
        doubt already and its re-ask found no face, ask it again)."""
        for other, entry in self._entries.items():
            if (other != key and other[0] == key[0] and entry.confirmed is not None
                    and entry.confirmed.employee_id == answer.employee_id):
                if entry.doubt_since is None:
                    entry.doubt_since, entry.doubt_reason = now, "namesake"
                    entry.reask_answers, entry.partner = [], None
                    self.namesakes += 1
                elif entry.parked:
                    entry.parked = False
                    self.namesakes += 1

    def _partner_asking(self, key: TrackKey, entry: _Entry) -> bool:
        """Whether this track's swap partner is being asked now (its answer may settle both:
        do not pay twice)."""
        mate = self._mate(key, entry)
        return mate is not None and mate[1].reask_pending

    def _mate(self, key: TrackKey, entry: _Entry) -> tuple[TrackKey, _Entry] | None:
        """The partner of a doubted track when the same overlap doubted both, each naming the
        other (a suspected swap), and both names are still in doubt."""
        if entry.partner is None or entry.doubt_since is None:
            return None
        other_key = (key[0], entry.partner)
        other = self._entries.get(other_key)
        if (other is None or other.partner != key[1] or other.doubt_since is None
                or other.confirmed is None or entry.confirmed is None
                or other.confirmed.employee_id == entry.confirmed.employee_id):
            return None
        return other_key, other

    def _settle_partner(self, key: TrackKey, entry: _Entry, old: Identification,
                        answer: Identification, now: float) -> None:
        """This track of a swap pair was answered by name (before its entry changes): if it
        kept its name, its partner keeps its own; if it has its partner's name, the partner
        has this track's old one. A partner being asked itself is left to its own answer."""
        mate = self._mate(key, entry)
        if mate is None or mate[1].reask_pending:
            return
        other_key, other = mate
        mine = other.confirmed
        assert mine is not None  # _mate checked
        if answer.employee_id == old.employee_id:
            self._clear_doubt(other)
            self.inferred += 1
        elif answer.employee_id == mine.employee_id:
            fix = Correction(mine, old, other.doubt_since or now, "swap_partner")
            entry.partner_fix = (other_key, fix)
            other.confirmed, other.confirmed_at, other.answers = old, now, [old]
            self._clear_doubt(other)
            self.inferred += 1
        else:
            other.partner = None  # a third person: the partner must be asked itself

    @staticmethod
    def _clear_doubt(entry: _Entry) -> None:
        entry.doubt_since, entry.reask_answers = None, []
        entry.parked, entry.partner = False, None

    def _record_reask(self, key: TrackKey, entry: _Entry, answer: Identification, now: float
                      ) -> Identification:
        entry.reask_pending = False
        old = entry.confirmed
        if old is None or entry.doubt_since is None:  # expired or ended meanwhile
            return answer
        if not answer.matched:  # face turned away, or a stranger: the doubt stays
            entry.parked = not self.policy.reask_after_no_match
            return self._doubted(old)
        if answer.employee_id == old.employee_id:
            self._settle_partner(key, entry, old, answer, now)
            self._clear_doubt(entry)
            entry.confirmed, entry.confirmed_at = answer, now
            return answer
        entry.reask_answers.append(answer)
        votes = Counter(a.employee_id for a in entry.reask_answers)
        if votes[answer.employee_id] < self.policy.confirmations:
            return self._doubted(old)
        self._settle_partner(key, entry, old, answer, now)
        entry.correction = Correction(old, answer, entry.doubt_since, entry.doubt_reason)
        self._doubt_namesakes(key, answer, now)
        entry.confirmed, entry.confirmed_at = answer, now
        entry.answers = [answer]
        self._clear_doubt(entry)
        return answer

    def doubt(self, key: TrackKey, now: float, reason: str, last: float | None = None,
              partner: int | None = None) -> bool:
        """Put a track's confirmed name in doubt (see the module docstring) since ``now``,
        the first event behind it; ``last`` is the latest (None: ``now``), ``partner`` the
        track of the same camera it seems to have swapped ids with. True when the name was
        confirmed before ``last`` and not already in doubt, or in doubt with a re-ask that
        found no face (asked again)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.confirmed is None:
                return False
            if entry.confirmed_at >= (now if last is None else last):
                self.stale_doubts += 1
                return False
            if entry.doubt_since is not None:
                if not entry.parked:
                    return False
                entry.parked = False  # something new: worth another look
                return True
            entry.doubt_since, entry.doubt_reason = now, reason
            entry.reask_answers, entry.partner = [], partner
            return True

    def in_doubt(self, key: TrackKey) -> bool:
        """Whether the track's name is confirmed but in doubt."""
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry.doubt_since is not None

    def take_correction(self, key: TrackKey) -> Correction | None:
        """The name change the last answer made, once (None when there was none)."""
        return self._take(key, "correction")  # type: ignore[no-any-return]

    def take_partner_correction(self, key: TrackKey) -> tuple[TrackKey, Correction] | None:
        """The swap partner's name the last answer for ``key`` corrected without a call:
        (partner's key, correction), once (None when there was none)."""
        return self._take(key, "partner_fix")  # type: ignore[no-any-return]

    def _take(self, key: TrackKey, field_name: str) -> object:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            found = getattr(entry, field_name)
            setattr(entry, field_name, None)
            return found

    def refund(self, key: TrackKey) -> None:
        """Give back the attempt of an ASK that made no backend call (gate refused the crop,
        breaker open, budget spent, queue full); the retry interval still applies."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            if entry.reask_pending:
                entry.reask_pending = False
                entry.reasks = max(entry.reasks - 1, 0)
            elif entry.attempts > 0:
                entry.attempts -= 1

    def _doubted(self, answer: Identification) -> Identification:
        return Identification(answer.employee_id, answer.name,
                              round(answer.confidence * self.policy.doubt_confidence, 2),
                              answer.distance, "cache")

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
