"""``edge doctor``: everything an installer checks before walking away, one line each."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from edge.cli.common import config_option, settings_or_exit
from edge.config import Settings
from edge.config.models import CameraConfig

WARN = "WARN"
"""Outcome of a check that found something to look at, without failing the run."""
SKIP = "SKIP"
"""Outcome of a check that could not be made (the daemon is not running, say)."""
T = TypeVar("T")
Check = tuple[str, bool | str, str]
"""(name, outcome, detail): outcome True is OK, False is FAIL, or :data:`WARN` / :data:`SKIP`."""


def _python() -> list[Check]:
    ok = sys.version_info >= (3, 10)
    return [("python", ok, f"{platform.python_version()} ({sys.executable})")]


def _device(settings: Settings) -> list[Check]:
    from edge.detect.detector import pick_device

    try:
        import torch
    except ImportError:
        return [("torch", False, "not installed")]
    kind = "Jetson" if Path("/etc/nv_tegra_release").exists() else (
        "CUDA" if torch.cuda.is_available() else "CPU")
    detail = f"torch {torch.__version__}, {kind}, device {pick_device(settings.inference.device)}"
    if torch.cuda.is_available():
        detail += f" ({torch.cuda.get_device_name(0)})"
    return [("torch and device", True, detail)]


def _models(settings: Settings) -> list[Check]:
    import numpy as np
    import ultralytics  # noqa: F401  (sets its logger to INFO on import, so import it first)

    from edge.detect.detector import Detector

    logging.getLogger("ultralytics").setLevel(logging.WARNING)  # one line per check
    out = []
    for m in settings.models:
        try:
            det = Detector(m, Path(settings.models_dir), settings.inference.device,
                           settings.inference.threads)
            det.warmup()
            t0 = time.perf_counter()
            det.predict([np.zeros((480, 640, 3), np.uint8)])
            out.append((f"model {m.name}", True, f"{det.format}, one inference "
                        f"{(time.perf_counter() - t0) * 1000:.0f} ms"))
        except Exception as exc:
            out.append((f"model {m.name}", False, str(exc)[:200]))
    return out


def _anpr(settings: Settings) -> list[Check]:
    cfg = settings.anpr
    if not cfg.enabled:
        return [("anpr", True, "not enabled")]
    import numpy as np

    from edge.anpr.ocr import make_engine

    try:
        engine = make_engine(cfg.engine, cfg.recogniser, Path(settings.models_dir))
        t0 = time.perf_counter()
        engine.read(np.full((40, 160, 3), 255, np.uint8), 128)
    except Exception as exc:
        return [("anpr", False, str(exc)[:200])]
    used = cfg.recogniser if cfg.engine == "rapidocr" else "its English model"
    return [("anpr", True, f"{cfg.engine} ({used}), one plate read "
             f"{(time.perf_counter() - t0) * 1000:.0f} ms")]


def _cameras(settings: Settings) -> list[Check]:
    from edge.capture.camera import open_capture

    out = []
    for cam in settings.cameras:
        if not cam.enabled:
            continue
        t0 = time.monotonic()
        try:
            cap = open_capture(cam.substream_url or cam.url, open_timeout_s=cam.open_timeout_s,
                               read_timeout_s=cam.read_timeout_s, transport=cam.transport)
            ok, img = cap.read() if cap.isOpened() else (False, None)
            cap.release()
        except Exception as exc:
            ok, img = False, None
            out.append((f"camera {cam.id}", False, str(exc)[:200]))
            continue
        out.append((f"camera {cam.id}", bool(ok), f"{img.shape[1]}x{img.shape[0]} after "
                    f"{(time.monotonic() - t0) * 1000:.0f} ms" if ok else "no frame"))
        if ok:
            stream = "its substream" if cam.substream_url else "its stream"
            out += [(f"camera {cam.id}", WARN, f"{what}: drawn for another size than "
                     f"{stream}'s; redraw it on the console's camera page or in the config")
                    for what in cam.drawn_outside(img.shape[1], img.shape[0])]
    return out


def _aws(settings: Settings) -> list[Check]:
    if not settings.identity.enabled or settings.identity.backend != "rekognition":
        return [("aws", True, "not used (identity backend is local or off)")]
    try:
        import boto3

        if boto3.Session().get_credentials() is None:
            return [("aws credentials", False, "none found (environment or instance role)")]
        from edge.identity.rekognition import RekognitionBackend

        RekognitionBackend(settings.identity.rekognition).ensure_collection()
        return [("aws", True, f"collection {settings.identity.rekognition.collection_id}")]
    except Exception as exc:
        return [("aws", False, str(exc)[:200])]


def _sinks(settings: Settings) -> list[Check]:
    from urllib.parse import urlparse

    targets = []
    if settings.sync.enabled and settings.sync.mqtt:
        targets.append(("mqtt", settings.sync.mqtt.host, settings.sync.mqtt.port))
    if settings.sync.enabled and settings.sync.http:
        u = urlparse(settings.sync.http.url)
        targets.append(("http", u.hostname or "", u.port or (443 if u.scheme == "https"
                                                           else 80)))
    if not targets:
        return [("sync", True, "not enabled")]
    out = []
    for kind, host, port in targets:
        try:
            socket.create_connection((host, port), timeout=3).close()
            out.append((f"sink {kind}", True, f"{host}:{port} reachable"))
        except OSError as exc:
            out.append((f"sink {kind}", False, f"{host}:{port}: {exc}"))
    return out


def _duration(seconds: float) -> str:
    """``3725`` -> ``1 h 2 min``; ``300`` -> ``5 min``; ``42`` -> ``42 s``."""
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    h, m = divmod(s // 60, 60)
    return f"{h} h {m} min" if h else f"{m} min"


def _daemon_metrics(settings: Settings, name: str, what: str, read: Callable[[str], T]
                    ) -> tuple[str, T] | list[Check]:
    """(URL, ``read`` of the exposition text) of the running daemon's exporter, or the SKIP
    check ``name`` saying why ``what`` cannot be checked."""
    from edge.telemetry.scrape import ScrapeError, metrics_url, scrape

    m = settings.metrics
    if not m.enabled:
        return [(name, SKIP, "cannot check: the metrics exporter is off (metrics.enabled)")]
    if m.port == 0:
        return [(name, SKIP, "cannot check: metrics.port is 0 (a new port each run)")]
    url = metrics_url(m.host, m.port)
    try:
        return url, read(scrape(url))
    except ScrapeError as exc:
        return [(name, SKIP, f"cannot check {what}: {exc}")]


RATE_MISMATCH = 0.25
"""How far (a fraction) the frames a stream delivers may be from the rate it is timed by."""


def _frame_gaps(settings: Settings) -> list[Check]:
    """Ask the running daemon how many frames a second the lines of each counting camera
    see, and whether the rate they are timed by is the one the stream delivers (README,
    "Counting when the box cannot keep up", "Counting at the camera's own rate")."""
    from edge.pipeline.clock import analysed_rate, counts_poorly
    from edge.telemetry.scrape import (
        DECODE_METRIC,
        FPS_METRIC,
        GAP_METRIC,
        STAMP_METRIC,
        camera_gauge,
    )

    name = "counting rate"
    got = _daemon_metrics(settings, name, "how many frames the lines see", lambda text: {
        m: camera_gauge(text, m) for m in (GAP_METRIC, FPS_METRIC, DECODE_METRIC,
                                           STAMP_METRIC)})
    if isinstance(got, list):
        return got
    url, gauges = got
    gaps, rates, decoded = gauges[GAP_METRIC], gauges[FPS_METRIC], gauges[DECODE_METRIC]
    counting = [c for c in settings.cameras if c.enabled and c.lines and c.id in gaps]
    if not counting:
        return [(name, True, f"the daemon ({url}) reports no camera with lines yet")]
    out: list[Check] = []
    steady = []
    for cam in counting:
        gap, fps = gaps[cam.id], rates.get(cam.id, 0.0)
        rate = analysed_rate(fps, gap)
        seen = (f"{rate:.1f} frames a second" if rate is not None else "its frames") + (
            f" (1 frame in {gap:g} analysed: inference is behind this camera)" if gap > 1
            else "")
        if counts_poorly(fps, gap):
            out.append((f"counting rate of camera {cam.id}", WARN,
                        f"its lines see {seen} and count less well (on PETS 12 % of "
                        "crossings wrong at 1.2 frames a second, 25 % at 0.7, against 5 % at "
                        "7); use a GPU, fewer models or a smaller imgsz, or fps_cap on the "
                        "cameras that do not count (README \"Counting when the box cannot "
                        "keep up\")"))
        else:
            steady.append(f"{cam.id} at {seen}")
        out += _rate_check(cam, fps, decoded.get(cam.id, 0.0),
                           gauges[STAMP_METRIC].get(cam.id, 0.0))
    if steady:
        out.append((name, True, "lines see " + "; ".join(steady)))
    return out


def _rate_check(cam: CameraConfig, fps: float, decoded: float,
                stamped: float = 0.0) -> list[Check]:
    """A WARN when a counting camera's frame rate is not known, when the box decodes fewer
    frames than the stream's timestamps say it sends, or, for a rate not taken from them,
    when it is not what the stream delivers (the lines' windows and the tracker are timed
    by it)."""
    from edge.capture.camera import is_file_source

    where = f"frame rate of camera {cam.id}"
    if fps <= 0:
        return [(where, WARN, "not known (the stream reports none and its frames carry no "
                 "timestamps): its lines count frames as if at 7 fps; set cameras[].fps to "
                 "the camera's rate")]
    if is_file_source(cam.url) or decoded <= 0:
        return []  # a file is played at its header's rate: only `fps` can correct it
    if stamped > 0:  # the stream's timestamps say what it sends
        out: list[Check] = []
        sent = min(stamped, cam.fps_cap) if cam.fps_cap else stamped
        if cam.fps and abs(sent - fps) > RATE_MISMATCH * fps:
            out.append((where, WARN, f"cameras[].fps says {cam.fps:g} but the stream's "
                        f"timestamps say {stamped:.1f}: its lines and tracker are timed by "
                        "the wrong rate; remove fps (the timestamps are used then) or correct "
                        "it"))
        if decoded < (1.0 - RATE_MISMATCH) * stamped:
            out.append((where, WARN, f"its stream sends {stamped:.1f} frames a second (their "
                        f"timestamps) but this box decodes only {decoded:.1f}: the picture "
                        "falls behind real time and the frames it cannot decode are lost; use "
                        "the camera's substream (substream_url), a lower resolution or rate on "
                        "the camera, or a box that decodes faster"))
        return out
    delivered = min(decoded, cam.fps_cap) if cam.fps_cap else decoded
    if abs(delivered - fps) <= RATE_MISMATCH * fps:
        return []
    return [(where, WARN, f"timed as {fps:g} fps but the stream delivers {delivered:.1f} "
             "frames a second: its lines' windows and the tracker are off by as much; set "
             "cameras[].fps to the camera's true rate (README \"Counting at the camera's own "
             "rate\")")]


def _vehicle_models(settings: Settings) -> list[Check]:
    """Ask the running daemon whether a vehicle model has gone blind on a camera: no vehicle
    for ``silent_warn_s`` while the picture kept changing (edge.pipeline.blindspot)."""
    from edge.config.models import ModelConfig
    from edge.telemetry.scrape import model_silences

    name = "vehicle models"
    got = _daemon_metrics(settings, name, "whether they see vehicles", model_silences)
    if isinstance(got, list):
        return got
    url, silences = got
    if not silences:
        return [(name, True, f"the daemon ({url}) reports no vehicle model on any camera")]
    default = ModelConfig.model_fields["silent_warn_s"].default
    limits = {mc.name: mc.silent_warn_s for mc in settings.models}
    out: list[Check] = []
    for s in silences:
        limit = limits.get(s.model, default)
        if s.silent_s > limit:
            out.append((f"vehicle model {s.model} on camera {s.camera}", WARN,
                        f"no vehicle detected for {_duration(s.silent_s)} while the picture "
                        f"kept changing (silent_warn_s {limit:g}): this model may not see "
                        "vehicles from this camera's viewpoint; try yolo11n.pt (COCO) or a "
                        "model trained on overhead views; see README \"Vehicles seen from "
                        "above\" (if no vehicle ever passes here, leave this camera out of "
                        "the model's `cameras:`)"))
    quiet = [s for s in silences if s.silent_s <= limits.get(s.model, default)]
    if quiet:
        longest = max(quiet, key=lambda s: s.silent_s)
        out.append((name, True, f"{len(quiet)} camera/model pair(s) within silent_warn_s "
                    f"(longest silence {_duration(longest.silent_s)}: {longest.model} on "
                    f"{longest.camera})"))
    return out


def _disk(settings: Settings) -> list[Check]:
    from edge.store.retention import DiskGuard

    free = DiskGuard(settings.storage.path, settings.storage.min_free_disk_mb).free_mb()
    ok = free >= settings.storage.min_free_disk_mb
    return [("disk", ok, f"{free / 1024:.1f} GB free where {settings.storage.path} lives")]


TIME_ERROR = 5
"""adjtimex(2) state when the kernel clock is not synchronised (STA_UNSYNC)."""


def kernel_clock_state() -> tuple[bool, float] | None:
    """Read-only ``adjtimex``: (synchronised, max error in ms), or None where unavailable.

    The kernel's NTP state is set by whatever disciplines the clock (chrony, ntpd,
    systemd-timesyncd), so it answers without D-Bus or timedatectl.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        state = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    maxerror_us = ctypes.c_long.from_buffer(buf, 3 * ctypes.sizeof(ctypes.c_long)).value
    return state != TIME_ERROR, maxerror_us / 1000.0


