"""Capture on local files: newest-frame slot, pacing, looping, missing files."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from edge.capture.camera import CameraCapture, is_file_source
from edge.capture.slot import Frame, FrameSlot
from edge.config.models import CameraConfig


def make_video(path: Path, frames: int = 20, fps: float = 20.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(frames):
        img = np.full((48, 64, 3), i * 10 % 255, dtype=np.uint8)
        writer.write(img)
    writer.release()
    return path


def img() -> np.ndarray:
    return np.zeros((2, 2, 3), np.uint8)


def test_slot_keeps_only_the_newest_and_counts_drops() -> None:
    slot = FrameSlot()
    assert slot.take() is None
    for seq in (1, 2, 3):
        slot.put(Frame("c", img(), seq))
    taken = slot.take()
    assert taken is not None and taken.seq == 3
    assert slot.take() is None and slot.dropped == 2


def test_lockstep_slot_waits_for_the_consumer() -> None:
    slot = FrameSlot(lockstep=True)
    slot.put(Frame("c", img(), 1))
    done = threading.Event()

    def producer() -> None:
        slot.put(Frame("c", img(), 2))
        done.set()

    threading.Thread(target=producer, daemon=True).start()
    assert not done.wait(0.3)
    assert slot.take().seq == 1  # type: ignore[union-attr]
    assert done.wait(2)
    assert slot.take().seq == 2 and slot.dropped == 0  # type: ignore[union-attr]


def test_file_source_detection() -> None:
    assert is_file_source("var/media/a.mp4") and is_file_source("file:///x.avi")
    assert not is_file_source("rtsp://127.0.0.1:8554/cam")


def test_file_camera_reads_every_frame_in_lockstep_and_finishes(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", frames=15)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), loop=False), pace=False,
                        lockstep=True)
    cam.start()
    seqs = []
    deadline = time.monotonic() + 10
    while not cam.health.finished and time.monotonic() < deadline:
        f = cam.slot.take()
        if f is not None:
            seqs.append(f.seq)
        time.sleep(0.001)
    f = cam.slot.take()
    if f is not None:
        seqs.append(f.seq)
    cam.stop()
    assert seqs == list(range(1, 16))
    assert (cam.health.width, cam.health.height) == (64, 48)
    assert cam.health.source_fps == pytest.approx(20.0)


def test_file_camera_is_paced_at_native_fps_and_loops(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", frames=10, fps=20.0)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), loop=True), pace=True)
    cam.start()
    time.sleep(1.5)
    cam.stop()
    # 1.5 s at 20 fps is ~30 frames: three passes over a 10-frame file, not hundreds.
    assert 20 <= cam.health.frames <= 36
    assert not cam.health.finished


@pytest.mark.parametrize("settings, rate, played", [
    ({}, 20.0, (20, 36)),  # the file's own rate
    ({"fps": 10.0}, 10.0, (10, 19)),  # its true rate, when the header is wrong
    ({"fps_cap": 5.0}, 5.0, (5, 10)),  # capped: the step is told what it gets
    ({"fps": 10.0, "fps_cap": 40.0}, 10.0, (10, 19)),
])
def test_the_frame_rate_is_what_the_camera_delivers(
        tmp_path: Path, settings: dict[str, float], rate: float, played: tuple[int, int]
) -> None:
    video = make_video(tmp_path / "v.avi", frames=10, fps=20.0)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), **settings), pace=True)
    cam.start()
    time.sleep(1.5)
    cam.stop()
    assert cam.health.source_fps == pytest.approx(20.0)  # the header, as read
    assert cam.health.frame_rate == pytest.approx(rate)
    assert played[0] <= cam.health.frames <= played[1]


def test_missing_file_marks_camera_down_and_keeps_retrying(tmp_path: Path) -> None:
    cam = CameraCapture(CameraConfig(id="gone", url=str(tmp_path / "none.mp4")))
    cam.start()
    time.sleep(1.2)
    assert cam.alive and not cam.health.up
    assert "video file not found" in cam.health.last_error
    assert cam.health.reconnects >= 1
    t0 = time.monotonic()
    cam.stop()
    assert time.monotonic() - t0 < 2.5


def test_roi_crops_the_frame_and_records_its_offset(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", frames=3)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), loop=False, roi=(10, 5, 42, 37)),
                        pace=False, lockstep=True)
    cam.start()
    frame = None
    deadline = time.monotonic() + 5
    while frame is None and time.monotonic() < deadline:
        frame = cam.slot.take()
        time.sleep(0.001)
    cam.stop()
    assert frame is not None
    assert frame.image.shape == (32, 32, 3) and frame.offset == (10, 5)


def test_roi_outside_the_frame_marks_the_camera_down(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", frames=30)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), roi=(100, 100, 200, 200)),
                        pace=False)
    cam.start()
    time.sleep(0.5)
    cam.stop()
    assert not cam.health.up and "lies outside the 64x48 frame" in cam.health.last_error
    assert cam.slot.take() is None


def test_supervisor_restarts_a_crashed_capture_thread(tmp_path: Path) -> None:
    from edge.capture.supervisor import CaptureSupervisor

    video = make_video(tmp_path / "v.avi", frames=30)
    cam = CameraCapture(CameraConfig(id="f", url=str(video)), pace=True)
    original = cam._connect_loop
    crashes = []

    def crash_once(gen: int) -> None:
        if not crashes:
            crashes.append(gen)
            raise RuntimeError("decoder bug")
        original(gen)

    cam._connect_loop = crash_once  # type: ignore[method-assign]
    cam.start()
    time.sleep(0.2)
    assert not cam.alive and "decoder bug" in cam.health.last_error
    supervisor = CaptureSupervisor({"f": cam})
    assert supervisor.check_once() == ["f"]
    time.sleep(0.5)
    assert cam.alive and cam.health.up and cam.health.restarts == 1
    assert supervisor.check_once() == []
    cam.stop()


def test_supervisor_restarts_a_thread_stuck_beyond_its_timeouts(tmp_path: Path) -> None:
    from edge.capture.supervisor import CaptureSupervisor

    video = make_video(tmp_path / "v.avi", frames=30)
    cam = CameraCapture(CameraConfig(id="f", url=str(video), open_timeout_s=0.1,
                                     read_timeout_s=0.1), pace=True)
    cam.start()
    time.sleep(0.2)
    cam.last_progress -= 60  # as if a read had hung for a minute inside FFmpeg
    assert CaptureSupervisor({"f": cam}).check_once() == ["f"]
    assert cam.health.restarts == 1
    time.sleep(0.3)
    assert cam.alive and cam.health.up
    cam.stop()


def test_lines_drawn_for_another_size_are_named_when_the_camera_opens(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A line drawn on a 1280x720 main stream, counted on a 64x48 stream: the capture says
    so each time it opens, and so does ``edge doctor``."""
    from edge.cli import doctor

    video = make_video(tmp_path / "v.avi", frames=3)
    cfg = CameraConfig(id="gate", url=str(video), loop=False, lines=[
        {"id": "door", "start": [0, 40], "end": [64, 40]},
        {"id": "main", "start": [0, 600], "end": [1280, 600]}],
        zones=[{"id": "bay", "polygon": [[10, 10], [60, 10], [60, 40]]}])
    cam = CameraCapture(cfg, pace=False)
    cam.start()
    deadline = time.monotonic() + 10
    while not cam.health.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    cam.stop()
    assert "camera gate: line main: (0, 600), (1280, 600) lie outside the 64x48 picture" \
        in caplog.text and "door" not in caplog.text and "bay" not in caplog.text
    settings = SimpleNamespace(cameras=[cfg])
    checks = doctor._cameras(settings)  # type: ignore[arg-type]
    assert checks[0][:2] == ("camera gate", True)
    assert checks[1:] == [("camera gate", doctor.WARN, "line main: (0, 600), (1280, 600) lie "
                           "outside the 64x48 picture: drawn for another size than its "
                           "stream's; redraw it on the console's camera page or in the "
                           "config")]
