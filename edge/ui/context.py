"""What the console reads and calls: filled in by the composition root (``edge.app``).

The console holds no state of the daemon's own; every change goes through a function that
the CLI or the reload path uses too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.capture.camera import CameraCapture
from edge.config.models import CameraConfig, Settings
from edge.store.direct import WriteRunner
from edge.store.queries import StoreReader
from edge.ui.live import LiveView


@dataclass
class ConsoleContext:
    """The daemon as the console sees it.

    Attributes:
        settings: the running settings (they change on reload).
        config_path: the YAML file edits are written to; None makes every editor read-only.
        cameras: live capture objects by id.
        live: the annotated live view.
        reader: read queries on the store.
        run_write: one write transaction on the store (the writer thread's).
        apply_settings: applies new settings through the reload path; returns its notes.
        live_counts: ``{camera_id: {occupancy, entries, exits}}`` of the running pipelines.
        site_occupancy: people inside the site now.
        reset_occupancy: ``(camera_id or None, source, note)`` resets and returns events.
        plates_changed: called after a plate list edit so the daemon applies it at once.
        check_photo: face gate verdict of one photo: ``(ok, reason)``; None without a face
            engine.
        enroll: ``(employee_id, name, group, [(label, image)])`` -> faces on file.
        remove_employee: ``employee_id`` -> whether someone was removed.
        token: the API token that logs in; None disables every change.
        loop_fps: frames per second through inference lately.
        store_backlog: events waiting for the writer.
        services: ``{name: object}`` of running track services (health reads their state).
        zone_counts: ``{camera_id: {zone_id: tracks inside}}`` of the running pipelines.
        frame_gaps: ``{camera_id: typical camera frames between analysed frames}``.
    """

    settings: Callable[[], Settings]
    config_path: Path | None
    cameras: Callable[[], dict[str, CameraCapture]]
    live: LiveView
    reader: StoreReader
    run_write: WriteRunner
    apply_settings: Callable[[Settings], list[str]]
    live_counts: Callable[[], dict[str, dict[str, int]]]
    site_occupancy: Callable[[], int]
    reset_occupancy: Callable[[str | None, str, str], list[Any]]
    plates_changed: Callable[[], None] = lambda: None
    check_photo: Callable[[np.ndarray], tuple[bool, str]] | None = None
    enroll: Callable[[str, str, str, list[tuple[str, np.ndarray]]], int] | None = None
    remove_employee: Callable[[str], bool] | None = None
    token: str | None = None
    loop_fps: Callable[[], float] = lambda: 0.0
    store_backlog: Callable[[], int] = lambda: 0
    services: Callable[[], dict[str, Any]] = field(default=lambda: {})
    zone_counts: Callable[[], dict[str, dict[str, int]]] = field(default=lambda: {})
    frame_gaps: Callable[[], dict[str, float]] = field(default=lambda: {})

    def camera(self, camera_id: str) -> CameraConfig | None:
        """The camera's current settings, or None when it is not configured."""
        return next((c for c in self.settings().cameras if c.id == camera_id), None)
