"""When a stream ends, queued plate reads still count; a plate box touching the text widens.

Short clips (../shared/data/anpr_video, ``scripts/eval_anpr_video.py``) end while a vehicle's
reads wait in the queue: stopping must read them before it closes the row, and must not leave
a worker reading after the rows are closed.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import supervision as sv

from edge.anpr.ocr import OcrText
from edge.anpr.reader import EDGE, PlateText, _widen
from edge.anpr.service import AnprService
from edge.capture.slot import Frame
from edge.config.anpr import AnprConfig
from edge.events import PlateRead, VehicleSeen
from edge.pipeline.step import FrameResult
from edge.pipeline.workers import JobWorkers

T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


class SlowEngine:
    """Reads the same plate every time, ``delay`` seconds a read."""

    name = "slow"

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def read(self, crop: np.ndarray, height: int | None = None) -> OcrText:
        time.sleep(self.delay)
        return OcrText("TG02XY5678", "TG02XY5678", 0.9)


def frame(i: int) -> FrameResult:
    dets = sv.Detections(xyxy=np.array([[100, 100, 300, 260]], np.float32),
                         confidence=np.array([0.9], np.float32), class_id=np.array([1]),
                         tracker_id=np.array([7]))
    return FrameResult(camera_id="gate", frame_seq=i, ts=T0 + timedelta(seconds=i),
                       detections=dets, crossings=[], people_count=0, vehicle_count=1,
                       occupancy=0, entries=0, exits=0)


def service(delay: float, events: list) -> AnprService:
    return AnprService(AnprConfig(enabled=True, min_sharpness=0, read_interval_s=0,
                                  ocr_heights=[128], ocr_agree=1, min_votes=3),
                       SlowEngine(delay), events.extend)


def test_reads_queued_when_the_stream_ends_decide_the_plate() -> None:
    events: list = []
    svc = service(0.05, events)
    svc.start()
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    for i in range(3):  # three reads queued, none done yet
        svc.observe(Frame("gate", image, i), frame(i))
    svc.stop()
    assert len([e for e in events if isinstance(e, PlateRead)]) == 3
    closed = [e for e in events if isinstance(e, VehicleSeen) and e.exit_time is not None]
    assert closed and all(e.plate_number == "TG02XY5678" for e in closed)  # never plateless


def test_reads_left_after_the_timeout_are_skipped_and_the_workers_end() -> None:
    events: list = []
    svc = service(0.3, events)
    svc.start()
    image = np.random.default_rng(1).integers(0, 255, (480, 640, 3), np.uint8)
    tickets = [svc.observe(Frame("gate", image, i), frame(i)) for i in range(8)]
    t0 = time.monotonic()
    svc.stop(timeout=0.5)
    assert time.monotonic() - t0 < 1.5  # not 8 reads x 0.3 s
    assert all(t.done for t in tickets)  # skipped reads still answered their waiters
    assert not [t for t in threading.enumerate() if t.name.startswith("anpr")]
    assert [e for e in events if isinstance(e, VehicleSeen)][-1].exit_time is not None


def test_discard_releases_queued_jobs_unrun() -> None:
    gate, ran, released = threading.Event(), [], []
    pool = JobWorkers("t", lambda j: (gate.wait(5), ran.append(j)), 1, 8, released.append)
    pool.start()
    for j in range(4):
        assert pool.offer(j)
    time.sleep(0.05)  # the worker holds job 0
    assert pool.discard() == 3 and released == [1, 2, 3]
    gate.set()
    pool.stop(2)
    assert ran == [0]


def text(span: tuple[float, float]) -> PlateText:
    return PlateText("JTT5", "generic", 0.9, "JTT5", 2, 2, span)


def test_a_box_whose_text_touches_its_side_is_widened_on_that_side() -> None:
    box = np.array([300, 100, 600, 200])
    assert _widen(box, text((EDGE / 3, 0.8)), 640).tolist() == [200, 100, 600, 200]
    assert _widen(box, text((0.1, 1 - EDGE / 3)), 640).tolist() == [300, 100, 640, 200]
    assert _widen(box, text((0.1, 0.9)), 640) is None  # a whole plate is read once
