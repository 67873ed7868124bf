"""`scripts/counting_lab.choose`: coordinate descent over counter and tracker settings that
takes a setting only for a real gain, on a made-up error landscape (no detector, no video)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from edge.config import load_settings
from edge.config.models import Settings
from tests.conftest import ROOT, load_script


def load_lab() -> ModuleType:
    return load_script("counting_lab")


def settings() -> Settings:
    return load_settings(ROOT / "config" / "demo.yaml")


START = {"band": 0.02, "jitter_band": 0.0, "jitter_window": 10, "min_frames": 3,
         "end_margin": 0.0, "smoothing": 0.3, "count_on_loss": False, "handover": False,
         "edge_feet": True}


def landscape(lab: ModuleType, monkeypatch: pytest.MonkeyPatch,
              mean_of: Any) -> list[dict[str, Any]]:
    """Make every replay score ``mean_of(counter, tracking)`` on each of two lines."""
    calls: list[dict[str, Any]] = []

    def fake(_dets: Any, _lines: Any, _truth: Any, s: Settings, _fps: float,
             counter: dict[str, Any], _size: Any = None, _gaps: Any = (1,),
             _every: int = 1) -> list[float]:
        calls.append(counter)
        m = mean_of(counter, s.tracking)
        return [m, m]

    monkeypatch.setattr(lab, "errors_on", fake)
    return calls


def test_descent_takes_a_clear_gain_and_ignores_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = load_lab()

    def mean(c: dict[str, Any], _t: Any) -> float:
        m = 0.06 - (0.02 if c["jitter_band"] == 1.0 else 0.0)  # a real gain
        m -= 0.001 if c["min_frames"] == 4 else 0.0  # below MIN_GAIN: noise
        m -= 0.004 if c["smoothing"] == 0.5 and c["jitter_band"] == 1.0 else 0.0
        return m

    landscape(lab, monkeypatch, mean)
    counter, tracking, trials = lab.choose([], [], [], settings(), 10.0, dict(START))
    assert counter == {**START, "jitter_band": 1.0, "smoothing": 0.5}
    assert tracking == {}
    assert trials[0]["counter"] == START and trials[0]["mean"] == pytest.approx(0.06)
    # Each distinct setting is replayed once, however many passes revisit it.
    keys = [repr((sorted(t["counter"].items()), sorted(t["tracking"].items())))
            for t in trials]
    assert len(keys) == len(set(keys))


def test_nothing_changes_when_no_setting_gains_a_quarter_point(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lab = load_lab()
    landscape(lab, monkeypatch, lambda c, t: 0.05 - (0.002 if c["band"] == 0.1 else 0.0)
              - (0.002 if t.high_conf_threshold == 0.3 else 0.0))
    counter, tracking, _ = lab.choose([], [], [], settings(), 10.0, dict(START))
    assert counter == START and tracking == {}


def test_tracker_settings_are_taken_for_a_clear_gain_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lab = load_lab()

    def mean(c: dict[str, Any], t: Any) -> float:
        m = 0.05 - (0.01 if t.minimum_consecutive_frames == 2 else 0.0)
        # A counter setting that only pays once the tracker has changed: a second pass.
        m -= 0.005 if c["min_frames"] == 2 and t.minimum_consecutive_frames == 2 else 0.0
        return m - (0.001 if t.high_conf_threshold == 0.3 else 0.0)  # noise

    landscape(lab, monkeypatch, mean)
    configured = settings()
    configured = configured.model_copy(update={"tracking": configured.tracking.model_copy(
        update={"minimum_consecutive_frames": 1})})
    counter, tracking, _ = lab.choose([], [], [], configured, 10.0, dict(START))
    assert tracking == {"minimum_consecutive_frames": 2}
    assert counter == {**START, "min_frames": 2}


def test_cached_detections_are_keyed_by_the_refiner_too(tmp_path: Any) -> None:
    load_lab()
    lab = load_script("detection_cache")
    (tmp_path / "p.pt").write_bytes(b"p")
    (tmp_path / "pose.pt").write_bytes(b"q")
    video = tmp_path / "v.avi"
    video.write_bytes(b"v")
    from edge.config.models import ModelConfig

    plain = ModelConfig(name="person", source="p.pt")
    refined = ModelConfig.model_validate({"name": "person", "source": "p.pt",
                                          "refine": {"source": "pose.pt"}})
    key = lab._cache_key(refined, tmp_path, video)
    assert key != lab._cache_key(plain, tmp_path, video)
    # A new export of the refiner (another file beside its .pt) is other detections.
    (tmp_path / "pose.onnx").write_bytes(b"onnx")
    assert lab._cache_key(refined, tmp_path, video) != key
    assert lab._cache_key(refined.model_copy(update={"refine": refined.refine.model_copy(  # type: ignore[union-attr]
        update={"imgsz": 640})}), tmp_path, video) != lab._cache_key(refined, tmp_path, video)
    # The cache refines every box (no camera, no lines): `near` leaves it as it is.
    assert lab._cache_key(refined.model_copy(update={"refine": refined.refine.model_copy(  # type: ignore[union-attr]
        update={"near": 1.5})}), tmp_path, video) == lab._cache_key(refined, tmp_path, video)
