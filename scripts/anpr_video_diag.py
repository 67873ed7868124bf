"""Where the plate chain broke for a vehicle of ``eval_anpr_video.py`` with no right plate.

:class:`Trace` watches one daemon run: the tracked vehicles of every frame (the App's
``on_result``), and, hooked into the ANPR service's worker, every read job of every track:
the plate boxes the localiser found, whether a box was tall and sharp enough, what the OCR
engine read and what the reader made of it, and whether the track's vote had decided when the
track was closed. :func:`diagnose` names the first link that failed, and reads frames
of the vehicle's track again (the same localiser and reader) to say whether more reads would
have found the plate.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.anpr.service import VEHICLE_IDS, AnprService
from edge.config.models import Settings
from edge.pipeline.step import FrameResult
from edge.pipeline.tracking import vehicle_thresholds


@dataclass
class Attempt:
    """One read job of the ANPR service."""

    track_id: int
    frame: int
    boxes: int = 0
    """Plate boxes the localiser found (0: the text fallback read the lower part)."""
    plate_crop: bool = False
    """A crop was tall and sharp enough to read."""
    raw: list[str] = field(default_factory=list)
    """What the OCR engine read, pass by pass."""
    text: str | None = None
    """The reader's plate (None: nothing plate-like)."""


class Trace:
    """What one run of a clip did, frame by frame and read by read."""

    def __init__(self) -> None:
        self.frames = 0
        self.first: dict[int, int] = {}
        """Track id -> first frame (1-based) it was seen in."""
        self.seen: Counter[int] = Counter()
        """Track id -> frames it was seen in."""
        self.boxes: dict[int, dict[int, np.ndarray]] = defaultdict(dict)
        """Track id -> frame -> its box."""
        self.attempts: list[Attempt] = []
        self.undecided_at_close: dict[int, int] = {}
        """Track id -> reads in its vote, for tracks closed with no plate."""
        self.jobs: dict[int, int] = {}
        """Track id -> read jobs queued for it (at its closing)."""
        self.service: AnprService | None = None
        self.localiser: Any = None
        """The service's own localiser (unwrapped)."""
        self._local = threading.local()

    def on_result(self, result: FrameResult) -> None:
        """The App's per-frame callback (inference thread)."""
        self.frames += 1
        d = result.detections
        if d.tracker_id is None or d.class_id is None:
            return
        for i, tid in enumerate(d.tracker_id):
            if tid < 0 or int(d.class_id[i]) not in VEHICLE_IDS:
                continue
            self.first.setdefault(int(tid), self.frames)
            self.seen[int(tid)] += 1
            self.boxes[int(tid)][self.frames] = np.asarray(d.xyxy[i]).copy()

    def attach(self, service: Any) -> None:
        """Hook into the ANPR service's read path (its worker thread) and its closing; the
        engine and localiser are wrapped for this service only (they may be shared)."""
        if service is None:
            return
        self.service = service
        read, close, reader_read = service._read, service._close, service.reader.read
        engine, localiser, trace = service.engine, service.localiser, self

        def traced_read(t: Any, vehicle: np.ndarray) -> None:
            self._local.attempt = a = Attempt(t.track_id, self.frames)
            self.attempts.append(a)
            read(t, vehicle)

        def traced_reader(image: np.ndarray, scene: bool = False) -> Any:
            self._attempt().plate_crop = True
            out = reader_read(image, scene)
            if out is not None:
                self._attempt().text = out.plate
            return out

        def traced_close(t: Any, at: Any) -> Any:
            out = close(t, at)
            self.jobs[t.track_id] = t.reads
            if t.decided is None:
                self.undecided_at_close[t.track_id] = len(t.vote.reads)
            return out

        class Engine:
            name = engine.name

            def read(self, image: np.ndarray, height: int | None = None) -> Any:
                out = engine.read(image, height)
                trace._attempt().raw.append(out.raw)
                return out

        class Localiser:
            def find_all(self, image: np.ndarray, limit: int = 3) -> list[Any]:
                found = localiser.find_all(image, limit)
                trace._attempt().boxes = len(found)
                return found

        service._read = traced_read
        service._close = traced_close
        service.reader.read = traced_reader
        service.reader.engine = Engine()
        service.localiser = Localiser() if localiser is not None else None
        self.localiser = localiser

    def _attempt(self) -> Attempt:
        a = getattr(self._local, "attempt", None)
        return a if a is not None else Attempt(-1, self.frames)


