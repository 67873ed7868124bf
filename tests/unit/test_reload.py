"""reload_settings against a running inference loop: cameras come and go between two passes,
line changes reach pipelines made later, a removed camera's gauges go, other sections are
reported as needing a restart."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from edge.app import RunOptions
from edge.config import validate_mapping
from edge.config.models import Settings
from edge.pipeline.cameras import CameraSet
from edge.pipeline.loop import InferenceLoop
from edge.pipeline.stats import ProcessSampler, ServiceTally
from edge.pipeline.step import SiteOccupancy
from edge.reload import reload_settings
from edge.telemetry import metrics
from tests.clips import write_grey_clip


def settings(video: Path, cameras: list[dict[str, object]], **extra: object) -> Settings:
    return validate_mapping({"models": [{"name": "m", "source": "x.pt"}],
                             "cameras": [{"url": str(video), **c} for c in cameras],
                             **extra}, "t")


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """A one-second synthetic clip (the unit tests need no fetched media)."""
    return write_grey_clip(tmp_path / "clip.avi", (i * 20 for i in range(10)))


@pytest.fixture
def running(video: Path):  # type: ignore[no-untyped-def]
    s = settings(video, [{"id": "a"}, {"id": "b"}])
    cameras = CameraSet(RunOptions(pace=True), s.tracking, SiteOccupancy(),
                        metrics_interval_s=60, heartbeat_s=60, sampler=ProcessSampler(),
                        tally=ServiceTally())
    cameras.load(s.cameras)  # not started: no frames
    app = SimpleNamespace(settings=s, camera_set=cameras, cameras=cameras.captures,
                          stats=cameras.stats)
    app.loop = InferenceLoop(cameras.captures, [], cameras.make_pipeline, lambda _events: None)
    app.loop.start()
    yield app
    app.loop.stop(1.0)
    for cam in list(app.cameras.values()):
        cam.stop(timeout=0.5)


def test_cameras_and_lines_change_between_passes(running: SimpleNamespace,
                                                 video: Path) -> None:
    app = running
    metrics.CAMERA_UP.labels("b").set(1)
    line = {"id": "door", "start": [0, 300], "end": [768, 300]}
    new = settings(video, [{"id": "a", "lines": [line]}, {"id": "c", "loop": True}],
                   inference={"batch_size": 2})
    notes = reload_settings(app, new)  # type: ignore[arg-type]
    assert notes == ["inference changed: takes effect after a restart", "camera b removed",
                     "camera a: lines now door", "camera c added"]
    assert sorted(app.cameras) == ["a", "c"] and sorted(app.stats) == ["a", "c"]
    assert app.loop._order == ["a", "c"]
    # camera a had sent no frame, so its pipeline is made later, from the new lines
    assert [ln.id for ln in app.cameras["a"].config.lines] == ["door"]
    assert app.settings.cameras == new.cameras and app.settings.inference.batch_size != 2
    assert 'camera="b"' not in _exposition("edge_camera_up")
    deadline = time.monotonic() + 10
    while "c" not in app.loop.pipelines and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "c" in app.loop.pipelines  # the added camera runs without a restart
    assert app.cameras["c"].alive


def test_a_changed_stream_reopens_the_camera_and_keeps_its_pipeline_lines(
        running: SimpleNamespace, video: Path) -> None:
    app = running
    old_a = app.cameras["a"]
    new = settings(video, [{"id": "a", "fps_cap": 5}, {"id": "b"}])
    assert reload_settings(app, new) == ["camera a reopened"]  # type: ignore[arg-type]
    assert app.cameras["a"] is not old_a and old_a.stopping
    assert app.cameras["a"].config.fps_cap == 5


def test_reload_refuses_when_the_loop_is_not_running(running: SimpleNamespace,
                                                    video: Path) -> None:
    running.loop.stop(1.0)
    with pytest.raises(RuntimeError, match="not running"):
        reload_settings(running, settings(video, [{"id": "a"}]))  # type: ignore[arg-type]


def _exposition(name: str) -> str:
    from prometheus_client import REGISTRY, generate_latest

    return "\n".join(ln for ln in generate_latest(REGISTRY).decode().splitlines()
                     if ln.startswith(name + "{"))


def test_a_new_reset_schedule_applies_without_a_restart(running: SimpleNamespace,
                                                        video: Path) -> None:
    new = settings(video, [{"id": "a"}, {"id": "b"}],
                   occupancy={"reset_at": ["22:00", "06:00"], "request_ttl_s": 30})
    notes = reload_settings(running, new)  # type: ignore[arg-type]
    assert notes == ["occupancy resets now at 06:00, 22:00"]
    assert running.settings.occupancy.reset_at == ["06:00", "22:00"]
    assert running.settings.occupancy.request_ttl_s == 30
    assert reload_settings(running, new) == []  # type: ignore[arg-type]
