"""The identity cache's doubts: what a re-ask answer does, budgets, stale doubts, swap pairs
settled with one call, and the no-match option (the switch watch and the service that feed
it: ``test_identity_switches.py``)."""

from __future__ import annotations

import pytest

from edge.identity.answer import Identification
from edge.identity.cache import Action, CachePolicy, TrackIdentityCache


@pytest.mark.parametrize("answer,confirmed,doubted", [
    (Identification("E1", "Ann", 96.0, 0.2, "aws"), "E1", False),  # same: doubt lifted
    (Identification("E2", "Bob", 96.0, 0.2, "aws"), "E2", False),  # another: corrected
    (Identification(None, "Unknown", 0.0, None, "no_match"), "E1", True),  # face away
])
def test_the_cache_answers_a_doubt(answer: Identification, confirmed: str,
                                   doubted: bool) -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0))
    key = ("door", 1)
    assert cache.decide(key, 0.0)[0] is Action.ASK
    cache.record(key, Identification("E1", "Ann", 98.0, 0.2, "aws"), 0.0)
    assert cache.decide(key, 5.0)[0] is Action.CACHED
    assert cache.doubt(key, 5.0, "overlap")
    action, shown = cache.decide(key, 5.0, can_ask=False)
    assert action is Action.CACHED and shown.confidence == 49.0  # served, lowered
    assert cache.decide(key, 5.5)[0] is Action.ASK
    cache.record(key, answer, 5.5)
    assert cache.confirmed(key).employee_id == confirmed
    assert cache.in_doubt(key) is doubted
    correction = cache.take_correction(key)
    assert (correction is not None) == (confirmed == "E2")
    assert cache.take_correction(key) is None


def test_re_asks_are_capped_per_track() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=1, retry_interval_s=0.0))
    key = ("door", 1)
    cache.decide(key, 0.0)
    cache.record(key, Identification("E1", "Ann", 98.0, 0.2, "aws"), 0.0)
    cache.doubt(key, 1.0, "jump")
    assert cache.decide(key, 1.0)[0] is Action.ASK
    cache.record(key, Identification(None, "Unknown", 0.0, None, "no_match"), 1.0)
    assert cache.decide(key, 2.0)[0] is Action.CACHED  # doubt stays, budget spent


def test_one_person_cannot_be_two_tracks_the_older_name_is_doubted() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=1))
    ann = Identification("E1", "Ann", 98.0, 0.2, "aws")
    for key in (("door", 1), ("door", 2)):
        cache.decide(key, 0.0)
        cache.record(key, ann, 0.0)
    assert cache.in_doubt(("door", 1)) and not cache.in_doubt(("door", 2))
    cache.decide(("gate", 3), 0.0)
    cache.record(("gate", 3), ann, 0.0)  # another camera: may well be her too
    assert not cache.in_doubt(("door", 2))


ANN, BOB, CY = (Identification(e, n, 98.0, 0.2, "aws") for e, n in (
    ("E1", "Ann"), ("E2", "Bob"), ("E3", "Cy")))
NO_MATCH = Identification(None, "Unknown", 0.0, None, "no_match")


def swap_pair(partners: bool = True) -> TrackIdentityCache:
    """Tracks 1 (Ann) and 2 (Bob), both doubted by one overlap, each looking like the other."""
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0))
    for track, who in ((1, ANN), (2, BOB)):
        cache.decide(("door", track), 0.0)
        cache.record(("door", track), who, 0.0)
        assert cache.doubt(("door", track), 5.0, "overlap", 6.0, 3 - track if partners else None)
    return cache


