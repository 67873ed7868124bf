"""`edge doctor` asks the running daemon's metrics whether a vehicle model has gone blind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from edge.cli import doctor
from edge.cli.main import app
from edge.config import load_settings
from edge.pipeline.blindspot import BlindSpotTracker
from edge.telemetry import metrics
from edge.telemetry.scrape import ScrapeError, metrics_url, model_silences, scrape

SILENT_TEXT = """\
# HELP edge_vehicle_model_silent_seconds Seconds of changing picture since ...
# TYPE edge_vehicle_model_silent_seconds gauge
edge_vehicle_model_silent_seconds{camera="mast",model="vehicle"} 4500.0
edge_vehicle_model_silent_seconds{camera="gate",model="vehicle"} 12.0
edge_vehicle_model_silent_seconds{camera="mast",model="coco"} 5400.0
# HELP edge_camera_picture_changes_total Picture samples that differed
# TYPE edge_camera_picture_changes_total counter
edge_camera_picture_changes_total{camera="mast"} 4800.0
"""


class Exporter:
    """A fake daemon exporter on loopback, answering with ``text`` (or ``status``)."""

    def __init__(self, text: str, status: int = 200) -> None:
        body = text.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    exp = Exporter(SILENT_TEXT)
    yield exp
    exp.close()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(tmp_path: Path, port: int, **metrics_extra: object) -> str:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [{"name": "vehicle", "source": "missing-vehicle.pt"},
                   {"name": "coco", "source": "missing-coco.pt", "silent_warn_s": 7200}],
        "cameras": [{"id": "mast", "url": "rtsp://127.0.0.1:9/mast"}],
        "metrics": {"host": "127.0.0.1", "port": port, **metrics_extra},
        "storage": {"path": str(tmp_path / "d.db")}}))
    return str(cfg)


@pytest.fixture
def light_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip model loading (slow) and the clock (depends on the machine): not tested here."""
    monkeypatch.setattr(doctor, "_models", lambda settings: [])
    monkeypatch.setattr(doctor, "_device", lambda settings: [])
    monkeypatch.setattr(doctor, "_clock", lambda: [])


@pytest.mark.usefixtures("light_doctor")
def test_doctor_warns_about_a_vehicle_model_silent_past_its_limit(
        tmp_path: Path, exporter: Exporter) -> None:
    res = CliRunner().invoke(app, ["doctor", "--skip-cameras", "-c",
                                   config(tmp_path, exporter.port)])
    lines = res.output.splitlines()
    warns = [ln for ln in lines if ln.startswith("WARN")]
    assert warns == [
        "WARN vehicle model vehicle on camera mast: no vehicle detected for 1 h 15 min while "
        "the picture kept changing (silent_warn_s 3600): this model may not see vehicles "
        "from this camera's viewpoint; try yolo11n.pt (COCO) or a model trained on overhead "
        "views; see README \"Vehicles seen from above\" (if no vehicle ever passes here, "
        "leave this camera out of the model's `cameras:`)"], res.output
    # coco's own limit (2 h) is not reached; gate saw a vehicle 12 s ago.
    assert "OK   vehicle models: 2 camera/model pair(s) within silent_warn_s (longest " \
        "silence 1 h 30 min: coco on mast)" in lines
    assert not any(ln.startswith("FAIL") for ln in lines), res.output
    assert res.exit_code == 0  # a warning does not fail the run


@pytest.mark.usefixtures("light_doctor")
def test_doctor_says_it_cannot_check_when_no_daemon_listens(tmp_path: Path) -> None:
    port = free_port()
    res = CliRunner().invoke(app, ["doctor", "--skip-cameras", "-c", config(tmp_path, port)])
    assert f"SKIP vehicle models: cannot check whether they see vehicles: nothing answers on " \
        f"http://127.0.0.1:{port}/metrics (is `edge run` running?)" in res.output.splitlines()
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(("port", "extra", "says"), [
    (9108, {"enabled": False}, "cannot check: the metrics exporter is off (metrics.enabled)"),
    (0, {}, "cannot check: metrics.port is 0 (a new port each run)"),
])
def test_doctor_skips_without_an_exporter_to_ask(tmp_path: Path, port: int,
                                                 extra: dict[str, object], says: str) -> None:
    settings = load_settings(Path(config(tmp_path, port, **extra)))
    assert doctor._vehicle_models(settings) == [("vehicle models", doctor.SKIP, says)]


