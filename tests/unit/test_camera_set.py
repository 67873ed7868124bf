"""CameraSet: one builder for every camera (run options included), and applying a new camera
list keeps unchanged cameras, their statistics and their pipelines' counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import validate_mapping
from edge.config.models import Settings
from edge.pipeline.cameras import CameraSet, RunOptions
from edge.pipeline.stats import ProcessSampler, ServiceTally
from edge.pipeline.step import SiteOccupancy
from tests.clips import write_grey_clip

LINE = {"id": "door", "start": [0, 300], "end": [768, 300]}


def settings(video: Path, cameras: list[dict[str, object]]) -> Settings:
    return validate_mapping({"models": [{"name": "m", "source": "x.pt"}],
                             "cameras": [{"url": str(video), **c} for c in cameras]}, "t")


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_grey_clip(tmp_path / "clip.avi", (i * 20 for i in range(10)))


def camera_set(options: RunOptions, s: Settings) -> CameraSet:
    cams = CameraSet(options, s.tracking, SiteOccupancy(), metrics_interval_s=60,
                     heartbeat_s=60, sampler=ProcessSampler(), tally=ServiceTally())
    cams.load(s.cameras)
    return cams


def test_every_camera_is_built_with_the_run_options(video: Path) -> None:
    s = settings(video, [{"id": "a", "loop": True}, {"id": "off", "enabled": False}])
    cams = camera_set(RunOptions(pace=False, lockstep=True, max_frames=5, loop_files=False), s)
    assert sorted(cams.captures) == sorted(cams.stats) == ["a"]
    a = cams.captures["a"]
    assert (a.pace, a.slot.lockstep, a.max_frames, a.config.loop) == (False, True, 5, False)
    assert cams.configs["a"].loop  # as configured, for comparing with the next list


@pytest.mark.parametrize(("change", "notes", "reopened"), [
    ({}, [], False),
    ({"name": "Door"}, [], False),
    ({"lines": [LINE]}, ["camera a: lines now door"], False),
    ({"fps_cap": 5}, ["camera a reopened"], True),
])
def test_applying_a_list_keeps_what_did_not_change(video: Path, change: dict[str, object],
                                                   notes: list[str], reopened: bool) -> None:
    s = settings(video, [{"id": "a"}])
    cams = camera_set(RunOptions(), s)
    before, stats = cams.captures["a"], cams.stats["a"]
    pipeline = cams.make_pipeline("a")
    try:
        new = settings(video, [{"id": "a", **change}])
        assert cams.apply(new.cameras, {"a": pipeline}) == notes
        assert (cams.captures["a"] is not before) == reopened
        assert cams.stats["a"] is stats  # a reopened camera's statistics carry on
        assert cams.captures["a"].config == new.cameras[0]
        assert list(pipeline.line_counts()) == [ln.id for ln in new.cameras[0].lines]
    finally:
        cams.stop()


def test_a_removed_camera_stops_and_an_added_one_starts(video: Path) -> None:
    cams = camera_set(RunOptions(), settings(video, [{"id": "a"}]))
    a = cams.captures["a"]
    try:
        notes = cams.apply(settings(video, [{"id": "b", "loop": True}]).cameras, {})
        assert notes == ["camera a removed", "camera b added"]
        assert a.stopping and sorted(cams.captures) == sorted(cams.stats) == ["b"]
        assert cams.captures["b"].alive
    finally:
        cams.stop()
