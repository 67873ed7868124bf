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
from edge.events import AttendanceCorrected, AttendanceMarked, Event, IdentityResolved
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox, GateResult
from edge.identity.service import CameraRole, IdentityService
from edge.identity.switches import SwitchWatch
from edge.pipeline.step import FrameResult
from edge.telemetry import metrics

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


def play(svc: IdentityService, frames: list) -> int:
    """Start the service, run ``frames`` through it, stop it; the backend calls made."""
    svc.start()
    try:
        return run_frames(svc, frames)
    finally:
        svc.stop()


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


def test_an_id_swap_where_two_people_cross_is_settled_with_one_re_ask_for_both() -> None:
    events: list[Event] = []
    backend = ColourBackend()
    svc = make_service(events, backend)
    overlaps = metrics.IDENTITY_DOUBTS.labels("overlap")
    doubts_before = overlaps._value.get()
    calls = play(svc, crossing_with_swap())
    assert overlaps._value.get() - doubts_before == 2  # both tracks' names were doubted
    assert calls == 3  # one each at first sight, one re-ask that settles the swapped pair
    names = {(e.tracker_id, e.employee_id) for e in events if isinstance(e, IdentityResolved)
             and e.employee_id}
    assert names == {(1, "E-RED"), (2, "E-BLUE"), (2, "E-RED")}  # track 1 was not asked
    assert svc.cache.confirmed(("door", 1)).employee_id == "E-BLUE"
    assert svc.cache.confirmed(("door", 2)).employee_id == "E-RED"
    assert not svc.cache.in_doubt(("door", 1)) and not svc.cache.in_doubt(("door", 2))


def test_without_the_switch_watch_the_swapped_names_stay_wrong() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend(), enabled=False)
    calls = play(svc, crossing_with_swap())
    assert calls == 2
    assert svc.cache.confirmed(("door", 1)).employee_id == "E-RED"  # wrong: it is Bina


def test_a_corrected_name_moves_the_check_in_with_one_correction_event() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    play(svc, crossing_with_swap())
    corrections = [e for e in events if isinstance(e, AttendanceCorrected)]
    assert len(corrections) == 1
    fix = corrections[0]
    assert (fix.tracker_id, fix.from_employee_id, fix.to_employee_id, fix.marks_moved,
            fix.reason) == (1, "E-RED", "E-BLUE", 1, "swap_partner")  # settled by track 2
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
    rng = np.random.default_rng(3)
    xs = walk(1000, 20, 560) + rng.normal(0, 2, 1000)  # detector jitter
    frames = [([(7, RED, float(x))], []) for x in xs]
    for gap in (300, 301, 302):  # a detection missed for a few frames
        frames[gap] = ([], [])
    assert play(svc, frames) == 1


def test_a_track_lost_and_found_on_someone_else_is_re_asked() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    frames = [([(4, RED, 100 + k)], []) for k in range(20)]
    frames += [([], [])] * 8  # lost
    frames += [([(4, BLUE, 140 + k)], []) for k in range(20)]  # found again, on Bina
    assert play(svc, frames) == 2
    assert svc.cache.confirmed(("door", 4)).employee_id == "E-BLUE"


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


def test_a_swap_corrected_one_track_at_a_time_keeps_both_check_ins() -> None:
    # Track 1 (served "Ravi", really Bina) and track 2 (served "Bina", really Ravi) both
    # enter; each is re-asked on its own. The first correction moves track 1's entry into
    # Bina's record, which track 2's wrong entry still holds open: the mark must be kept
    # there, or Bina has no check-in once track 2's entry leaves for Ravi.
    book = AttendanceBook(AttendanceConfig(), ZoneInfo("Asia/Kolkata"))
    t1, t2 = T0, T0 + timedelta(seconds=4)
    book.crossing("door", 1, "entry", t1, ("E-RED", 90.0))
    book.crossing("door", 2, "entry", t2, ("E-BLUE", 90.0))
    now = t2 + timedelta(seconds=10)
    book.reattribute("door", 1, "E-RED", ("E-BLUE", 93.0), since=t1, now=now,
                     reason="overlap")
    events = book.reattribute("door", 2, "E-BLUE", ("E-RED", 92.0), since=t1, now=now,
                              reason="overlap")
    latest = {e.employee_id: e for e in events if isinstance(e, AttendanceMarked)}
    assert latest["E-BLUE"].check_in_time == t1 and not latest["E-BLUE"].voided
    assert latest["E-RED"].check_in_time == t2
    assert sorted((e[0], e[2]) for e in book.marks()) == [("E-BLUE", 1), ("E-RED", 2)]


