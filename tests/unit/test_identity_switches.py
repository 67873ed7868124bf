"""Names follow the person, not the track id: an id swap where two people cross puts both
names in doubt and re-asks both tracks; a corrected name moves the check-in to the right
employee with one correction event; a long, stable track is never asked again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import supervision as sv

from edge.analytics.attendance import AttendanceBook
from edge.analytics.lines import LineCrossing
from edge.capture.slot import Frame
from edge.config.identity import AttendanceConfig, IdentityConfig, SwitchConfig
from edge.events import AttendanceCorrected, AttendanceMarked, Event
from edge.identity.answer import Identification
from edge.identity.cache import Action, CachePolicy, TrackIdentityCache
from edge.identity.faces import FaceBox, GateResult
from edge.identity.service import CameraRole, IdentityService
from edge.identity.switches import SwitchWatch
from edge.pipeline.step import FrameResult

T0 = datetime(2026, 11, 23, 3, 25, tzinfo=timezone.utc)  # 08:55 in Kolkata
FPS = 10.0
RED, BLUE = (0, 0, 220), (220, 0, 0)  # BGR
EMPLOYEE = {RED: ("E-RED", "Ravi"), BLUE: ("E-BLUE", "Bina")}


class ColourBackend:
    """Names the person by the colour at the centre of the crop; records who was asked."""

    name = "colour"
    cloud = False

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.current_track = -1

    def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
        h, w = crop.shape[:2]
        bgr = tuple(int(v) for v in crop[h // 2, w // 2])
        if bgr not in EMPLOYEE:
            return Identification(None, "Unknown", 0.0, None, "no_match")
        emp, name = EMPLOYEE[bgr]  # type: ignore[index]
        return Identification(emp, name, 95.0, 0.3, "local")


def any_face(crop: np.ndarray) -> GateResult:
    h, w = crop.shape[:2]
    return GateResult(True, "", FaceBox(0, w, h, 0))


def scene(people: list[tuple[int, tuple[int, int, int], float]]) -> tuple[np.ndarray,
                                                                          sv.Detections]:
    """A grey picture with one solid-coloured 60x200 px person per (track id, colour, x);
    people later in the list are drawn in front."""
    image = np.full((300, 640, 3), 90, np.uint8)
    boxes = []
    for _tid, colour, x in people:
        box = (int(x), 50, int(x) + 60, 250)
        image[box[1]:box[3], box[0]:box[2]] = colour
        boxes.append(box)
    dets = sv.Detections(xyxy=np.array(boxes, np.float32).reshape(-1, 4),
                         confidence=np.full(len(people), 0.9, np.float32),
                         class_id=np.zeros(len(people), int),
                         tracker_id=np.array([p[0] for p in people], int))
    return image, dets


def result(i: int, dets: sv.Detections, crossings: list[LineCrossing] | None = None
           ) -> FrameResult:
    return FrameResult(camera_id="door", frame_seq=i, ts=T0 + timedelta(seconds=i / FPS),
                       detections=dets, crossings=crossings or [], people_count=len(dets),
                       vehicle_count=0, occupancy=0, entries=0, exits=0)


def make_service(events: list[Event], backend: ColourBackend, **switches: object
                 ) -> IdentityService:
    book = AttendanceBook(AttendanceConfig(), ZoneInfo("Asia/Kolkata"))
    cfg = IdentityConfig(enabled=True, min_track_frames=1, retry_interval_s=0.5,
                         switches=SwitchConfig(**switches))  # type: ignore[arg-type]
    svc = IdentityService(cfg, any_face, backend, events.extend, attendance=book,
                          cameras={"door": CameraRole(False, frozenset({"main"}))})
    return svc


def run_frames(svc: IdentityService, frames: list[tuple[list[tuple[int, tuple[int, int, int],
                                                                    float]],
                                                         list[LineCrossing]]],
               start: int = 0) -> int:
    asked_before = svc.calls
    for k, (people, crossings) in enumerate(frames):
        image, dets = scene(people)
        svc.observe(Frame("cam", image, 0), result(start + k, dets, crossings))
        svc.drain()
    return svc.calls - asked_before


def walk(n: int, x0: float, x1: float) -> list[float]:
    return list(np.linspace(x0, x1, n))


def crossing_with_swap() -> list[tuple[list[tuple[int, tuple[int, int, int], float]],
                                      list[LineCrossing]]]:
    """Ravi (track 1) walks right, Bina (track 2) walks left; they meet in the middle, where
    the tracker swaps their ids; then each walks on. Track 1 (now on Bina) crosses the
    attendance line inwards just after the swap, before anyone could ask again (the two are
    still too close for a clear face)."""
    frames: list = []
    xs_red, xs_blue = walk(40, 60, 300), walk(40, 540, 300)
    for k in range(40):  # approach: ids right
        frames.append(([(1, RED, xs_red[k]), (2, BLUE, xs_blue[k])], []))
    xs_red, xs_blue = walk(40, 300, 540), walk(40, 300, 60)
    for k in range(40):  # after the meeting: ids swapped (1 follows Bina, 2 follows Ravi)
        crossings = [LineCrossing("main", 1, "person", "entry")] if k == 2 else []
        frames.append(([(2, RED, xs_red[k]), (1, BLUE, xs_blue[k])], crossings))
    return frames


def test_an_id_swap_where_two_people_cross_re_asks_both_and_corrects_their_names() -> None:
    events: list[Event] = []
    backend = ColourBackend()
    svc = make_service(events, backend)
    svc.start()
    try:
        calls = run_frames(svc, crossing_with_swap())
    finally:
        svc.stop()
    assert calls == 4  # one each at first sight, one each after the swap
    names = {(e.tracker_id, e.employee_id) for e in events if hasattr(e, "tracker_id")
             and getattr(e, "employee_id", None) and type(e).__name__ == "IdentityResolved"}
    assert names == {(1, "E-RED"), (2, "E-BLUE"), (1, "E-BLUE"), (2, "E-RED")}
    assert svc.cache.confirmed(("door", 1)).employee_id == "E-BLUE"
    assert svc.cache.confirmed(("door", 2)).employee_id == "E-RED"


def test_without_the_switch_watch_the_swapped_names_stay_wrong() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend(), enabled=False)
    svc.start()
    try:
        calls = run_frames(svc, crossing_with_swap())
    finally:
        svc.stop()
    assert calls == 2
    assert svc.cache.confirmed(("door", 1)).employee_id == "E-RED"  # wrong: it is Bina


def test_a_corrected_name_moves_the_check_in_with_one_correction_event() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    svc.start()
    try:
        run_frames(svc, crossing_with_swap())
    finally:
        svc.stop()
    corrections = [e for e in events if isinstance(e, AttendanceCorrected)]
    assert len(corrections) == 1
    fix = corrections[0]
    assert (fix.tracker_id, fix.from_employee_id, fix.to_employee_id, fix.marks_moved) == (
        1, "E-RED", "E-BLUE", 1)
    marks = [e for e in events if isinstance(e, AttendanceMarked)]
    ravi = [m for m in marks if m.employee_id == "E-RED"]
    bina = [m for m in marks if m.employee_id == "E-BLUE"]
    assert ravi[-1].voided and not bina[-1].voided  # Ravi's check-in was never his
    assert bina[-1].check_in_time == T0 + timedelta(seconds=42 / FPS)  # at the crossing
    assert bina[-1].record_id != ravi[-1].record_id
    assert {e[0] for e in svc.attendance.marks()} == {"E-BLUE"}  # type: ignore[union-attr]


def test_a_long_stable_track_is_never_asked_again() -> None:
    events: list[Event] = []
    backend = ColourBackend()
    svc = make_service(events, backend)
    svc.start()
    rng = np.random.default_rng(3)
    xs = walk(1000, 20, 560) + rng.normal(0, 2, 1000)  # detector jitter
    frames = [([(7, RED, float(x))], []) for x in xs]
    for gap in (300, 301, 302):  # a detection missed for a few frames
        frames[gap] = ([], [])
    try:
        calls = run_frames(svc, frames)
    finally:
        svc.stop()
    assert calls == 1


def test_a_track_lost_and_found_on_someone_else_is_re_asked() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    svc.start()
    frames = [([(4, RED, 100 + k)], []) for k in range(20)]
    frames += [([], [])] * 8  # lost
    frames += [([(4, BLUE, 140 + k)], []) for k in range(20)]  # found again, on Bina
    try:
        calls = run_frames(svc, frames)
    finally:
        svc.stop()
    assert calls == 2
    assert svc.cache.confirmed(("door", 4)).employee_id == "E-BLUE"


@pytest.mark.parametrize("answer,confirmed,doubted", [
    (Identification("E1", "Ann", 96.0, 0.2, "aws"), "E1", False),  # same: doubt lifted
    (Identification("E2", "Bob", 96.0, 0.2, "aws"), "E2", False),  # another: corrected
    (Identification(None, "Unknown", 0.0, None, "no_match"), "E1", True),  # face away
])
def test_the_cache_answers_a_doubt(answer: Identification, confirmed: str,
                                   doubted: bool) -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=2, retry_interval_s=1.0))
    key = ("door", 1)
    assert cache.decide(key, 0.0)[0] is Action.ASK
    cache.record(key, Identification("E1", "Ann", 98.0, 0.2, "aws"), 0.0)
    assert cache.decide(key, 5.0)[0] is Action.CACHED
    assert cache.doubt(key, 5.0, "overlap")
    action, shown = cache.decide(key, 5.0, can_ask=False)
    assert action is Action.CACHED and shown.confidence == 49.0  # served, lowered
    assert cache.decide(key, 5.5)[0] is Action.ASK
    cache.record(key, answer, 5.5)
    assert cache.confirmed(key).employee_id == confirmed
    assert cache.in_doubt(key) is doubted
    correction = cache.take_correction(key)
    assert (correction is not None) == (confirmed == "E2")
    assert cache.take_correction(key) is None


def test_re_asks_are_capped_per_track() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=1, retry_interval_s=0.0))
    key = ("door", 1)
    cache.decide(key, 0.0)
    cache.record(key, Identification("E1", "Ann", 98.0, 0.2, "aws"), 0.0)
    cache.doubt(key, 1.0, "jump")
    assert cache.decide(key, 1.0)[0] is Action.ASK
    cache.record(key, Identification(None, "Unknown", 0.0, None, "no_match"), 1.0)
    assert cache.decide(key, 2.0)[0] is Action.CACHED  # doubt stays, budget spent


def test_the_watch_tells_a_swap_from_two_people_who_only_brushed_past() -> None:
    """Both pairs overlap the same way; only the swapped pair comes out in doubt."""
    for swapped in (False, True):
        watch = SwitchWatch(SwitchConfig())
        suspects: dict[int, str] = {}
        for k, (people, _c) in enumerate(crossing_with_swap()):
            if not swapped and k >= 40:  # same walk, ids kept
                people = [(1 if c == RED else 2, c, x) for _t, c, x in people]
            image, dets = scene(people)
            view = watch.update("door", list(dets.tracker_id), dets.xyxy, image, k / FPS)
            suspects.update(view.suspects)
        assert suspects == ({1: "overlap", 2: "overlap"} if swapped else {})


def test_one_person_cannot_be_two_tracks_the_older_name_is_doubted() -> None:
    cache = TrackIdentityCache(CachePolicy(max_reasks=1))
    ann = Identification("E1", "Ann", 98.0, 0.2, "aws")
    for key in (("door", 1), ("door", 2)):
        cache.decide(key, 0.0)
        cache.record(key, ann, 0.0)
    assert cache.in_doubt(("door", 1)) and not cache.in_doubt(("door", 2))
    cache.decide(("gate", 3), 0.0)
    cache.record(("gate", 3), ann, 0.0)  # another camera: may well be her too
    assert not cache.in_doubt(("door", 2))


def test_reattribute_moves_only_the_marks_made_since_the_doubt() -> None:
    book = AttendanceBook(AttendanceConfig(), ZoneInfo("Asia/Kolkata"))
    at = [T0 + timedelta(minutes=m) for m in (0, 30, 60)]
    book.crossing("door", 5, "entry", at[0], ("E-RED", 90.0))  # Ravi in, rightly
    book.crossing("door", 5, "exit", at[1], ("E-RED", 90.0))  # Ravi out, rightly
    book.crossing("door", 5, "entry", at[2], ("E-RED", 90.0))  # after a swap: Bina
    events = book.reattribute("door", 5, "E-RED", ("E-BLUE", 93.0),
                              since=at[2] - timedelta(seconds=5),
                              now=at[2] + timedelta(seconds=10), reason="overlap")
    ravi = [e for e in events if isinstance(e, AttendanceMarked) and e.employee_id == "E-RED"]
    bina = [e for e in events if isinstance(e, AttendanceMarked) and e.employee_id == "E-BLUE"]
    assert (ravi[-1].check_in_time, ravi[-1].check_out_time, ravi[-1].voided) == (
        at[0], at[1], False)
    assert (bina[-1].check_in_time, bina[-1].check_out_time) == (at[2], None)
    (fix,) = [e for e in events if isinstance(e, AttendanceCorrected)]
    assert fix.marks_moved == 1 and fix.first_mark_time == at[2]
    # outside the link window nothing moves
    assert book.reattribute("door", 5, "E-BLUE", ("E-RED", 90.0), since=at[0],
                            now=at[2] + timedelta(hours=1), reason="jump") == []