def _clock() -> list[Check]:
    if shutil.which("timedatectl"):
        res = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                             capture_output=True, text=True, timeout=5)
        if res.returncode == 0 and res.stdout.strip():
            synced = res.stdout.strip() == "yes"
            return [("clock", synced, "NTP synchronised (timedatectl)" if synced
                     else "NOT synchronised (timedatectl): event times and shifts drift")]
    kernel = kernel_clock_state()
    if kernel is not None:
        synced, max_error_ms = kernel
        return [("clock", synced, f"kernel says synchronised, max error {max_error_ms:.0f} ms"
                 if synced else "kernel says NOT synchronised: start chrony or "
                 "systemd-timesyncd (event times and shifts drift)")]
    return [("clock", False, "cannot tell whether the clock is synchronised")]


def doctor(config: Path = config_option(),
           skip_cameras: bool = typer.Option(False, help="Do not open the cameras.")) -> None:
    """Check python, torch and device, models (one timed inference), the plate reader (when
    ANPR is on), cameras, AWS, sinks, vehicle models gone blind and counting cameras whose
    frames inference skips (both asked of the running daemon's metrics: WARN, or SKIP when
    it is not running), disk and clock; exit 1 when anything fails (WARN and SKIP do not).

    Example: edge doctor -c /etc/edge/cameras.yaml
    """
    settings = settings_or_exit(config, err=False, heading="FAIL config")
    typer.echo(f"OK   config: {config} ({len(settings.cameras)} cameras, "
               f"{len(settings.models)} models)")
    steps: list[Callable[[], list[Check]]] = [
        _python, lambda: _device(settings), lambda: _models(settings), lambda: _anpr(settings),
        (lambda: []) if skip_cameras else (lambda: _cameras(settings)),
        lambda: _aws(settings), lambda: _sinks(settings), lambda: _vehicle_models(settings),
        lambda: _frame_gaps(settings), lambda: _disk(settings), _clock]
    failed = False
    for step in steps:
        for name, ok, detail in step():
            label = ok if isinstance(ok, str) else ("OK  " if ok else "FAIL")
            typer.echo(f"{label} {name}: {detail}")
            failed |= ok is False
    if os.geteuid() == 0:
        typer.echo("note: running as root; the service runs as the `edge` user")
    if failed:
        raise typer.Exit(1)
