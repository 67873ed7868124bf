"""Detectors: resolve a model, run one batched predict, map classes onto canonical ones.

``sv.Detections`` is the only box type past this point; ``class_id`` is the index into
:data:`edge.config.models.CANONICAL_CLASSES` and ``data["class_name"]`` its name.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import supervision as sv

from edge.assets.catalog import MODELS
from edge.config.models import CANONICAL_CLASSES, VEHICLE_CLASSES, ModelConfig
from edge.detect.formats import choose_artifact
from edge.detect.refine import (
    boxes_from_crops,
    crop_windows,
    cut,
    near_segments,
    refine_boxes,
    refine_some,
)
from edge.telemetry import metrics

log = logging.getLogger(__name__)


class ModelResolveError(RuntimeError):
    """A configured model could not be found or loaded."""


def resolve_model_source(source: str, models_dir: Path) -> str:
    """Return what to hand to ``ultralytics.YOLO`` for ``source``.

    Order: an existing path; a file of that name in ``models_dir``; a catalog name not yet
    fetched (error telling to run ``edge model fetch``); otherwise the name itself, which
    ultralytics resolves (and downloads when online, e.g. ``yolo11n.pt``).
    """
    p = Path(source).expanduser()
    if p.is_file():
        return str(p)
    in_dir = models_dir / source
    if in_dir.is_file():
        return str(in_dir)
    if source in MODELS:
        raise ModelResolveError(
            f"model {source!r} is not in {models_dir}; run `edge model fetch` first")
    if p.parent != Path(".") or p.suffix not in {".pt", ".onnx", ".engine", ".torchscript", ""}:
        raise ModelResolveError(f"model file not found: {source}")
    return source


def pick_device(requested: str) -> str:
    """Map ``auto`` to ``cuda:0`` (CUDA hosts and Jetson), ``mps`` or ``cpu``."""
    if requested != "auto":
        return requested
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda:0"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
    except ImportError:  # ONNX/OpenVINO-only installs
        pass
    return "cpu"


def set_inference_threads(threads: int | None) -> int:
    """Set torch's intra-op threads for the calling thread; return the number in use.

    OpenMP keeps this setting per thread, so it is applied on the thread that predicts.
    """
    try:
        import torch
    except ImportError:
        return 0
    wanted = threads or os.cpu_count() or 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return wanted


def build_class_lookup(model_names: dict[int, str], class_map: dict[str, str]) -> np.ndarray:
    """Array mapping model class index -> canonical class id (-1 = drop).

    With an empty ``class_map``, model classes already named canonically are kept.
    """
    size = max(model_names) + 1 if model_names else 0
    lookup = np.full(size, -1, dtype=np.int64)
    for idx, name in model_names.items():
        target = class_map.get(name) if class_map else (name if name in CANONICAL_CLASSES
                                                          else None)
        if target is not None:
            lookup[idx] = CANONICAL_CLASSES.index(target)
    unknown = set(class_map) - set(model_names.values())
    if unknown:
        raise ModelResolveError(
            f"class map names classes the model does not have: {sorted(unknown)}; "
            f"model classes are {sorted(model_names.values())}")
    if not (lookup >= 0).any():
        raise ModelResolveError(
            f"no model class maps onto a canonical class {CANONICAL_CLASSES}; "
            f"model classes are {sorted(model_names.values())}: set `classes:` for the model")
    return lookup


def to_canonical(detections: sv.Detections, lookup: np.ndarray) -> sv.Detections:
    """Keep mapped classes only, rewrite ``class_id``/``class_name``, drop masks."""
    if len(detections) == 0:
        return sv.Detections.empty()
    ids = detections.class_id.astype(np.int64)
    in_range = ids < len(lookup)
    mapped = np.where(in_range, lookup[np.minimum(ids, len(lookup) - 1)], -1)
    keep = mapped >= 0
    out = sv.Detections(
        xyxy=detections.xyxy[keep].astype(np.float32),
        confidence=None if detections.confidence is None else detections.confidence[keep],
        class_id=mapped[keep],
    )
    out.data["class_name"] = np.array([CANONICAL_CLASSES[i] for i in out.class_id], dtype=object)
    return out


class Detector:
    """One ultralytics model with its class map, called with a batch of frames.

    Args:
        config: the model's settings.
        models_dir: where fetched models live.
        device: ``auto``, ``cpu``, ``cuda:0``...
    """

    def __init__(self, config: ModelConfig, models_dir: Path, device: str = "auto",
                 threads: int | None = None) -> None:
        from ultralytics import YOLO  # heavy import, only when a detector is built

        self.config = config
        self.threads = threads
        self.name = config.name
        self.device = pick_device(device)
        source = resolve_model_source(config.source, models_dir)
        try:
            source, self.format = choose_artifact(source, self.device, config.format)
        except FileNotFoundError as exc:
            raise ModelResolveError(f"model {config.name!r}: {exc}") from exc
        try:
            self.model = YOLO(source, task=None)  # exports carry their task in metadata
        except Exception as exc:
            raise ModelResolveError(f"model {config.name!r} ({source}): {exc}") from exc
        names = self.model.names
        if isinstance(names, list):
            names = dict(enumerate(names))
        self.model_names: dict[int, str] = {int(k): str(v) for k, v in names.items()}
        self.lookup = build_class_lookup(self.model_names, dict(config.classes))
        self.vehicle_classes: frozenset[str] = VEHICLE_CLASSES & frozenset(
            CANONICAL_CLASSES[i] for i in self.lookup if i >= 0)
        """Canonical vehicle classes this model yields (empty: not a vehicle model)."""
        self.half = config.half and self.device.startswith("cuda") and self.format == "pytorch"
        # The inference loop and the HTTP shim share this model; ultralytics' predictor is
        # not safe to call from two threads at once.
        self._lock = threading.Lock()
        log.info("model %s: %s (%s) on %s (%d classes mapped)", config.name, source,
                 self.format, self.device, int((self.lookup >= 0).sum()))
        self.refiner: Detector | None = None
        """The model that re-draws this one's boxes (``config.refine``), if any."""
        if config.refine is not None:
            self.refiner = Detector(config.refine.runner(f"{config.name}.refine"),
                                    models_dir, device, threads)

    @property
    def refines_near(self) -> bool:
        """True when the refiner runs only near lines and zone edges (``refine.near``), so
        ``predict`` wants each image's segments."""
        return (self.refiner is not None and self.config.refine is not None
                and self.config.refine.near is not None)

    def warmup(self, shape: tuple[int, int] = (480, 640)) -> float:
        """Run one dummy predict so the first real frame is not slow; return seconds."""
        t0 = time.perf_counter()
        self.predict([np.zeros((*shape, 3), dtype=np.uint8)])
        r = self.config.refine
        if self.refiner is not None and r is not None and (r.near is not None
                                                           or r.crop is not None):
            # a black frame has no box to re-draw: warm the refiner at what it will be shown
            self.refiner.warmup(shape if r.crop is None else (r.crop, r.crop))
        return time.perf_counter() - t0

    def predict(self, images: Sequence[np.ndarray],
                segments: Sequence[np.ndarray | None] | None = None) -> list[sv.Detections]:
        """One batched predict; returns canonical detections per image, in order.

        ``segments``: per image, its camera's counting lines and zone edges (K x 4, in the
        image's coordinates), for a refiner with ``near`` set; ``None`` (or ``None`` for an
        image) refines every box.
        """
        if not images:
            return []
        t0 = time.perf_counter()
        extra = {"half": True} if self.half else {}
        with self._lock:
            # Importing ultralytics sets torch to cpu_count - 1 threads, and OpenMP keeps the
            # setting per thread; re-assert ours on whichever thread calls.
            set_inference_threads(self.threads)
            results = self.model.predict(
                list(images), conf=self.config.confidence, iou=self.config.iou,
                imgsz=self.config.imgsz, device=self.device, verbose=False, **extra)
        metrics.INFERENCE_SECONDS.labels(self.name).observe(time.perf_counter() - t0)
        out = []
        for r in results:
            boxes = r.boxes
            if boxes is None or len(boxes) == 0:
                out.append(sv.Detections.empty())
                continue
            raw = sv.Detections(
                xyxy=boxes.xyxy.cpu().numpy(),
                confidence=boxes.conf.cpu().numpy(),
                class_id=boxes.cls.cpu().numpy().astype(np.int64),
            )
            out.append(to_canonical(raw, self.lookup))
        if self.refiner is not None:
            out = self._refine(images, out, segments)
        return out

    def _refine(self, images: Sequence[np.ndarray], detections: list[sv.Detections],
                segments: Sequence[np.ndarray | None] | None) -> list[sv.Detections]:
        """Re-draw the boxes near lines and edges with the refiner, which runs only on the
        images that have such boxes."""
        how = self.config.refine
        assert self.refiner is not None and how is not None
        near, crop, match_iou = how.near, how.crop, how.match_iou
        if (segments is None or near is None) and crop is None:
            return [refine_boxes(d, r, match_iou)
                    for d, r in zip(detections, self.refiner.predict(images), strict=True)]
        if segments is None or near is None:
            masks = [np.ones(len(d), bool) for d in detections]
        else:
            masks = [near_segments(d, s, near)
                     for d, s in zip(detections, segments, strict=True)]
        todo = [i for i, m in enumerate(masks) if m.any()]
        metrics.REFINED_FRAMES.labels(self.name, "refined").inc(len(todo))
        metrics.REFINED_FRAMES.labels(self.name, "skipped").inc(len(images) - len(todo))
        if crop is not None:
            return self._refine_crops(images, detections, masks)
        out = list(detections)
        if todo:
            refined = self.refiner.predict([images[i] for i in todo])
            for i, r in zip(todo, refined, strict=True):
                out[i] = refine_some(detections[i], r, masks[i], match_iou)
        return out

    def _least_window(self, shape: tuple[int, int]) -> float:
        """The smallest crop window on a picture of ``shape`` (height, width): cut at the
        crop size, it shows people ``crop_zoom`` times as large as the refiner would see them
        in the whole picture at its ``imgsz``, and no larger (0 when ``crop_zoom`` is None)."""
        r = self.config.refine
        if r is None or r.crop_zoom is None or r.crop is None:
            return 0.0
        return r.crop * max(shape) / (r.crop_zoom * r.imgsz)

    def _refine_crops(self, images: Sequence[np.ndarray], detections: list[sv.Detections],
                      masks: list[np.ndarray]) -> list[sv.Detections]:
        """Re-draw the masked boxes each from a crop around it (``refine.crop``): one
        batched predict over every crop of every image."""
        assert self.refiner is not None and self.config.refine is not None
        size, margin = self.config.refine.crop, self.config.refine.crop_margin
        assert size is not None
        windows = [crop_windows(d.xyxy[m], margin, self._least_window(img.shape[:2]))
                   for img, d, m in zip(images, detections, masks, strict=True)]
        crops = [cut(img, w, size)
                 for img, ws in zip(images, windows, strict=True) for w in ws]
        found = self.refiner.predict(crops) if crops else []
        out, at = [], 0
        for img, d, m, ws in zip(images, detections, masks, windows, strict=True):
            if len(ws):
                pool = boxes_from_crops(found[at:at + len(ws)], ws, size, img.shape[:2])
                # Shown one person a crop, the refiner is sure of most of them: its
                # confidence says nothing the model's does not, and the tracker's thresholds
                # read the model's (README "Refining from crops").
                d = refine_some(d, pool, m, self.config.refine.match_iou, own_confidence=True)
            out.append(d)
            at += len(ws)
        return out
