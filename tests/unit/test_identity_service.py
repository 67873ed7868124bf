"""The identity service: one backend call per track, answers from the cache, attendance from
crossings, and cameras that never wait for a slow or failing backend."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import supervision as sv

from edge.analytics.attendance import AttendanceBook
from edge.analytics.lines import LineCrossing
from edge.capture.slot import Frame
from edge.config.identity import AttendanceConfig, BreakerConfig, IdentityConfig, ShiftConfig
from edge.events import AttendanceMarked, IdentityResolved
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox, GateResult
from edge.identity.rekognition import BackendUnavailable
from edge.identity.service import UNAVAILABLE, CameraRole, IdentityService
from edge.pipeline.step import FrameResult

T0 = datetime(2026, 11, 23, 3, 25, tzinfo=timezone.utc)  # 08:55 in Kolkata
IMAGE = np.zeros((480, 640, 3), np.uint8)


def frame(i: int, tracks: list[int], crossings: list[LineCrossing] | None = None,
          fps: float = 10.0) -> FrameResult:
    xyxy = np.array([[50 + 100 * k, 100, 130 + 100 * k, 400] for k in range(len(tracks))],
                    np.float32).reshape(-1, 4)
    dets = sv.Detections(xyxy=xyxy, confidence=np.full(len(tracks), 0.9, np.float32),
                         class_id=np.zeros(len(tracks), int),
                         tracker_id=np.array(tracks, int))
    return FrameResult(camera_id="door", frame_seq=i, ts=T0 + timedelta(seconds=i / fps),
                       detections=dets, crossings=crossings or [], people_count=len(tracks),
                       vehicle_count=0, occupancy=0, entries=0, exits=0)


def any_face(crop: np.ndarray) -> GateResult:
    h, w = crop.shape[:2]
    return GateResult(True, "", FaceBox(0, w, h, 0))


class Backend:
    """Names track k as employee E<k>; counts calls; can fail or hang on demand."""

    name = "stand-in"

    def __init__(self, cloud: bool = False) -> None:
        self.cloud = cloud
        self.calls = 0
        self.fail: str | None = None
        self.hang = threading.Event()
        self.hanging = False

    def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
        self.calls += 1
        if self.hanging:
            self.hang.wait(10)
        if self.fail:
            raise BackendUnavailable("throttled", self.fail)
        return Identification("E1", "Asha", 97.0, 0.3, "aws" if self.cloud else "local")


def service(backend: Backend, events: list, **cfg: object) -> IdentityService:
    book = AttendanceBook(AttendanceConfig(groups={"default": ShiftConfig()}),
                          ZoneInfo("Asia/Kolkata"))
    cfg.setdefault("min_track_frames", 1)
    svc = IdentityService(IdentityConfig(enabled=True, **cfg), any_face, backend,  # type: ignore[arg-type]
                          events.extend, attendance=book,
                          cameras={"door": CameraRole(False, frozenset({"main"}))})
    svc.start()
    return svc


def test_one_call_per_track_then_cache_hits() -> None:
    backend, events = Backend(), []
    svc = service(backend, events)
    sources = []
    for i in range(50):
        t = svc.observe(Frame("cam", IMAGE, 0), frame(i, [1]))
        assert t.wait(5)
        sources += [a.answer.source for a in t.answers]
    svc.stop()
    assert backend.calls == 1
    assert sources[0] == "local" and set(sources[1:]) == {"cache"}
    assert [type(e) for e in events] == [IdentityResolved]
    assert t.answers[0].to_legacy()["source"] == "cache"
    tally = svc.tally.take("door")  # the system_metrics columns of this camera
    assert (tally["faces_processed"], tally["cache_hits"], tally["cache_misses"]) == (1, 49, 1)
    assert tally["aws_calls"] == 0  # a local backend costs nothing


def test_crossing_before_the_name_is_known_checks_in_when_it_arrives() -> None:
    backend, events = Backend(), []
    backend.hanging = True  # the name arrives after the crossing
    svc = service(backend, events)
    t = svc.observe(Frame("cam", IMAGE, 0), frame(0, [4]))
    svc.observe(Frame("cam", IMAGE, 0), frame(1, [4], [LineCrossing("main", 4, "person", "entry")]))
    backend.hang.set()
    assert t.wait(5) and svc.drain()
    svc.stop()
    (mark,) = [e for e in events if isinstance(e, AttendanceMarked)]
    assert (mark.employee_id, mark.action, mark.status) == ("E1", "check_in", "PRESENT")
    assert mark.check_in_time == T0 + timedelta(seconds=0.1)  # stamped at the crossing


def test_breaker_opens_on_throttling_and_cameras_keep_their_pace() -> None:
    backend, events = Backend(cloud=True), []
    backend.fail = "ThrottlingException"
    svc = service(backend, events, breaker=BreakerConfig(failure_threshold=3, reset_after_s=60),
                  retry_interval_s=0.0)
    slowest, warnings = 0.0, set()
    for i in range(300):
        t0 = time.perf_counter()
        ticket = svc.observe(Frame("cam", IMAGE, 0), frame(i, [1, 2, 3]))
        slowest = max(slowest, time.perf_counter() - t0)
        ticket.wait(2)
        warnings.add(ticket.warning)
    svc.stop()
    assert svc.breaker.is_open
    assert backend.calls == 3  # the breaker stopped calling after the threshold
    assert svc.tally.take("door")["aws_calls"] == 3
    assert UNAVAILABLE in warnings
    assert slowest < 0.25  # observe never waits for the backend


def test_a_hung_backend_fills_the_queue_drops_jobs_and_never_blocks() -> None:
    backend, events = Backend(), []
    backend.hanging = True
    svc = service(backend, events, queue_max=2, retry_interval_s=0.0)
    slowest = 0.0
    for i in range(200):
        t0 = time.perf_counter()
        svc.observe(Frame("cam", IMAGE, 0), frame(i, [1, 2, 3, 4]))
        slowest = max(slowest, time.perf_counter() - t0)
    backend.hang.set()
    svc.drain()
    svc.stop()
    assert svc.dropped > 0
    assert slowest < 0.25


def test_no_match_is_retried_at_most_max_attempts() -> None:
    class Stranger(Backend):
        def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
            self.calls += 1
            return Identification(None, "Unknown", 0.0, 0.8, "no_match")

    backend, events = Stranger(), []
    svc = service(backend, events, max_attempts=3, retry_interval_s=1.0)
    for i in range(100):  # 10 s of video at 10 fps
        svc.observe(Frame("cam", IMAGE, 0), frame(i, [9])).wait(5)
    svc.stop()
    assert backend.calls == 3
    assert all(e.employee_id is None for e in events)


def test_a_stranger_needs_agreeing_answers_when_confirmations_is_two() -> None:
    answers = iter(["E1", None, "E2", "E2"])

    class Flaky(Backend):
        def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
            self.calls += 1
            eid = next(answers)
            return Identification(eid, eid or "Unknown", 90.0, 0.4,
                                  "local" if eid else "no_match")

    backend, events = Flaky(), []
    svc = service(backend, events, confirmations=2, max_attempts=5, retry_interval_s=0.0)
    names = []
    for i in range(6):
        t = svc.observe(Frame("cam", IMAGE, 0), frame(i, [5]))
        t.wait(5)
        names.append([a.answer.name for a in t.answers])
    svc.stop()
    assert names[:3] == [["Unknown"], ["Unknown"], ["Unknown"]]  # E1 once is not enough
    assert names[3] == ["E2"] and names[4] == ["E2"]  # confirmed by the second E2
    assert backend.calls == 4


def test_a_track_is_asked_about_only_once_it_has_lasted_min_track_frames() -> None:
    backend, events = Backend(), []
    svc = service(backend, events, min_track_frames=3)
    svc.observe(Frame("cam", IMAGE, 0), frame(0, [1, 2])).wait(5)
    svc.observe(Frame("cam", IMAGE, 0), frame(1, [1])).wait(5)  # track 2 flickered once and is gone
    assert backend.calls == 0
    svc.observe(Frame("cam", IMAGE, 0), frame(2, [1])).wait(5)
    svc.stop()
    assert backend.calls == 1 and svc.eligible_tracks == 1
