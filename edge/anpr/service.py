"""The ANPR service: one plate per vehicle track, read on workers, logged once.

``observe`` (inference thread) keeps per-track state, logs a vehicle's entry at once, and
queues a copy of the vehicle crop while the plate is undecided and the track's read budget
lasts (bounded queue; a full queue drops the job and counts it). Workers localise the plate,
skip crops too small or blurred, OCR, correct by format and vote. A decided plate is checked
against the allow/deny lists and the vehicle's ``vehicle_logs`` row is updated; an exit
crossing or the track going unseen closes the row with its exit time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from edge.anpr.lists import PlateLists, lists_from
from edge.anpr.localise import PlateLocaliser
from edge.anpr.ocr import OcrEngine, make_engine
from edge.anpr.reader import PlateReader
from edge.anpr.voting import Decision, PlateVote, Read
from edge.capture.slot import Frame
from edge.config.anpr import AnprConfig
from edge.config.models import CANONICAL_CLASSES, VEHICLE_CLASSES, Settings
from edge.events import Event, PlateRead, VehicleSeen
from edge.pipeline.services import Ticket
from edge.pipeline.step import FrameResult
from edge.pipeline.tracks import TrackBook
from edge.pipeline.workers import JobWorkers
from edge.telemetry import metrics

log = logging.getLogger(__name__)

VEHICLE_IDS = frozenset(CANONICAL_CLASSES.index(c) for c in VEHICLE_CLASSES)


@dataclass
class _Track:
    uid: str
    camera_id: str
    track_id: int
    vehicle_type: str
    entry: datetime
    last_seen: datetime
    vote: PlateVote
    reads: int = 0
    last_read: float = float("-inf")
    decided: Decision | None = None
    status: str = "unknown"
    exit: datetime | None = None
    ocr_confidences: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class VehicleAnswer:
    """One vehicle track's plate for ``/api/process``."""

    track_id: int
    vehicle_type: str
    plate: str | None
    confidence: float
    status: str
    ocr_confidence: float
    ts: datetime

    def to_legacy(self) -> dict[str, Any]:
        """The seed's ``vehicles_detected[]`` item."""
        return {"track_id": self.track_id, "type": self.vehicle_type, "plate": self.plate,
                "confidence": self.confidence, "status": self.status,
                "details": {"timestamp": self.ts.isoformat(),
                            "ocr_confidence": self.ocr_confidence}}