def test_doctor_reads_the_real_exporter_fed_by_the_tracker(tmp_path: Path) -> None:
    """The whole channel: tracker -> gauge -> exporter thread -> scrape -> WARN."""
    spots = BlindSpotTracker()
    dark, light = np.zeros((36, 64, 3), np.uint8), np.full((36, 64, 3), 200, np.uint8)
    for t in range(0, 4000, 5):  # 4000 s of a changing picture, sampled every 5 s
        spots.observe("doctor-mast", "vehicle", light if t % 10 else dark, 0, float(t))
    port = metrics.serve("127.0.0.1", 0)
    try:
        checks = doctor._vehicle_models(load_settings(Path(config(tmp_path, port))))
    finally:
        spots.forget("doctor-mast")
    warn = [c for c in checks if c[0] == "vehicle model vehicle on camera doctor-mast"]
    assert len(warn) == 1 and warn[0][1] == doctor.WARN
    assert warn[0][2].startswith("no vehicle detected for 1 h 6 min while the picture kept")


def test_no_vehicle_model_in_the_daemon_is_ok(tmp_path: Path) -> None:
    exp = Exporter("# nothing here\n")
    try:
        checks = doctor._vehicle_models(load_settings(Path(config(tmp_path, exp.port))))
    finally:
        exp.close()
    assert checks == [("vehicle models", True, f"the daemon (http://127.0.0.1:{exp.port}/"
                       "metrics) reports no vehicle model on any camera")]


@pytest.mark.parametrize(("host", "url"), [
    ("127.0.0.1", "http://127.0.0.1:9108/metrics"), ("0.0.0.0", "http://127.0.0.1:9108/metrics"),
    ("", "http://127.0.0.1:9108/metrics"), ("::", "http://[::1]:9108/metrics"),
    ("::1", "http://[::1]:9108/metrics"), ("localhost", "http://localhost:9108/metrics"),
])
def test_metrics_url_reaches_a_wildcard_bind_on_loopback(host: str, url: str) -> None:
    assert metrics_url(host, 9108) == url


def test_model_silences_are_parsed_and_sorted() -> None:
    assert [(s.camera, s.model, s.silent_s) for s in model_silences(SILENT_TEXT)] == [
        ("gate", "vehicle", 12.0), ("mast", "coco", 5400.0), ("mast", "vehicle", 4500.0)]
    with pytest.raises(ScrapeError, match="unreadable text"):
        model_silences("edge_vehicle_model_silent_seconds{camera= 1 2 3\n")


def test_scrape_names_a_wrong_answer() -> None:
    exp = Exporter("not found", status=404)
    try:
        with pytest.raises(ScrapeError, match=r"answered HTTP 404, not metrics"):
            scrape(f"http://127.0.0.1:{exp.port}/metrics")
    finally:
        exp.close()


GAP_TEXT = """\
# HELP edge_camera_frame_gap Typical camera frames between two analysed frames
# TYPE edge_camera_frame_gap gauge
edge_camera_frame_gap{camera="mast"} 19.0
edge_camera_frame_gap{camera="gate"} 1.0
edge_camera_frame_gap{camera="dock"} 2.0
edge_camera_frame_gap{camera="attic"} 1.0
# TYPE edge_camera_fps gauge
edge_camera_fps{camera="mast"} 25.0
edge_camera_fps{camera="gate"} 25.0
edge_camera_fps{camera="dock"} 25.0
edge_camera_fps{camera="attic"} 0.0
# TYPE edge_camera_decode_fps gauge
edge_camera_decode_fps{camera="mast"} 25.2
edge_camera_decode_fps{camera="gate"} 24.1
edge_camera_decode_fps{camera="dock"} 12.0
"""


def gap_config(tmp_path: Path, port: int) -> Path:
    """Four cameras that count lines (mast, gate, dock, attic) and one that does not
    (yard)."""
    line = [{"id": "door", "start": [0, 10], "end": [100, 10]}]
    cfg = tmp_path / "g.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [{"name": "person", "source": "missing.pt"}],
        "cameras": [{"id": "mast", "url": "rtsp://127.0.0.1:9/m", "lines": line},
                    {"id": "gate", "url": "rtsp://127.0.0.1:9/g", "lines": line},
                    {"id": "dock", "url": "rtsp://127.0.0.1:9/d", "lines": line},
                    {"id": "attic", "url": "rtsp://127.0.0.1:9/a", "lines": line},
                    {"id": "yard", "url": "rtsp://127.0.0.1:9/y"}],
        "metrics": {"host": "127.0.0.1", "port": port},
        "storage": {"path": str(tmp_path / "d.db")}}))
    return cfg


