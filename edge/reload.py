"""Config reload (SIGHUP): cameras, lines and zones change without a restart.

The change is applied on the inference loop's thread between two passes, so no pass sees
half of it: the daemon's :class:`~edge.pipeline.cameras.CameraSet` stops removed cameras,
starts new ones, reopens cameras whose stream settings changed, and applies changed lines and
zones to their pipelines (unchanged rules keep their counts, visits and track state). The
``occupancy`` section (reset schedule) applies at once too. Other sections need a restart;
the reload says which.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from edge.config.models import Settings

if TYPE_CHECKING:
    from edge.app import App

log = logging.getLogger(__name__)

RESTART_SECTIONS = ("site", "models_dir", "models", "inference", "tracking", "identity", "anpr",
                    "attendance", "storage", "sync", "api", "metrics", "ui")


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
    done = threading.Event()
    loop = app.loop

    def apply() -> None:
        try:
            notes.extend(app.camera_set.apply(new.cameras, loop.pipelines))
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
