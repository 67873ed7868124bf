"""The identity service: per-track cache and policy in front of face workers.

``observe`` runs on the inference thread and only decides, crops and enqueues: a track with
a confirmed name is answered from the cache (``source: cache``, free); a track due for a
try gets a head-crop job on a bounded queue (full: dropped and counted). Workers run the face
gate and the backend, guarded by the circuit breaker and call budgets for cloud backends, and
emit ``IdentityResolved`` and ``AttendanceMarked`` events. Crossings of person tracks are
handed to the attendance book on the inference thread (cheap, no I/O).

Names follow the person, not the track id: a :class:`~edge.identity.switches.SwitchWatch`
puts a named track's name in doubt when its box overlaps another person's, when it is lost
and found again, when it jumps, or when its colours change. A doubted name is still served
(confidence lowered, ``details.unconfirmed``) and the track is asked again at its next clear
face; an answer naming someone else replaces the name, and the attendance marks made under
the old name since the doubt are moved to the right employee with an
``AttendanceCorrected`` event. Of two tracks suspected of swapping ids with each other, only
one is asked: its answer settles the other's name too (``swap_partner`` corrections).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

import numpy as np

from edge.analytics.attendance import AttendanceBook, Reattribution
from edge.capture.slot import Frame
from edge.config.identity import IdentityConfig
from edge.events import Event, IdentityResolved
from edge.identity.answer import Identification
from edge.identity.cache import Action, CachePolicy, Correction, TrackIdentityCache
from edge.identity.faces import FaceBox, GateResult, head_box
from edge.identity.guard import CallBudget, CircuitBreaker
from edge.identity.rekognition import BackendUnavailable
from edge.identity.switches import SwitchWatch
from edge.pipeline.services import Ticket
from edge.pipeline.stats import ServiceTally
from edge.pipeline.step import PERSON_ID, FrameResult
from edge.pipeline.tracks import TrackBook
from edge.pipeline.workers import JobWorkers
from edge.telemetry import metrics

log = logging.getLogger(__name__)

UNAVAILABLE = "identity service unavailable; serving cached results"


class FaceGate(Protocol):
    """Finds the face in a head crop and judges it (``FaceEngine`` plus a ``GateConfig``)."""

    def __call__(self, crop_bgr: np.ndarray) -> GateResult: ...


class FaceBackend(Protocol):
    """Names the face in a crop (local gallery or a cloud service)."""

    name: str
    cloud: bool

    def identify(self, crop_bgr: np.ndarray, face: FaceBox | None) -> Identification: ...


@dataclass(frozen=True)
class FaceAnswer:
    """One person track's answer for ``/api/process``."""

    track_id: int
    answer: Identification
    ts: datetime
    doubted: bool = False
    """The name may have passed to this track from another person (asked again soon)."""

    def to_legacy(self) -> dict[str, Any]:
        """The seed's ``faces_recognized[]`` item."""
        details: dict[str, Any] = {"timestamp": self.ts.isoformat()}
        if self.answer.employee_id is not None:
            details["employee_id"] = self.answer.employee_id
        if self.answer.distance is not None:
            details["distance"] = round(self.answer.distance, 4)
        if self.doubted:
            details["unconfirmed"] = True
        return {"track_id": self.track_id, "name": self.answer.name,
                "confidence": self.answer.confidence, "source": self.answer.source,
                "details": details}


@dataclass
class _Job:
    camera_id: str
    track_id: int
    crop: np.ndarray
    ts: datetime
    ticket: Ticket
    attendance_point: bool


@dataclass
class CameraRole:
    """What the identity service needs to know of a camera."""

    attendance_point: bool = False
    attendance_lines: frozenset[str] = field(default_factory=frozenset)
    """Lines whose person crossings check in and out (the occupancy lines)."""