def test_doctor_warns_about_a_counting_camera_whose_frames_are_skipped(tmp_path: Path) -> None:
    exp = Exporter(GAP_TEXT + 'edge_camera_frame_gap{camera="yard"} 46.0\n')
    try:
        checks = doctor._frame_gaps(load_settings(gap_config(tmp_path, exp.port)))
    finally:
        exp.close()
    warn = {c[0]: c[2] for c in checks if c[1] == doctor.WARN}
    assert sorted(warn) == ["counting rate of camera mast",  # yard counts nothing
                            "frame rate of camera attic", "frame rate of camera dock"]
    assert warn["counting rate of camera mast"].startswith(
        "its lines see 1.3 frames a second (1 frame in 19 analysed: inference is behind")
    assert warn["frame rate of camera dock"].startswith(
        "timed as 25 fps but the stream delivers 12.0 frames a second")
    assert warn["frame rate of camera attic"].startswith("not known")
    ok = [c[2] for c in checks if c[1] is True]
    assert ok == ["lines see gate at 25.0 frames a second; dock at 12.5 frames a second (1 "
                  "frame in 2 analysed: inference is behind this camera); attic at its frames"]


def frame_gap_checks(tmp_path: Path, text: str, camera: int, **setting: object) -> list:
    """``edge doctor``'s counting-rate checks against an exporter serving ``text``, with
    ``setting`` on the ``camera``-th camera of :func:`gap_config`."""
    cfg = yaml.safe_load(gap_config(tmp_path, 0).read_text())
    cfg["cameras"][camera].update(setting)
    exp = Exporter(text)
    try:
        cfg["metrics"]["port"] = exp.port
        (tmp_path / "g.yaml").write_text(yaml.safe_dump(cfg))
        return doctor._frame_gaps(load_settings(tmp_path / "g.yaml"))
    finally:
        exp.close()


def test_doctor_compares_a_capped_stream_with_its_cap(tmp_path: Path) -> None:
    text = ('edge_camera_frame_gap{camera="gate"} 1.0\nedge_camera_fps{camera="gate"} 10.0\n'
            'edge_camera_decode_fps{camera="gate"} 25.0\n')
    checks = frame_gap_checks(tmp_path, text, 1, fps_cap=10)
    assert checks == [("counting rate", True, "lines see gate at 10.0 frames a second")]


def test_doctor_reads_the_gap_the_camera_step_exports(tmp_path: Path) -> None:
    """The whole channel: camera step -> gauge -> exporter -> scrape -> WARN."""
    from datetime import datetime, timezone

    import supervision as sv

    from edge.config.models import CameraConfig, TrackingConfig
    from edge.pipeline.step import CameraPipeline, SiteOccupancy

    pipe = CameraPipeline(CameraConfig(id="mast", url="x"), TrackingConfig(), SiteOccupancy())
    for seq in range(1, 40, 3):  # the loop analyses every third frame
        pipe.process(seq, datetime.now(timezone.utc), sv.Detections.empty())
    port = metrics.serve("127.0.0.1", 0)
    checks = doctor._frame_gaps(load_settings(gap_config(tmp_path, port)))
    assert ("counting rate of camera mast", doctor.WARN) in [(c[0], c[1]) for c in checks]
    assert any(c[2].startswith("its lines see its frames (1 frame in 3 analysed") for c in checks)


def test_doctor_reads_the_rate_a_stream_s_timestamps_say(tmp_path: Path) -> None:
    """gate is timed by its timestamps and decodes them all; dock's box decodes fewer frames
    than its stream sends; mast was told fps 25 but its timestamps say 12.5."""
    text = "".join(
        f'edge_camera_frame_gap{{camera="{cam}"}} 1.0\nedge_camera_fps{{camera="{cam}"}} '
        f'{fps}\nedge_camera_stamp_fps{{camera="{cam}"}} {sent}\n'
        f'edge_camera_decode_fps{{camera="{cam}"}} {decoded}\n'
        for cam, fps, sent, decoded in (("gate", 12.5, 12.5, 12.3), ("dock", 25.0, 25.0, 9.0),
                                        ("mast", 25.0, 12.5, 12.5)))
    checks = frame_gap_checks(tmp_path, text, 0, fps=25)
    warn = {c[0]: c[2] for c in checks if c[1] == doctor.WARN}
    assert sorted(warn) == ["frame rate of camera dock", "frame rate of camera mast"]
    assert warn["frame rate of camera dock"].startswith(
        "its stream sends 25.0 frames a second (their timestamps) but this box decodes only "
        "9.0")
    assert warn["frame rate of camera mast"].startswith(
        "cameras[].fps says 25 but the stream's timestamps say 12.5")