def diagnose(trace: Trace, track_id: int | None, clip: Path, settings: Settings) -> str:
    """The first failing link for the labelled vehicle (``track_id``: its logged track, or
    None when no vehicle was logged), with what reading frames of the track again finds."""
    if track_id is None or not trace.seen:
        return no_vehicle(clip, settings)
    tracks = ", ".join(f"#{t}: {n} frames" for t, n in sorted(trace.seen.items()))
    mine = [a for a in trace.attempts if a.track_id == track_id]
    dropped = trace.service.dropped if trace.service is not None else 0
    if not mine:
        why = f"{dropped} read jobs dropped (queue full)" if dropped else "no read job ran"
        return f"track too short: track {track_id} seen {trace.seen[track_id]} frames, {why}"
    boxes = sum(a.boxes > 0 for a in mine)
    crops = sum(a.plate_crop for a in mine)
    texts = [a.text for a in mine if a.text]
    again = reread(trace, track_id, clip, settings)
    where = (f"{len(mine)} reads of track {track_id} (tracks {tracks}); frames of the track "
             f"read again: {again}")
    if texts:
        if track_id in trace.undecided_at_close:
            return f"votes never reached a decision ({texts}); {where}"
        return f"OCR misread ({Counter(texts).most_common(3)}); {where}"
    if not boxes and not crops:
        return f"no plate box (and the text fallback had nothing readable); {where}"
    if not crops:
        return f"plate box too small or blurred ({boxes} boxes); {where}"
    raws = [r for a in mine for r in a.raw if r][:6]
    return (f"OCR gave nothing plate-like ({boxes} reads with a plate box, raw {raws}); "
            f"{where}")


REREAD_FRAMES = 12
"""At most this many frames of a track are read again (evenly spaced; OCR is slow)."""


def reread(trace: Trace, track_id: int, clip: Path, settings: Settings) -> str:
    """Frames of the track (up to :data:`REREAD_FRAMES`, evenly spaced) read with the
    service's own reader: which plates come out."""
    service = trace.service
    if service is None:
        return "no ANPR service"
    seen = sorted(trace.boxes[track_id])
    step = max(1, -(-len(seen) // REREAD_FRAMES))
    frames = {f: trace.boxes[track_id][f] for f in seen[::step]}
    cap = cv2.VideoCapture(str(clip))
    got: Counter[str] = Counter()
    n = 0
    cfg = settings.anpr
    while True:
        ok, img = cap.read()
        if not ok:
            break
        n += 1
        box = frames.get(n)
        if box is None:
            continue
        x1, y1, x2, y2 = (max(0, int(v)) for v in box)
        text, _ = service.reader.read_picture(
            img[y1:y2, x1:x2], trace.localiser, text_fallback=cfg.text_fallback,
            min_px=cfg.min_plate_px, min_sharpness=cfg.min_sharpness)
        got[text.plate if text else "-"] += 1
    cap.release()
    return f"{dict(got.most_common(4))} over {sum(got.values())} frames"


def no_vehicle(clip: Path, settings: Settings) -> str:
    """No vehicle was tracked: did the detector see one at all?"""
    from edge.detect.detector import Detector

    model = settings.models[0]
    det = Detector(model, Path(settings.models_dir), settings.inference.device)
    cap = cv2.VideoCapture(str(clip))
    best: list[float] = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        d = det.predict([img])[0]
        conf = [float(c) for c, k in zip(d.confidence, d.class_id, strict=True)
                if int(k) in VEHICLE_IDS] if len(d) else []
        best.append(max(conf, default=0.0))
    cap.release()
    hits = sum(c > 0 for c in best)
    # The vehicles' ByteTrack starts a track only from a box at or above both of these.
    start = max(vehicle_thresholds(settings.tracking))
    strong = sum(c >= start for c in best)
    if hits and not strong:
        return (f"no track: the detector boxed the vehicle in {hits} of {len(best)} frames, "
                f"best confidence {max(best):.2f}, but a new track needs {start} (tracking."
                f"vehicle_high_conf_threshold); the model is unsure of vehicles that fill the "
                f"picture")
    return (f"no vehicle box: the detector found a vehicle in {hits} of {len(best)} frames "
            f"(best confidence {max(best, default=0.0):.2f}, threshold {model.confidence}; "
            f"{strong} frames at {start} or more could start a track)")