class AnprService:
    """Plates for every vehicle track of every camera (a ``TrackService``)."""

    name = "anpr"

    def __init__(self, cfg: AnprConfig, engine: OcrEngine, emit: Callable[[Sequence[Event]], None],
                 *, localiser: PlateLocaliser | None = None, lists: PlateLists | None = None,
                 save_crop: Callable[[str, np.ndarray], None] | None = None) -> None:
        self.cfg = cfg
        self.engine = engine
        self.emit = emit
        self.localiser = localiser
        self.lists = lists or PlateLists(cfg.allow, cfg.deny, cfg.fuzzy_distance, cfg.folds)
        self.reader = PlateReader.from_config(engine, cfg)
        self.tracks: TrackBook[_Track] = TrackBook(cfg.track_gone_s)
        """Vehicle tracks by (camera, track id); gone ``track_gone_s`` after the last sight."""
        self.save_crop = save_crop
        """Called on a worker with (vehicle_uid, plate crop) when a plate is decided."""
        self.dropped = 0
        self._lock = threading.Lock()
        self.pool: JobWorkers[tuple[_Track, np.ndarray, Ticket]] = JobWorkers(
            "anpr", self._job, cfg.workers, cfg.queue_max, self._job_failed,
            nice=cfg.worker_nice, on_start=self._thread_setup)

    def _thread_setup(self) -> None:
        """On each worker: torch's threads for this thread (EasyOCR; OpenMP keeps the
        count per thread). ONNX Runtime's are set where its sessions are made."""
        if self.engine.name == "easyocr":
            from edge.detect.detector import set_inference_threads

            set_inference_threads(self.cfg.threads)

    def start(self) -> None:
        """Start the OCR workers."""
        self.pool.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Finish the reads already queued (for up to ``timeout``; the rest are skipped),
        then decide and close every open vehicle row and stop the workers (waiting up to
        ``timeout`` more for a read in progress).

        The reads go first: when a stream ends (a file, or the daemon stopping) the last
        vehicles' reads are often still queued, and a vote closed before them decided from
        fewer reads (or none: no plate logged) than the track had. Reads left over are
        dropped, not run after the rows are closed: a worker still inside the OCR runtime
        when the process exits aborts it."""
        if not self.pool.drain(timeout):
            skipped = self.pool.discard()
            log.info("anpr: %d plate reads still queued at stop were skipped", skipped)
        with self._lock:
            events = [self._close(t, t.last_seen) for _k, t in self.tracks.clear()
                      if t.exit is None]
        if events:
            self.emit(events)
        self.pool.stop(timeout)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until queued jobs are done (tests)."""
        return self.pool.drain(timeout)

    def observe(self, frame: Frame, result: FrameResult) -> Ticket:
        """Track vehicles, log entries and exits, queue plate reads; never blocks."""
        cam, ts, now = result.camera_id, result.ts, result.ts.timestamp()
        dets = result.detections
        events: list[Event] = []
        answers: list[VehicleAnswer] = []
        jobs: list[tuple[_Track, np.ndarray]] = []
        exits = {c.tracker_id for c in result.crossings if c.direction == "exit"}
        with self._lock:
            if dets.tracker_id is not None and dets.class_id is not None:
                for i, track_id in enumerate(dets.tracker_id):
                    if track_id < 0 or int(dets.class_id[i]) not in VEHICLE_IDS:
                        continue
                    key = (cam, int(track_id))
                    seen = self.tracks.see(key, now, lambda k, i=i: _Track(
                        str(uuid.uuid4()), k[0], k[1],
                        CANONICAL_CLASSES[int(dets.class_id[i])], ts, ts,
                        PlateVote(self.cfg.min_votes, self.cfg.min_share)))
                    t = seen.state
                    if seen.frames == 1:
                        events.append(self._snapshot(t))
                    t.last_seen = ts
                    if t.exit is None and int(track_id) in exits:
                        events.append(self._close(t, ts))
                    if (t.decided is None and t.reads < self.cfg.max_reads_per_track
                            and now - t.last_read >= self.cfg.read_interval_s):
                        crop = frame.crop(dets.xyxy[i])
                        if crop.size:
                            t.reads += 1
                            t.last_read = now
                            jobs.append((t, crop.copy()))
                            continue
                    answers.append(self._answer(t, ts))
            for _k, t in self.tracks.gone(cam, now):
                if t.exit is None:
                    events.append(self._close(t, t.last_seen))
        if events:
            self.emit(events)
        ticket = Ticket(answers, pending=len(jobs))
        for t, crop in jobs:
            if not self.pool.offer((t, crop, ticket)):
                self.dropped += 1
                metrics.ANPR_QUEUE_DROPPED.inc()
                t.reads -= 1
                ticket.add(self._answer(t, ts))
                ticket.warning = "plate queue full; read skipped"
                ticket.finish_one()
        return ticket

    def _answer(self, t: _Track, ts: datetime) -> VehicleAnswer:
        best = t.decided or t.vote.best()
        ocr = float(np.mean(t.ocr_confidences)) if t.ocr_confidences else 0.0
        return VehicleAnswer(t.track_id, t.vehicle_type, best.plate if best else None,
                             round(best.confidence, 4) if best else 0.0, t.status,
                             round(ocr, 4), ts)

    def _snapshot(self, t: _Track) -> VehicleSeen:
        d = t.decided
        return VehicleSeen(camera_id=t.camera_id, ts=t.last_seen, vehicle_uid=t.uid,
                           tracker_id=t.track_id, vehicle_type=t.vehicle_type,
                           entry_time=t.entry, exit_time=t.exit,
                           plate_number=d.plate if d else None,
                           ocr_confidence=round(float(np.mean(t.ocr_confidences)), 4)
                           if d and t.ocr_confidences else None,
                           status=t.status)  # type: ignore[arg-type]

    def _close(self, t: _Track, at: datetime) -> VehicleSeen:
        """Exit: decide from what was read (best effort) and log the exit time."""
        if t.decided is None:
            best = t.vote.best()
            if best is not None:
                self._decide(t, best)
        t.exit = at
        return self._snapshot(t)

    def _decide(self, t: _Track, d: Decision) -> None:
        t.decided = d
        t.status = self.lists.status(d.plate)
        metrics.ANPR_DECIDED.labels(t.status).inc()

    def _job(self, job: tuple[_Track, np.ndarray, Ticket]) -> None:
        t, crop, ticket = job
        if t.decided is None:  # reads queued before the plate was decided are not needed
            self._read(t, crop)
        ticket.add(self._answer(t, t.last_seen))
        ticket.finish_one()

    def _job_failed(self, job: tuple[_Track, np.ndarray, Ticket]) -> None:
        t, _crop, ticket = job
        ticket.add(self._answer(t, t.last_seen))
        ticket.finish_one()

    def _read(self, t: _Track, vehicle: np.ndarray) -> None:
        t0 = time.perf_counter()
        text, plate = self.reader.read_picture(
            vehicle, self.localiser, text_fallback=self.cfg.text_fallback,
            min_px=self.cfg.min_plate_px, min_sharpness=self.cfg.min_sharpness)
        if plate is None:
            return
        metrics.ANPR_READS.labels(self.engine.name).inc()
        metrics.ANPR_READ_SECONDS.labels(self.engine.name).observe(time.perf_counter() - t0)
        if text is None:
            return
        events: list[Event] = [PlateRead(
            camera_id=t.camera_id, vehicle_uid=t.uid, tracker_id=t.track_id,
            plate_text=text.plate, raw_text=text.raw, confidence=text.confidence,
            engine=self.engine.name)]
        with self._lock:
            t.ocr_confidences.append(text.confidence)
            decision = t.vote.add(Read(text.plate, text.confidence, float(plate.shape[0])))
            decided_now = decision is not None and t.decided is None
            if decision is not None and decided_now:
                self._decide(t, decision)
                events.append(self._snapshot(t))
        if decided_now and self.save_crop is not None:
            self.save_crop(t.uid, plate)
        self.emit(events)


