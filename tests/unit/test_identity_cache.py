"""Per-track identity cache: one call per person, no stranger named on one frame."""

from __future__ import annotations

import pytest

from edge.identity.answer import Identification
from edge.identity.cache import Action, CachePolicy, TrackIdentityCache

ASHA = Identification("E1", "Asha", 93.0, 0.3, "local")
RAVI = Identification("E2", "Ravi", 91.0, 0.35, "local")
NOBODY = Identification(None, "Unknown", 0.0, 0.8, "no_match")
ERROR = Identification(None, "Unknown", 0.0, None, "error")
KEY = ("gate", 7)


def replay(cache: TrackIdentityCache, answers: list[Identification], frames: int,
           fps: float = 10.0) -> tuple[int, list[str]]:
    """Feed a track for ``frames`` frames; the backend gives ``answers`` in order."""
    calls, shown = 0, []
    for i in range(frames):
        now = i / fps
        action, cached = cache.decide(KEY, now)
        if action is Action.ASK:
            answer = answers[min(calls, len(answers) - 1)]
            calls += 1
            shown.append(cache.record(KEY, answer, now).source)
        else:
            shown.append(cached.source if cached else "-")
    return calls, shown


def test_known_person_costs_one_call_and_is_served_from_cache() -> None:
    cache = TrackIdentityCache(CachePolicy())
    calls, shown = replay(cache, [ASHA], frames=300)  # 30 s in view
    assert calls == 1
    assert shown[0] == "local" and set(shown[1:]) == {"cache"}
    assert cache.confirmed(KEY) == ASHA


def test_stranger_is_asked_a_bounded_number_of_times() -> None:
    cache = TrackIdentityCache(CachePolicy(retry_interval_s=2.0, max_attempts=3))
    calls, shown = replay(cache, [NOBODY], frames=600)
    assert calls == 3 and cache.confirmed(KEY) is None
    assert shown[-1] == "no_match"


@pytest.mark.parametrize(("answers", "confirmations", "named_after_calls"), [
    ([ASHA], 1, 1),
    ([ASHA, ASHA], 2, 2),
    ([RAVI, ASHA, ASHA], 2, 3),  # one bad frame named Ravi; Asha needs two agreeing answers
    ([NOBODY, ASHA, ASHA], 2, 3),
])
def test_a_name_needs_agreeing_answers(answers: list[Identification], confirmations: int,
                                       named_after_calls: int) -> None:
    cache = TrackIdentityCache(CachePolicy(confirmations=confirmations, max_attempts=5,
                                           retry_interval_s=0.5))
    shown = []
    for i, answer in enumerate(answers):
        action, _ = cache.decide(KEY, float(i))
        assert action is Action.ASK
        shown.append(cache.record(KEY, answer, float(i)))
    assert [a.employee_id for a in shown][:named_after_calls - 1].count("E1") == 0
    assert shown[named_after_calls - 1].employee_id == "E1"
    assert cache.confirmed(KEY) is not None and cache.confirmed(KEY).employee_id == "E1"


def test_single_bad_frame_never_names_a_stranger_with_two_confirmations() -> None:
    cache = TrackIdentityCache(CachePolicy(confirmations=2, max_attempts=4, retry_interval_s=0))
    for i, answer in enumerate([RAVI, NOBODY, NOBODY, NOBODY]):
        cache.decide(KEY, float(i))
        assert not cache.record(KEY, answer, float(i)).matched
    assert cache.confirmed(KEY) is None


def test_cache_expires_after_ttl_and_asks_again() -> None:
    cache = TrackIdentityCache(CachePolicy(ttl_s=60))
    assert cache.decide(KEY, 0.0)[0] is Action.ASK
    cache.record(KEY, ASHA, 0.0)
    assert cache.decide(KEY, 59.0)[0] is Action.CACHED
    assert cache.decide(KEY, 61.0)[0] is Action.ASK


def test_errors_count_as_attempts_so_an_outage_costs_a_bounded_number_of_calls() -> None:
    cache = TrackIdentityCache(CachePolicy(max_attempts=2, retry_interval_s=0))
    calls, shown = replay(cache, [ERROR], frames=50)
    assert calls == 2 and "error" in shown


def test_entries_end_with_their_track() -> None:
    cache = TrackIdentityCache()
    for tid in (1, 2, 3):
        cache.decide(("gate", tid), 0.0)
    cache.decide(("yard", 1), 0.0)
    assert cache.end_tracks({("gate", 2)}, "gate") == 2
    assert len(cache) == 2 and cache.confirmed(("gate", 2)) is None


def test_hits_and_misses_are_counted() -> None:
    cache = TrackIdentityCache()
    replay(cache, [ASHA], frames=10)
    assert (cache.misses, cache.hits) == (1, 9)
