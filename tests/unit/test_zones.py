"""Polygon zones with synthetic tracks: dwell once per visit at the right time, a new visit
after leaving, restricted entry once, vanished tracks forgotten; and the rule seam."""

from __future__ import annotations

import doctest
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import supervision as sv

import edge.analytics.anchors
import edge.analytics.rules
import edge.analytics.zones
import edge.capture.slot
import edge.identity.switches
import edge.tables
from edge.analytics.rules import RuleEnv, build_rules, rule_kinds
from edge.analytics.zones import ZoneRule
from edge.config import ConfigError, validate_mapping
from edge.config.models import CameraConfig
from edge.config.zones import ZoneConfig
from edge.events import ZoneEvent

T0 = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
SQUARE = [(100, 100), (300, 100), (300, 300), (100, 300)]
FPS = 5.0


def frame(people: dict[int, float], class_id: int = 0) -> sv.Detections:
    """People standing with their feet at (x, 200); x outside 100..300 is outside."""
    ids = list(people)
    xyxy = np.array([[people[t] - 10, 120, people[t] + 10, 200] for t in ids], float)
    return sv.Detections(xyxy=xyxy.reshape(-1, 4), class_id=np.full(len(ids), class_id),
                         tracker_id=np.array(ids, int))


def run(zone: ZoneRule, frames: list[dict[int, float]], start: int = 0
        ) -> list[tuple[float, ZoneEvent]]:
    out = []
    for k, people in enumerate(frames, start):
        ts = T0 + timedelta(seconds=k / FPS)
        out += [((ts - T0).total_seconds(), e) for e in zone.update("cam", ts, frame(people)).events
                if isinstance(e, ZoneEvent)]
    return out


def test_dwell_fires_once_per_visit_when_the_time_is_reached() -> None:
    zone = ZoneRule(ZoneConfig(id="press", polygon=SQUARE, dwell_s=3.0))
    events = run(zone, [{1: 200.0}] * 40)  # 8 s inside
    assert [(t, e.event, e.dwell_s, e.tracker_id) for t, e in events] == [
        (3.0, "dwell", 3.0, 1)]
    assert events[0][1].entered_at == T0 and zone.inside == 1


def test_leaving_and_coming_back_starts_a_new_visit() -> None:
    zone = ZoneRule(ZoneConfig(id="press", polygon=SQUARE, dwell_s=2.0, exit_grace_s=1.0))
    frames = [{1: 200.0}] * 15 + [{1: 500.0}] * 10 + [{1: 200.0}] * 15  # 3 s, 2 s out, 3 s
    events = run(zone, frames)
    assert [(t, e.event) for t, e in events] == [(2.0, "dwell"), (7.0, "dwell")]
    assert events[1][1].entered_at == T0 + timedelta(seconds=5)


def test_a_short_step_outside_is_the_same_visit() -> None:
    zone = ZoneRule(ZoneConfig(id="press", polygon=SQUARE, dwell_s=2.0, restricted=True,
                               exit_grace_s=1.0))
    frames = [{1: 200.0}] * 5 + [{1: 310.0}] * 3 + [{1: 200.0}] * 10  # out 0.6 s: flicker
    events = run(zone, frames)
    assert [(t, e.event) for t, e in events] == [(0.0, "restricted_entry"), (2.0, "dwell")]


def test_restricted_entry_fires_once_per_visit_for_each_track() -> None:
    zone = ZoneRule(ZoneConfig(id="cage", polygon=SQUARE, restricted=True))
    frames = [{1: 50.0, 2: 50.0}] * 3 + [{1: 200.0, 2: 50.0}] * 5 + [{1: 200.0, 2: 250.0}] * 5
    events = run(zone, frames)
    assert [(t, e.event, e.tracker_id) for t, e in events] == [
        (0.6, "restricted_entry", 1), (1.6, "restricted_entry", 2)]


def test_a_vanished_track_is_forgotten() -> None:
    zone = ZoneRule(ZoneConfig(id="press", polygon=SQUARE, dwell_s=2.0, restricted=True,
                               exit_grace_s=1.0))
    frames = [{1: 200.0}] * 5 + [{}] * 10 + [{1: 200.0}] * 5  # gone 2 s, then id 1 again
    events = run(zone, frames)
    assert [(t, e.event) for t, e in events] == [(0.0, "restricted_entry"),
                                                  (3.0, "restricted_entry")]
    assert zone._visits.keys() == {1}
    run(zone, [{}] * 10, start=20)
    assert zone._visits == {} and zone.inside == 0


def test_other_classes_and_untracked_boxes_are_ignored() -> None:
    zone = ZoneRule(ZoneConfig(id="lane", polygon=SQUARE, restricted=True, classes=["truck"]))
    assert run(zone, [{1: 200.0}] * 3) == []  # a person in a forklift lane: not its class
    dets = frame({-1: 200.0}, class_id=2)
    assert zone.update("cam", T0, dets).events == []  # not yet confirmed by the tracker


def test_anchor_decides_which_point_must_be_inside() -> None:
    feet = ZoneRule(ZoneConfig(id="z", polygon=[(0, 150), (400, 150), (400, 250), (0, 250)],
                               restricted=True))
    head = ZoneRule(ZoneConfig(id="z", polygon=[(0, 150), (400, 150), (400, 250), (0, 250)],
                               restricted=True, anchor="top_center"))
    assert len(run(feet, [{1: 200.0}])) == 1  # feet at y=200: inside
    assert run(head, [{1: 200.0}]) == []  # head at y=120: outside


@pytest.mark.parametrize("polygon,message", [
    ([(0, 0), (10, 0)], "at least 3"),
    ([(0, 0), (10, 10), (20, 20)], "no area"),
    ([(0, 0), (-5, 10), (20, 20)], "negative"),
])
def test_a_bad_polygon_is_refused_with_the_reason(polygon: list, message: str) -> None:
    data = {"cameras": [{"id": "c", "url": "x", "zones": [{"id": "z", "polygon": polygon}]}]}
    with pytest.raises(ConfigError) as err:
        validate_mapping(data, "test.yaml")
    assert "cameras[0].zones[0].polygon" in str(err.value) or "zones" in str(err.value)
    assert message in str(err.value)


def test_the_step_builds_every_registered_rule_and_keeps_unchanged_ones() -> None:
    assert {"line", "zone"} <= set(rule_kinds())
    camera = CameraConfig(id="c", url="x",
                          lines=[{"id": "l", "start": [0, 5], "end": [10, 5]}],
                          zones=[{"id": "z", "polygon": SQUARE}])
    rules = build_rules(camera, RuleEnv())
    assert [r.rule_id for r in rules] == ["line:l", "zone:z"]
    moved = camera.model_copy(update={"zones": [ZoneConfig(id="z", polygon=SQUARE[::-1])]})
    again = build_rules(moved, RuleEnv(), keep=rules)
    assert again[0] is rules[0] and again[1] is not rules[1]


@pytest.mark.parametrize("module", [edge.analytics.rules, edge.analytics.zones,
                                    edge.analytics.anchors, edge.capture.slot,
                                    edge.identity.switches, edge.tables])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0
