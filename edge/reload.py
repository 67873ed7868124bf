"""Config reload (SIGHUP): cameras and lines change without a restart.

The change is applied on the inference loop's thread between two passes, so no pass sees
half of it: removed cameras stop, new ones start, cameras whose stream settings changed are
reopened, and changed lines are swapped in their pipelines (unchanged lines keep their counts
and track state). The ``occupancy`` section (reset schedule) applies at once too. Other
sections need a restart; the reload says which.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import TYPE_CHECKING

from edge.capture.camera import CameraCapture
from edge.config.models import Settings
from edge.pipeline.stats import CameraStats
from edge.telemetry import metrics

if TYPE_CHECKING:
    from edge.app import App

log = logging.getLogger(__name__)

RESTART_SECTIONS = ("site", "models_dir", "models", "inference", "tracking", "identity", "anpr",
                    "attendance", "storage", "sync", "api", "metrics", "ui")


def forget_camera_series(cam_id: str) -> None:
    """Drop a removed camera's gauges, so dashboards do not show its last values for ever
    (its counters stay: their rate falls to zero)."""
    for gauge in (metrics.CAMERA_UP, metrics.CAMERA_LAST_FRAME_AGE, metrics.CAMERA_DECODE_FPS,
                  metrics.OCCUPANCY):
        with contextlib.suppress(KeyError):
            gauge.remove(cam_id)


def reload_settings(app: App, new: Settings, timeout: float = 10.0) -> list[str]:
    """Apply ``new``'s cameras and lines to the running ``app``; return what happened.

    Raises:
        RuntimeError: the daemon is not running, or the loop did not apply it in time.
    """
    if app.loop is None or not app.loop.alive:
        raise RuntimeError("the daemon is not running")
    old = app.settings
    notes = [f"{name} changed: takes effect after a restart" for name in RESTART_SECTIONS
             if getattr(old, name) != getattr(new, name)]
    old_cams = {c.id: c for c in old.cameras if c.enabled}
    new_cams = {c.id: c for c in new.cameras if c.enabled}
    done = threading.Event()
    loop = app.loop

    def apply() -> None:
        try:
            for cam_id in sorted(old_cams.keys() - new_cams.keys()):
                app.cameras.pop(cam_id).stop(timeout=0.5)
                app.stats.pop(cam_id, None)
                forget_camera_series(cam_id)
                notes.append(f"camera {cam_id} removed")
            for cam_id, cfg in new_cams.items():
                before = old_cams.get(cam_id)
                stream_changed = before is not None and \
                    before.model_copy(update={"lines": [], "name": ""}) != \
                    cfg.model_copy(update={"lines": [], "name": ""})
                if before is None or stream_changed:
                    if stream_changed:
                        app.cameras.pop(cam_id).stop(timeout=0.5)
                    cam = CameraCapture(cfg, pace=app.options.pace)
                    app.cameras[cam_id] = cam
                    app.stats.setdefault(cam_id, CameraStats(
                        cam_id, new.storage.metrics_interval_s, app.sampler, app.tally))
                    cam.start()
                    notes.append(f"camera {cam_id} {'reopened' if stream_changed else 'added'}")
                if before is not None and not stream_changed and before != cfg:
                    # A pipeline made later (the camera has sent no frame yet) reads its
                    # lines from here; the capture thread only reads stream settings.
                    app.cameras[cam_id].config = cfg
                if before is not None and before.lines != cfg.lines:
                    pipeline = loop.pipelines.get(cam_id)
                    if pipeline is not None:
                        pipeline.set_lines(cfg.lines)
                    notes.append(f"camera {cam_id}: lines now "
                                 f"{', '.join(ln.id for ln in cfg.lines) or 'none'}")
            loop.sync_cameras()
            if old.occupancy != new.occupancy:  # the control poller reads it every tick
                times = ", ".join(new.occupancy.reset_at)
                notes.append(f"occupancy resets now at {times}" if times else
                             "occupancy resets: no scheduled time any more")
            app.settings = old.model_copy(update={"cameras": new.cameras,
                                                  "occupancy": new.occupancy})
        finally:
            done.set()

    loop.call_between_passes(apply)
    if not done.wait(timeout):
        raise RuntimeError(f"the inference loop did not apply the reload within {timeout:g}s")
    for note in notes:
        log.info("reload: %s", note)
    return notes
