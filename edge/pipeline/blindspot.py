"""Vehicle models that have gone blind on a camera: silent while the picture keeps changing.

A vehicle model trained on street-level views may detect nothing at all on a camera that
looks down from a traffic mast. Nothing fails, the counts just stay at zero. This module
notices it cheaply on the inference thread: per camera it compares a 32x18 grey thumbnail
with the previous one at most once per ``sample_every_s``, and adds the time between two
samples to the camera's *changing time* when enough of the picture moved. Per camera and
vehicle model it remembers the changing time at that model's last vehicle detection; the
difference is how long the model has been silent while there was something to see. A still
picture (a closed gate at night) adds nothing, so it never looks like a blind model.

The result is exported as ``edge_vehicle_model_silent_seconds{camera,model}``;
``edge doctor`` reads it from the running daemon and warns (README, "Vehicles seen from
above").

Example:
    >>> import numpy as np
    >>> spots = BlindSpotTracker(export=False)
    >>> dark, light = np.zeros((90, 160, 3), np.uint8), np.full((90, 160, 3), 200, np.uint8)
    >>> for t in range(5):
    ...     _ = spots.observe("gate", "vehicle", dark if t % 2 else light, 0, float(t))
    >>> spots.silent_seconds("gate", "vehicle")
    4.0
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge.config.models import CANONICAL_CLASSES, VEHICLE_CLASSES
from edge.telemetry import metrics

VEHICLE_IDS: np.ndarray = np.array(sorted(CANONICAL_CLASSES.index(c) for c in VEHICLE_CLASSES))
"""Canonical class ids of the vehicle classes."""

THUMB_SIZE = (32, 18)
"""Thumbnail (width, height): one cell is 1/576 of the picture, about one car seen from a
traffic mast."""


def count_vehicles(class_ids: np.ndarray | None) -> int:
    """How many of ``class_ids`` (canonical ids) are vehicles."""
    if class_ids is None or len(class_ids) == 0:
        return 0
    return int(np.isin(class_ids, VEHICLE_IDS).sum())


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A 32x18 grey thumbnail of a BGR (or grey) image, as float32.

    The image is first thinned by a whole stride so that a 4K frame costs about as much as
    a small one; area averaging then smooths sensor and compression noise away.
    """
    h, w = image.shape[:2]
    stride = max(1, min(w // (THUMB_SIZE[0] * 4), h // (THUMB_SIZE[1] * 4)))
    small = np.ascontiguousarray(image[::stride, ::stride])
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    return cv2.resize(small, THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)


def changed_fraction(previous: np.ndarray, current: np.ndarray, level_delta: float) -> float:
    """Fraction of thumbnail cells whose grey level moved by more than ``level_delta``."""
    return float((np.abs(current - previous) > level_delta).mean())


@dataclass
class _CameraPicture:
    thumb: np.ndarray
    sampled_at: float
    changing_s: float = 0.0
    """Seconds, summed over sample intervals, during which the picture changed."""


@dataclass
class _ModelSilence:
    mark: float
    """The camera's ``changing_s`` at this model's last vehicle detection (or first frame)."""
    gauge: Any = field(default=None, repr=False)


class BlindSpotTracker:
    """Per camera and vehicle model: changing-picture time since the last vehicle detection.

    Call :meth:`observe` on the inference thread for every frame and every model that maps
    onto a vehicle class; it is not thread-safe (the exporter only reads the gauges).

    Args:
        sample_every_s: shortest time between two thumbnails of one camera.
        level_delta: grey levels (0-255) a thumbnail cell must move to count as changed.
        min_changed_fraction: share of cells that must change for the picture to have
            changed (the default, 2 of 576 cells, is one car moving a car length).
        max_gap_s: most seconds one sample interval adds (a camera that was down, or a
            loop that stalled, does not turn its whole gap into "changing" time).
        export: update the Prometheus series (off in doctests and benchmarks).
    """

    def __init__(self, *, sample_every_s: float = 1.0, level_delta: float = 8.0,
                 min_changed_fraction: float = 2 / 576, max_gap_s: float = 5.0,
                 export: bool = True) -> None:
        if sample_every_s <= 0 or max_gap_s < sample_every_s:
            raise ValueError(f"need 0 < sample_every_s <= max_gap_s, got {sample_every_s} "
                             f"and {max_gap_s}")
        self.sample_every_s = sample_every_s
        self.level_delta = level_delta
        self.min_changed_fraction = min_changed_fraction
        self.max_gap_s = max_gap_s
        self.export = export
        self._pictures: dict[str, _CameraPicture] = {}
        self._silences: dict[tuple[str, str], _ModelSilence] = {}

    def observe(self, camera_id: str, model_name: str, image: np.ndarray,
                n_vehicle_detections: int, now: float) -> float:
        """Take one frame's result of one vehicle model; return its silent seconds.

        Args:
            camera_id: the camera the frame came from.
            model_name: the vehicle model that ran on it.
            image: the frame the model saw (BGR); sampled at most once per
                ``sample_every_s`` per camera, whichever model calls first.
            n_vehicle_detections: vehicles the model returned on this frame.
            now: a monotonic clock, in seconds.

        Returns:
            Seconds of changing picture since the model last detected a vehicle here.
        """
        picture = self._sample(camera_id, image, now)
        key = (camera_id, model_name)
        silence = self._silences.get(key)
        if silence is None:
            silence = self._silences[key] = _ModelSilence(mark=picture.changing_s)
            if self.export:
                silence.gauge = metrics.VEHICLE_MODEL_SILENT.labels(camera_id, model_name)
        if n_vehicle_detections > 0:
            silence.mark = picture.changing_s
        silent = picture.changing_s - silence.mark
        if silence.gauge is not None:
            silence.gauge.set(silent)
        return silent

    def silent_seconds(self, camera_id: str, model_name: str) -> float:
        """Seconds of changing picture since ``model_name`` last saw a vehicle on the camera
        (0.0 for a pair never observed)."""
        silence = self._silences.get((camera_id, model_name))
        picture = self._pictures.get(camera_id)
        if silence is None or picture is None:
            return 0.0
        return picture.changing_s - silence.mark

    def forget(self, camera_id: str) -> None:
        """Drop a removed camera's state and its series."""
        self._pictures.pop(camera_id, None)
        for key in [k for k in self._silences if k[0] == camera_id]:
            del self._silences[key]
            if self.export:
                with contextlib.suppress(KeyError):
                    metrics.VEHICLE_MODEL_SILENT.remove(*key)

    def _sample(self, camera_id: str, image: np.ndarray, now: float) -> _CameraPicture:
        picture = self._pictures.get(camera_id)
        if picture is None:
            picture = self._pictures[camera_id] = _CameraPicture(thumbnail(image), now)
            return picture
        if now - picture.sampled_at < self.sample_every_s:
            return picture
        thumb = thumbnail(image)
        if changed_fraction(picture.thumb, thumb, self.level_delta) >= \
                self.min_changed_fraction:
            picture.changing_s += min(now - picture.sampled_at, self.max_gap_s)
            if self.export:
                metrics.CAMERA_PICTURE_CHANGES.labels(camera_id).inc()
        picture.thumb, picture.sampled_at = thumb, now
        return picture
