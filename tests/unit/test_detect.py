"""Class maps onto canonical classes and model resolution (no model weights needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from edge.assets.catalog import MODELS
from edge.config.models import CANONICAL_CLASSES
from edge.detect.detector import (
    ModelResolveError,
    build_class_lookup,
    pick_device,
    resolve_model_source,
    to_canonical,
)

COCO_LIKE = {0: "person", 1: "bicycle", 2: "car", 3: "motorcycle", 5: "bus", 7: "truck",
             15: "cat"}


def test_coco_model_needs_no_map() -> None:
    lookup = build_class_lookup(COCO_LIKE, {})
    assert [CANONICAL_CLASSES[lookup[i]] for i in (0, 1, 2, 3, 5, 7)] == [
        "person", "bicycle", "car", "motorcycle", "bus", "truck"]
    assert lookup[15] == -1 and lookup[4] == -1


def test_catalog_maps_match_their_models_declared_names() -> None:
    vehicle = MODELS["vehicle-yolo11n-seg.pt"]
    names = {0: "bick", 1: "bus", 2: "car", 3: "lorry", 4: "tuktuk", 5: "van"}
    lookup = build_class_lookup(names, vehicle.classes)
    assert [CANONICAL_CLASSES[i] for i in lookup] == [
        "motorcycle", "bus", "car", "truck", "car", "car"]


def test_map_naming_unknown_class_is_an_error() -> None:
    with pytest.raises(ModelResolveError, match=r"does not have: \['bike'\]"):
        build_class_lookup({0: "bick"}, {"bike": "motorcycle"})


def test_model_with_nothing_canonical_is_an_error() -> None:
    with pytest.raises(ModelResolveError, match="set `classes:`"):
        build_class_lookup({0: "Normal", 1: "Fall"}, {})


def test_to_canonical_keeps_mapped_rewrites_ids_and_names() -> None:
    lookup = build_class_lookup({0: "Normal", 1: "Fall", 2: "Chair"},
                                {"Normal": "person", "Fall": "person"})
    raw = sv.Detections(xyxy=np.array([[0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 2, 2]], float),
                        confidence=np.array([0.9, 0.8, 0.7]), class_id=np.array([0, 2, 1]))
    out = to_canonical(raw, lookup)
    assert len(out) == 2
    assert out.class_id.tolist() == [0, 0]
    assert out.data["class_name"].tolist() == ["person", "person"]
    assert out.confidence.tolist() == pytest.approx([0.9, 0.7])


def test_to_canonical_empty() -> None:
    assert len(to_canonical(sv.Detections.empty(), np.array([0]))) == 0


def test_resolve_by_path_by_name_and_by_ultralytics_name(tmp_path: Path) -> None:
    weights = tmp_path / "m.pt"
    weights.write_bytes(b"x")
    assert resolve_model_source(str(weights), Path("/nonexistent")) == str(weights)
    assert resolve_model_source("m.pt", tmp_path) == str(weights)
    assert resolve_model_source("yolo11n.pt", tmp_path) == "yolo11n.pt"


def test_resolve_errors_are_specific(tmp_path: Path) -> None:
    with pytest.raises(ModelResolveError, match="run `edge model fetch`"):
        resolve_model_source("person-yolov8s.pt", tmp_path)
    with pytest.raises(ModelResolveError, match=r"model file not found: /opt/x/y\.pt"):
        resolve_model_source("/opt/x/y.pt", tmp_path)


def test_pick_device() -> None:
    assert pick_device("cpu") == "cpu"
    assert pick_device("cuda:1") == "cuda:1"
    assert pick_device("auto") in {"cpu", "cuda:0", "mps"}
