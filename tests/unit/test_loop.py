"""The inference loop: batching across cameras, model routing, ROI offsets, fairness."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import supervision as sv
from prometheus_client import REGISTRY

from edge.capture.camera import CameraCapture
from edge.capture.slot import Frame
from edge.config.models import CameraConfig, TrackingConfig
from edge.pipeline.loop import InferenceLoop, ModelRoute
from edge.pipeline.step import CameraPipeline, SiteOccupancy


class FakeDetector:
    """Returns one box at a fixed place per image, of one canonical class."""
    refines_near = False  # no refiner: the loop passes no lines

    def __init__(self, name: str, class_id: int) -> None:
        self.name = name
        self.class_id = class_id
        self.calls: list[int] = []

    def predict(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        self.calls.append(len(images))
        return [sv.Detections(xyxy=np.array([[10, 10, 30, 50]], np.float32),
                              confidence=np.array([0.9], np.float32),
                              class_id=np.array([self.class_id])) for _ in images]


def cams(n: int) -> dict[str, CameraCapture]:
    return {f"c{i}": CameraCapture(CameraConfig(id=f"c{i}", url="x.avi")) for i in range(n)}


def loop_for(cameras: dict[str, CameraCapture], routes: list[ModelRoute],
             batch_size: int = 4) -> tuple[InferenceLoop, list]:
    emitted: list = []
    site = SiteOccupancy()
    loop = InferenceLoop(
        cameras, routes,
        lambda cid: CameraPipeline(cameras[cid].config, TrackingConfig(), site),
        emitted.extend, batch_size=batch_size)
    return loop, emitted


def put(cam: CameraCapture, seq: int, offset: tuple[int, int] = (0, 0)) -> None:
    cam.slot.put(Frame(cam.camera_id, np.zeros((64, 64, 3), np.uint8), seq, offset=offset))


def test_one_predict_call_per_model_for_all_cameras() -> None:
    cameras = cams(3)
    person, vehicle = FakeDetector("p", 0), FakeDetector("v", 1)
    loop, emitted = loop_for(cameras, [ModelRoute(person),  # type: ignore[arg-type]
                                       ModelRoute(vehicle, frozenset({"c1"}))])  # type: ignore[arg-type]
    for c in cameras.values():
        put(c, 1)
    results = loop.process_batch(loop.take_batch())
    assert person.calls == [3] and vehicle.calls == [1]
    by_cam = {r.camera_id: r for r in results}
    assert (by_cam["c1"].people_count, by_cam["c1"].vehicle_count) == (1, 1)
    assert (by_cam["c0"].people_count, by_cam["c0"].vehicle_count) == (1, 0)
    assert emitted  # the first frame of each camera logs its occupancy


def test_roi_offset_moves_boxes_back_to_full_frame() -> None:
    cameras = cams(1)
    loop, _ = loop_for(cameras, [ModelRoute(FakeDetector("p", 0))])  # type: ignore[arg-type]
    put(cameras["c0"], 1, offset=(100, 200))
    (result,) = loop.process_batch(loop.take_batch())
    assert result.detections.xyxy.tolist() == [[110, 210, 130, 250]]


def test_batches_rotate_so_no_camera_starves() -> None:
    cameras = cams(5)
    loop, _ = loop_for(cameras, [ModelRoute(FakeDetector("p", 0))],  # type: ignore[arg-type]
                       batch_size=2)
    served: list[str] = []
    for seq in range(1, 6):
        for c in cameras.values():
            put(c, seq)
        served += [f.camera_id for f in loop.take_batch()]
    assert sorted(set(served)) == sorted(cameras)
    assert max(served.count(c) for c in cameras) - min(served.count(c) for c in cameras) <= 1


def test_only_unseen_frames_are_taken() -> None:
    cameras = cams(2)
    loop, _ = loop_for(cameras, [ModelRoute(FakeDetector("p", 0))])  # type: ignore[arg-type]
    put(cameras["c0"], 1)
    assert [f.seq for f in loop.take_batch()] == [1]
    assert loop.take_batch() == []


def test_a_failing_model_pass_is_counted_and_the_loop_survives() -> None:
    cameras = cams(1)
    broken = SimpleNamespace(name="b", predict=lambda imgs: 1 / 0)
    loop, _ = loop_for(cameras, [ModelRoute(broken)])  # type: ignore[arg-type]
    cameras["c0"].health.finished = True  # a finished file: the loop ends when drained
    put(cameras["c0"], 1)
    before = REGISTRY.get_sample_value("edge_inference_errors_total") or 0.0
    loop.start()
    assert loop.finished.wait(5)
    assert loop.frames_processed == 0
    assert REGISTRY.get_sample_value("edge_inference_errors_total") == before + 1


def test_services_see_every_frame_and_a_failing_one_stops_nothing() -> None:
    from edge.pipeline.services import Ticket

    seen: list[tuple[str, tuple[int, int], int]] = []

    class Watcher:
        name = "watch"

        def observe(self, frame: Frame, result) -> Ticket:  # type: ignore[no-untyped-def]
            seen.append((result.camera_id, frame.offset, len(result.detections)))
            return Ticket()

    class Broken:
        name = "broken"

        def observe(self, frame: Frame, result) -> Ticket:  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    cameras = cams(2)
    site = SiteOccupancy()
    loop = InferenceLoop(cameras, [ModelRoute(FakeDetector("p", 0))],  # type: ignore[list-item]
                         lambda cid: CameraPipeline(cameras[cid].config, TrackingConfig(), site),
                         lambda events: None, services=[Broken(), Watcher()])  # type: ignore[list-item]
    before = REGISTRY.get_sample_value("edge_service_errors_total", {"service": "broken"}) or 0
    put(cameras["c0"], 1, offset=(5, 6))
    put(cameras["c1"], 1)
    assert len(loop.process_batch(loop.take_batch())) == 2
    assert sorted(seen) == [("c0", (5, 6), 1), ("c1", (0, 0), 1)]
    after = REGISTRY.get_sample_value("edge_service_errors_total", {"service": "broken"})
    assert after == before + 2


class NearDetector(FakeDetector):
    """A detector whose refiner works near lines: records the segments it is handed."""

    refines_near = True

    def __init__(self) -> None:
        super().__init__("p", 0)
        self.segments: list = []

    def predict(self, images: Sequence[np.ndarray],  # type: ignore[override]
                segments: Sequence[np.ndarray | None] | None = None) -> list[sv.Detections]:
        self.segments.append(segments)
        return super().predict(images)


def test_a_near_line_refiner_is_handed_each_cameras_lines_in_its_images_coordinates() -> None:
    line = {"id": "door", "start": (100, 300), "end": (500, 300)}
    cameras = {"c0": CameraCapture(CameraConfig(id="c0", url="x.avi", lines=[line])),  # type: ignore[list-item]
               "c1": CameraCapture(CameraConfig(id="c1", url="x.avi"))}
    detector = NearDetector()
    loop, _ = loop_for(cameras, [ModelRoute(detector)])  # type: ignore[arg-type]
    put(cameras["c0"], 1, offset=(100, 200))  # a ROI crop starting at (100, 200)
    put(cameras["c1"], 1)
    loop.process_batch(loop.take_batch())
    (segments,) = detector.segments
    assert [s.tolist() for s in segments] == [[[0, 100, 400, 100]], []]
    # A reload gives the camera a new config: its new line is used from the next frame.
    moved = {**line, "start": (100, 400), "end": (500, 400)}
    cameras["c0"].config = CameraConfig(id="c0", url="x.avi", lines=[moved])  # type: ignore[list-item]
    put(cameras["c0"], 2)
    loop.process_batch(loop.take_batch())
    assert detector.segments[1][0].tolist() == [[100, 400, 500, 400]]