@pytest.mark.parametrize("answer,one,two,two_asked", [
    (BOB, "E2", "E1", False),  # 1 is Bob: 2 is Ann, without a call
    (ANN, "E1", "E2", False),  # 1 is still Ann: no swap, 2 keeps Bob
    (CY, "E3", "E2", True),  # a third person: 2 must be asked itself
    (NO_MATCH, "E1", "E2", True),  # no face: nothing learnt
])
def test_one_answer_settles_a_swap_pair(answer: Identification, one: str, two: str,
                                        two_asked: bool) -> None:
    cache = swap_pair()
    assert cache.decide(("door", 1), 7.0)[0] is Action.ASK
    action, shown = cache.decide(("door", 2), 7.0)  # partner in flight: not asked twice
    assert action is Action.CACHED and shown.employee_id == "E2" and shown.confidence == 49.0
    cache.record(("door", 1), answer, 7.0)
    assert cache.confirmed(("door", 1)).employee_id == one
    assert cache.confirmed(("door", 2)).employee_id == two
    assert (cache.decide(("door", 2), 9.0)[0] is Action.ASK) == two_asked
    fix = cache.take_partner_correction(("door", 1))
    if answer is BOB:
        assert fix is not None and fix[0] == ("door", 2)
        assert (fix[1].old, fix[1].new, fix[1].since, fix[1].reason) == (
            BOB, ANN, 5.0, "swap_partner")
    else:
        assert fix is None
    assert cache.take_partner_correction(("door", 1)) is None


def test_a_swap_is_inferred_only_between_mutual_partners_both_in_doubt() -> None:
    cache = swap_pair(partners=False)  # doubted, but neither looked like the other
    cache.decide(("door", 1), 7.0)
    cache.record(("door", 1), BOB, 7.0)
    assert cache.take_partner_correction(("door", 1)) is None
    assert cache.in_doubt(("door", 2))  # Bob is now track 1: track 2's name is doubted
    assert cache.confirmed(("door", 2)).employee_id == "E2"


def test_a_re_ask_answered_no_match_is_not_repeated_until_something_new() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0,
                                           reask_after_no_match=False))
    key = ("door", 1)
    cache.decide(key, 0.0)
    cache.record(key, ANN, 0.0)
    assert cache.doubt(key, 5.0, "overlap")
    assert cache.decide(key, 5.0)[0] is Action.ASK
    cache.record(key, NO_MATCH, 5.0)
    for t in (7.0, 20.0, 60.0):  # budget left, faces clear: still not asked again
        action, shown = cache.decide(key, t)
        assert action is Action.CACHED and shown.employee_id == "E1" and cache.in_doubt(key)
    assert cache.doubt(key, 61.0, "jump")  # news: one more look
    assert cache.decide(key, 61.0)[0] is Action.ASK


def test_a_namesake_brings_a_no_match_doubt_back_to_the_backend() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0,
                                           reask_after_no_match=False))
    cache.decide(("door", 1), 0.0)
    cache.record(("door", 1), ANN, 0.0)
    cache.doubt(("door", 1), 5.0, "overlap")
    cache.decide(("door", 1), 5.0)
    cache.record(("door", 1), NO_MATCH, 5.0)
    assert cache.decide(("door", 1), 7.0)[0] is Action.CACHED
    cache.decide(("door", 2), 8.0)
    cache.record(("door", 2), ANN, 8.0)  # Ann is track 2: track 1 cannot be her too
    assert cache.decide(("door", 1), 9.0)[0] is Action.ASK


def test_by_default_a_no_match_re_ask_is_repeated_within_the_budget() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0))
    key = ("door", 1)
    cache.decide(key, 0.0)
    cache.record(key, ANN, 0.0)
    cache.doubt(key, 5.0, "overlap")
    cache.decide(key, 5.0)
    cache.record(key, NO_MATCH, 5.0)
    assert cache.decide(key, 7.0)[0] is Action.ASK


def test_a_doubt_older_than_the_answer_that_named_the_track_is_dropped() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0))
    key = ("door", 1)
    cache.decide(key, 4.0)
    cache.record(key, ANN, 4.0)  # a face seen after the overlap (2.0 to 3.5) ended
    assert not cache.doubt(key, 2.0, "overlap", 3.5)
    assert cache.decide(key, 6.0)[0] is Action.CACHED and not cache.in_doubt(key)
    assert cache.doubt(key, 2.0, "overlap", 4.5)  # still overlapping after the answer