class IdentityService:
    """Identity for every person track of every camera (a ``TrackService``).

    Args:
        cfg: identity settings (policy, queue, workers).
        gate: face finder and quality gate for head crops.
        backend: who names the faces.
        emit: where events go.
        attendance: the attendance book (None: attendance off).
        cameras: camera roles by id (unknown cameras: no attendance point, no lines).
        breaker, budget: guards for cloud backends (built from ``cfg`` when None).
        save_crop: called with (job, crop) when face crops are to be kept.
    """

    name = "identity"

    def __init__(self, cfg: IdentityConfig, gate: FaceGate, backend: FaceBackend,
                 emit: Callable[[Sequence[Event]], None], *,
                 attendance: AttendanceBook | None = None,
                 cameras: dict[str, CameraRole] | None = None,
                 breaker: CircuitBreaker | None = None, budget: CallBudget | None = None,
                 save_crop: Callable[[str, int, datetime, np.ndarray], None] | None = None,
                 tally: ServiceTally | None = None, price_per_call_usd: float = 0.0) -> None:
        self.cfg = cfg
        self.gate = gate
        self.backend = backend
        self.emit = emit
        self.attendance = attendance
        self.cameras = cameras or {}
        self.cache = TrackIdentityCache(CachePolicy(
            ttl_s=cfg.cache_ttl_s, retry_interval_s=cfg.retry_interval_s,
            max_attempts=cfg.max_attempts, confirmations=cfg.confirmations,
            max_reasks=cfg.switches.max_reasks if cfg.switches.enabled else 0,
            doubt_confidence=cfg.switches.doubt_confidence,
            reask_after_no_match=cfg.switches.reask_after_no_match))
        self.switches = SwitchWatch(cfg.switches)
        self.breaker = breaker or CircuitBreaker(cfg.breaker.failure_threshold,
                                                 cfg.breaker.reset_after_s)
        b = cfg.budget
        self.budget = budget or CallBudget(b.per_minute, b.per_day, b.per_month)
        self.save_crop = save_crop
        self.tally = tally or ServiceTally()
        self.price = price_per_call_usd
        self.calls = 0
        self.dropped = 0
        self.pool: JobWorkers[_Job] = JobWorkers("identity", self._run, cfg.workers,
                                                 cfg.queue_max, lambda j: j.ticket.finish_one(),
                                                 nice=cfg.worker_nice)
        self.tracks: TrackBook[None] = TrackBook(cfg.track_gone_s, lambda _key: None)
        """Person tracks seen (frames, last time); gone ``track_gone_s`` after the last."""
        self.eligible_tracks = 0
        """Person tracks seen long enough to be asked about (``min_track_frames``)."""

    def start(self) -> None:
        """Start the face workers."""
        self.pool.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the workers; jobs still queued are dropped (their tracks will be asked again)."""
        self.pool.stop(timeout)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued job is done (replays and tests); False on timeout."""
        return self.pool.drain(timeout)

    # -- inference thread ---------------------------------------------------------------
    def observe(self, frame: Frame, result: FrameResult) -> Ticket:
        """Answer person tracks from the cache or queue a face job; feed attendance."""
        cam = result.camera_id
        now = result.ts.timestamp()
        role = self.cameras.get(cam, CameraRole())
        self._attendance_crossings(result, role)
        dets = result.detections
        answers: list[FaceAnswer] = []
        jobs: list[_Job] = []
        warning = None
        if dets.tracker_id is not None and dets.class_id is not None and len(dets):
            down = self.backend.cloud and self.breaker.refusing(time.monotonic())
            people = np.flatnonzero((dets.class_id == PERSON_ID) & (dets.tracker_id >= 0))
            view = self.switches.update(cam, [int(t) for t in dets.tracker_id[people]],
                                        dets.xyxy[people], frame.picture, now)
            for track, reason in view.suspects.items():
                if self.cache.doubt((cam, track), view.since.get(track, now), reason,
                                    view.last.get(track), view.partners.get(track)):
                    metrics.IDENTITY_DOUBTS.labels(reason).inc()
            for i in people:
                track = int(dets.tracker_id[i])
                key = (cam, track)
                seen = self.tracks.see(key, now).frames
                if seen < self.cfg.min_track_frames:
                    continue
                self.eligible_tracks += int(seen == self.cfg.min_track_frames)
                action, shown = self.cache.decide(key, now,
                                                  can_ask=track not in view.overlapping)
                hit = action is not Action.ASK
                metrics.IDENTITY_CACHE.labels("hit" if hit else "miss").inc()
                self.tally.add(cam, cache_hits=int(hit), cache_misses=int(not hit))
                if down and action is not Action.CACHED:
                    # No call while the breaker is open; the last known name is the fallback.
                    warning = UNAVAILABLE
                    if action is Action.ASK:
                        self.cache.refund(key)
                    shown = self._fallback(key) or shown
                elif action is Action.ASK:
                    crop = frame.crop(head_box(dets.xyxy[i]))
                    if crop.size:
                        jobs.append(_Job(cam, track, crop.copy(), result.ts, Ticket(),
                                         role.attendance_point))
                        continue
                    self.cache.refund(key)
                if shown is not None:
                    answers.append(FaceAnswer(track, shown, result.ts,
                                              self.cache.in_doubt(key)))
        self._forget_gone(cam, now)
        ticket = Ticket(answers, pending=len(jobs))
        ticket.warning = warning
        for job in jobs:
            job.ticket = ticket
            if not self.pool.offer(job):
                self.dropped += 1
                metrics.IDENTITY_QUEUE_DROPPED.inc()
                self.cache.refund((job.camera_id, job.track_id))
                ticket.warning = ticket.warning or "identity queue full; face job dropped"
                ticket.finish_one()
        return ticket

    def _fallback(self, key: tuple[str, int]) -> Identification | None:
        confirmed = self.cache.last_known(key)
        if confirmed is None:
            return None
        return Identification(confirmed.employee_id, confirmed.name, confirmed.confidence,
                              confirmed.distance, "cache")

    def _attendance_crossings(self, result: FrameResult, role: CameraRole) -> None:
        if self.attendance is None:
            return
        events: list[Event] = []
        for c in result.crossings:
            if c.class_name != "person" or c.line_id not in role.attendance_lines:
                continue
            known = self.cache.confirmed((result.camera_id, c.tracker_id))
            employee = (known.employee_id, known.confidence) if known and \
                known.employee_id else None
            events += self.attendance.crossing(result.camera_id, c.tracker_id, c.direction,
                                               result.ts, employee)
        if events:
            self.emit(events)

    def _forget_gone(self, camera_id: str, now: float) -> None:
        gone = self.tracks.gone(camera_id, now)
        if not gone:
            return
        self.switches.forget(camera_id, [k[1] for k, _ in gone])
        alive = {k for k, _ in self.tracks.items() if k[0] == camera_id}
        self.cache.end_tracks(alive, camera_id)

    # -- workers ------------------------------------------------------------------------
    def _run(self, job: _Job) -> None:
        key = (job.camera_id, job.track_id)
        t0 = time.perf_counter()
        verdict = self.gate(job.crop)
        if not verdict.ok:
            metrics.IDENTITY_GATE_REJECTED.labels(verdict.reason.split(" ")[0]).inc()
            self.cache.refund(key)
            job.ticket.finish_one()
            return
        if self.backend.cloud:
            if not self.breaker.allow(time.monotonic()):
                self.cache.refund(key)
                self._answer_fallback(job, key, UNAVAILABLE)
                return
            spent = self.budget.try_spend()
            if spent is not None:
                self.cache.refund(key)
                self._answer_fallback(job, key, f"identity budget per {spent} spent; "
                                                "serving cached results")
                return
        if self.save_crop is not None:
            self.save_crop(job.camera_id, job.track_id, job.ts, job.crop)
        self.calls += 1
        self.tally.add(job.camera_id, faces_processed=1,
                       aws_calls=int(self.backend.cloud),
                       aws_cost_estimated=self.price if self.backend.cloud else 0.0)
        try:
            answer = self.backend.identify(job.crop, verdict.face)
            self.breaker.success()
        except BackendUnavailable as exc:
            self.breaker.failure(time.monotonic(), str(exc))
            self.cache.refund(key)  # an outage must not use up the track's attempts
            answer = Identification(None, "Unknown", 0.0, None, "error")
            job.ticket.warning = UNAVAILABLE
            log.warning("identity backend: %s", exc)
        metrics.IDENTITY_SECONDS.labels(self.backend.name).observe(time.perf_counter() - t0)
        metrics.IDENTITY_ANSWERS.labels(answer.source).inc()
        shown = (answer if answer.source == "error"
                 else self.cache.record(key, answer, job.ts.timestamp()))
        events: list[Event] = [IdentityResolved(
            camera_id=job.camera_id, ts=job.ts, tracker_id=job.track_id,
            employee_id=answer.employee_id, name=answer.name, confidence=answer.confidence,
            source=answer.source, distance=answer.distance)]
        fixes: list[tuple[tuple[str, int], Correction]] = []
        correction = self.cache.take_correction(key)
        if correction is not None:
            fixes.append((key, correction))
        partner = self.cache.take_partner_correction(key)
        if partner is not None:  # its swap partner's name, settled by the same answer
            fixes.append(partner)
        events += self._correct(fixes, job.camera_id, job.ts)
        if shown.matched and self.attendance is not None and shown.employee_id:
            events += self.attendance.identity(job.camera_id, job.track_id, shown.employee_id,
                                               shown.confidence, job.ts, job.attendance_point)
        self.emit(events)
        job.ticket.add(FaceAnswer(job.track_id, shown, job.ts))
        job.ticket.finish_one()

    def _correct(self, fixes: list[tuple[tuple[str, int], Correction]], camera_id: str,
                 ts: datetime) -> list[Event]:
        """Tracks' names were replaced: count them, and move the attendance marks made under
        the old names since the doubts to the new ones (together: a swapped pair's marks
        trade places)."""
        moves: list[Reattribution] = []
        for (_cam, track), fix in fixes:
            metrics.IDENTITY_CORRECTIONS.inc()
            log.info("camera %s track %d: %s is %s (name doubted: %s)", camera_id, track,
                     fix.old.name, fix.new.name, fix.reason)
            if fix.old.employee_id and fix.new.employee_id:
                moves.append(Reattribution(
                    track, fix.old.employee_id, (fix.new.employee_id, fix.new.confidence),
                    datetime.fromtimestamp(fix.since, timezone.utc), fix.reason))
        if self.attendance is None or not moves:
            return []
        return self.attendance.reattribute_all(camera_id, moves, ts)

    def _answer_fallback(self, job: _Job, key: tuple[str, int], warning: str) -> None:
        shown = self._fallback(key)
        if shown is not None:
            job.ticket.add(FaceAnswer(job.track_id, shown, job.ts))
        job.ticket.warning = warning
        job.ticket.finish_one()