def build_anpr_service(settings: Settings, emit: Callable[[Sequence[Event]], None]
                       ) -> AnprService:
    """The ANPR service the settings ask for (lists from the config and ``plate_lists``;
    the daemon's control poller keeps them current, :mod:`edge.anpr.refresh`)."""
    from pathlib import Path

    from edge.store.queries import StoreReader

    cfg = settings.anpr
    lists = lists_from(cfg, StoreReader(settings.storage.path).plate_lists())
    localiser = None
    if cfg.localiser == "platedet":
        model = Path(settings.models_dir) / "platedet.onnx"
        localiser = PlateLocaliser(model if model.exists() else None, threads=cfg.threads)
    engine = make_engine(cfg.engine, cfg.recogniser, Path(settings.models_dir),
                         threads=cfg.threads)
    saver = None
    if cfg.store_plate_crops:
        from edge.store.retention import DiskGuard

        root = Path(cfg.plate_crops_dir)
        guard = DiskGuard(root, settings.storage.min_free_disk_mb)

        def saver(vehicle_uid: str, crop: np.ndarray) -> None:
            if guard.room_for_files():
                root.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(root / f"{vehicle_uid}.jpg"), crop)

    return AnprService(cfg, engine, emit, localiser=localiser, lists=lists, save_crop=saver)

