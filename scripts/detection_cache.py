"""Detections of a video, cached once per model and video (``var/cache``), for the counting
replays (``counting_lab``), and the rate the video was filmed at.

The detector is the daemon's own (``edge.detect.detector.Detector``, batched as the inference
loop batches); the cache's key covers the model's settings, its files (and its refiner's),
the video, and the region and frames detected.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import cv2
import numpy as np
import supervision as sv
from line_draws import Roi

from edge.analytics.groundtruth import sequence_fps
from edge.config.models import ModelConfig, Settings
from edge.detect.detector import Detector
from edge.pipeline.appearance import APPEARANCE, PART, describe

log = logging.getLogger("counting_lab")

def video_info(video: Path) -> tuple[int, int, float, int]:
    """(width, height, fps, frames) of a video file."""
    cap = cv2.VideoCapture(str(video))
    info = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            float(cap.get(cv2.CAP_PROP_FPS)) or 10.0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    cap.release()
    return info


def frame_rate(video: Path, gt: Path, override: float | None = None) -> float:
    """The rate ``video`` was filmed at: ``override``, else the ``seqinfo.ini`` beside its
    ground truth ``gt`` (MOT's ``frameRate``), else the file's header (PETS' says 10 for
    its 7). The counter's windows and the tracker's budgets are times: a wrong rate scales
    them all."""
    return known_rate(gt, override) or video_info(video)[2]


def known_rate(gt: Path, override: float | None = None) -> float | None:
    """``override``, else the ``seqinfo.ini`` rate beside the ground truth ``gt``; None when
    neither says (then only the video's header does)."""
    return override or sequence_fps(gt)


def _cache_key(model: ModelConfig, models_dir: Path, video: Path,
               roi: Roi | None = None, frames: int | None = None) -> str:
    if model.refine is not None:  # a cache refines every box: ``near`` changes nothing
        model = model.model_copy(update={"refine": model.refine.model_copy(
            update={"near": None})})
    parts = [model.model_dump_json(), str(video.stat().st_size)]
    if roi is not None:  # (an older cache of the whole video and picture keeps its key)
        parts.append(f"roi={list(roi)}")
    if frames is not None:
        parts.append(f"frames={frames}")
    for name in [model.source, *([model.refine.source] if model.refine else [])]:
        source = Path(name) if Path(name).is_file() else models_dir / name
        for p in sorted(source.parent.glob(source.stem + "*")):
            parts.append(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def with_signatures(detections: list[sv.Detections], video: Path) -> list[sv.Detections]:
    """``detections`` with each box's colour signature in ``data[APPEARANCE]`` (what the
    camera step computes from the picture when the tracker compares colours)."""
    cap = cv2.VideoCapture(str(video))
    for det in detections:
        ok, img = cap.read()
        if not ok and len(det):
            raise ValueError(f"{video}: fewer frames than cached detections")
        det.data[APPEARANCE] = describe(img, det.xyxy) if ok else np.zeros((0, 2 * PART))
    cap.release()
    return detections


def cached_detections(settings: Settings, model: ModelConfig, video: Path,
                      cache_dir: Path, signatures: bool = False,
                      roi: Roi | None = None, frames: int | None = None
                      ) -> list[sv.Detections]:
    """Canonical detections of every frame of ``video`` by ``model``; read from the cache
    when the model, its files and the video are unchanged, else detected and cached. With
    ``signatures`` each box carries its colour signature, so that a
    ``tracking.appearance_weight`` above 0 can be replayed (the video is read once more).
    With ``roi`` the detector sees only that region of each frame, as the daemon's capture
    thread crops a camera's ``roi``, and the boxes come back in the frame's coordinates.
    With ``frames``, only the video's first so many frames."""
    out = _cached_detections(settings, model, video, cache_dir, roi, frames)
    return with_signatures(out, video) if signatures else out


def _cached_detections(settings: Settings, model: ModelConfig, video: Path,
                       cache_dir: Path, roi: Roi | None, frames: int | None
                       ) -> list[sv.Detections]:
    key = _cache_key(model, Path(settings.models_dir), video, roi, frames)
    path = cache_dir / f"detections-{video.stem}-{key}.npz"
    if path.exists():
        return load_detections(path)
    detector = Detector(model, Path(settings.models_dir), settings.inference.device,
                        settings.inference.threads)
    cap = cv2.VideoCapture(str(video))
    out: list[sv.Detections] = []
    batch: list[np.ndarray] = []
    read = 0
    while True:
        ok, img = cap.read() if frames is None or read < frames else (False, None)
        read += 1
        if ok:
            batch.append(img if roi is None else img[roi[1]:roi[3], roi[0]:roi[2]])
        if batch and (not ok or len(batch) == settings.inference.batch_size):
            for det in detector.predict(batch):
                if roi is not None and len(det):  # to the frame, as the loop shifts them
                    det.xyxy += np.array([roi[0], roi[1], roi[0], roi[1]], det.xyxy.dtype)
                out.append(det)
            batch = []
        if not ok:
            break
    cap.release()
    save_detections(path, out)
    log.info("cached detections of %d frames in %s", len(out), path)
    return out


def save_detections(path: Path, frames: list[sv.Detections]) -> None:
    """Write one video's per-frame detections to ``path`` (:func:`load_detections`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    empty = [np.zeros((0, 4), np.float32)]  # a video with no box at all still concatenates
    np.savez_compressed(
        path, counts=np.array([len(d) for d in frames] + [0]),
        xyxy=np.concatenate([d.xyxy for d in frames] + empty).astype(np.float32),
        confidence=np.concatenate([d.confidence for d in frames] + [empty[0][:, 0]]
                                  ).astype(np.float32),
        class_id=np.concatenate([d.class_id for d in frames] + [np.zeros(0, np.int64)]
                                ).astype(np.int64))


def load_detections(path: Path) -> list[sv.Detections]:
    """The per-frame detections :func:`save_detections` wrote: one per frame of the video.
    (The counts end with a 0 that is no frame: until this version the loader returned it
    as one more, empty, frame after the video's last.)"""
    data = np.load(path)
    counts = data["counts"][:-1]
    splits = np.cumsum(counts)[:-1]
    return [sv.Detections(xyxy=x, confidence=c, class_id=k) for x, c, k in zip(
        np.split(data["xyxy"], splits), np.split(data["confidence"], splits),
        np.split(data["class_id"], splits), strict=True)]