def test_both_swapped_tracks_crossing_get_one_correction_each_from_one_call() -> None:
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    frames = crossing_with_swap()
    frames[43] = (frames[43][0], [LineCrossing("main", 2, "person", "entry")])  # Ravi, as 2
    calls = play(svc, frames)
    assert calls == 3
    fixes = sorted((e.tracker_id, e.from_employee_id, e.to_employee_id, e.marks_moved, e.reason)
                   for e in events if isinstance(e, AttendanceCorrected))
    assert fixes == [(1, "E-RED", "E-BLUE", 1, "swap_partner"),
                     (2, "E-BLUE", "E-RED", 1, "overlap")]
    assert sorted(e[0] for e in svc.attendance.marks()) == [  # type: ignore[union-attr]
        "E-BLUE", "E-RED"]


def test_a_track_named_after_the_overlap_it_was_born_in_is_not_re_asked() -> None:
    """Ravi steps out from behind Bina: both tracks start overlapping, are asked at their
    first clear face, and the overlap verdict that follows tells nothing new."""
    events: list[Event] = []
    svc = make_service(events, ColourBackend())
    frames = [([(2, BLUE, 100.0), (1, RED, float(x))], []) for x in walk(40, 110, 400)]
    calls = play(svc, frames)
    assert calls == 2
    assert svc.cache.confirmed(("door", 1)).employee_id == "E-RED"
    assert svc.cache.stale_doubts >= 1


@pytest.mark.parametrize("after,doubted", [(RED, False), (BLUE, True)])
def test_a_newcomer_from_inside_an_overlap_is_judged_by_the_tracks_own_colours(
        after: tuple[int, int, int], doubted: bool) -> None:
    """Track 1 (Ravi) walks alone, then track 2 appears inside his box and they part: only
    if track 1 no longer looks like Ravi is its name in doubt (track 2 was never seen
    clear, so there is nobody to compare with)."""
    watch = SwitchWatch(SwitchConfig())
    frames = [[(1, RED, float(x))] for x in walk(15, 100, 150)]
    frames += [[(2, BLUE, 150.0 + k), (1, RED, 152.0 + k)] for k in range(3)]
    other = BLUE if after == RED else RED
    frames += [[(2, other, float(x)), (1, after, float(x2))]
               for x, x2 in zip(walk(20, 150, 60), walk(20, 155, 400), strict=True)]
    suspects: dict[int, str] = {}
    for k, people in enumerate(frames):
        image, dets = scene(people)
        view = watch.update("door", list(dets.tracker_id), dets.xyxy, image, k / FPS)
        suspects.update(view.suspects)
    assert (1 in suspects) == doubted


def test_the_watch_reports_the_swap_partner_and_when_the_overlap_ended() -> None:
    watch = SwitchWatch(SwitchConfig())
    last: dict[int, float] = {}
    partners: dict[int, int] = {}
    overlapping: list[float] = []
    for k, (people, _c) in enumerate(crossing_with_swap()):
        image, dets = scene(people)
        view = watch.update("door", list(dets.tracker_id), dets.xyxy, image, k / FPS)
        last.update(view.last)
        partners.update(view.partners)
        if view.overlapping:
            overlapping.append(k / FPS)
    assert partners == {1: 2, 2: 1}
    assert last == {1: overlapping[-1], 2: overlapping[-1]}
