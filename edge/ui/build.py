"""The console's context from the running daemon: which function serves which page.

Every change the console makes goes through a function the CLI or the reload path uses too:
``edge.config.edit`` + ``edge.reload.reload_settings`` for lines, zones and the ROI,
``edge.anpr.lists`` for plate lists, ``edge.identity.enroll`` for people, and
``App.reset_occupancy`` for resets.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from edge.config.models import Settings
from edge.ui.context import ConsoleContext

if TYPE_CHECKING:
    from edge.app import App


def console_context(app: App) -> ConsoleContext:
    """Wire the console to ``app``'s rooms."""
    face_lock = threading.Lock()

    def face_engine() -> Any:
        from edge.identity.faces import FaceEngine

        with face_lock:
            if app._face_engine is None:
                app._face_engine = FaceEngine()
            return app._face_engine

    def cloud() -> Any:
        return next((svc.backend for svc in app.services  # type: ignore[attr-defined]
                     if svc.name == "identity" and svc.backend.cloud), None)  # type: ignore[attr-defined]

    def check_photo(image: np.ndarray) -> tuple[bool, str]:
        from edge.identity.faces import GateConfig

        engine = face_engine()
        with face_lock:
            verdict = engine.gate(image, GateConfig.enrolment(app.settings.identity))
        return bool(verdict.ok and verdict.face is not None), verdict.reason

    def enroll(employee_id: str, name: str, group: str,
               photos: list[tuple[str, np.ndarray]]) -> int:
        from edge.identity.enroll import enroll_employee
        from edge.identity.faces import GateConfig

        engine = face_engine()
        with face_lock:
            result = enroll_employee(engine, app.gallery, employee_id, name, photos,
                                     group=group, cloud=cloud(),
                                     gate=GateConfig.enrolment(app.settings.identity))
        return result.faces_total

    def remove_employee(employee_id: str) -> bool:
        from edge.identity.enroll import remove_employee as remove

        return remove(app.gallery, employee_id, cloud())

    def apply_settings(new: Settings) -> list[str]:
        from edge.reload import reload_settings

        return reload_settings(app, new)

    def plates_changed() -> None:
        # The poller checks every second anyway; checking now makes the very next decided
        # plate see the change.
        for refresher in app.control.refreshers if app.control is not None else []:
            refresher.check()

    def zone_counts() -> dict[str, dict[str, int]]:
        pipelines = app.loop.pipelines if app.loop is not None else {}
        return {cid: p.zone_counts() for cid, p in list(pipelines.items())}

    def frame_gaps() -> dict[str, float]:
        pipelines = app.loop.pipelines if app.loop is not None else {}
        return {cid: p.frame_gap for cid, p in list(pipelines.items())}

    faces = _has_face_engine()
    return ConsoleContext(
        settings=lambda: app.settings, config_path=app.config_path,
        cameras=lambda: dict(app.cameras), live=app.live, reader=app.api_services.reader,
        run_write=app.writer.call, apply_settings=apply_settings,
        live_counts=app._live_counts, site_occupancy=lambda: app.site.value,
        reset_occupancy=app.reset_occupancy, plates_changed=plates_changed,
        check_photo=check_photo if faces else None, enroll=enroll if faces else None,
        remove_employee=remove_employee,
        token=os.environ.get(app.settings.api.token_env) or None,
        loop_fps=app.loop_fps, store_backlog=app.writer.backlog,
        services=lambda: {getattr(s, "name", ""): s for s in app.services},
        zone_counts=zone_counts, frame_gaps=frame_gaps)


def _has_face_engine() -> bool:
    import importlib.util

    return importlib.util.find_spec("face_recognition") is not None
