"""Builds the identity service from the settings (used by the composition root)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from edge.analytics.attendance import AttendanceBook
from edge.config.models import Settings
from edge.events import Event
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox, FaceEngine, GateConfig, GateResult
from edge.identity.gallery import Gallery
from edge.identity.local import LocalBackend
from edge.identity.rekognition import BackendUnavailable, RekognitionBackend
from edge.identity.service import CameraRole, IdentityService
from edge.pipeline.stats import ServiceTally
from edge.store.queries import StoreReader
from edge.store.retention import DiskGuard

log = logging.getLogger(__name__)


class LocalFaceBackend:
    """dlib embedding of the gated face, matched against the local gallery."""

    name = "local"
    cloud = False

    def __init__(self, engine: FaceEngine, local: LocalBackend, lock: threading.Lock) -> None:
        self.engine = engine
        self.local = local
        self._lock = lock

    def identify(self, crop_bgr: np.ndarray, face: FaceBox | None) -> Identification:
        """Embed and look up; a crop without a face box is a ``no_match``."""
        if face is None:
            return Identification(None, "Unknown", 0.0, None, "no_match")
        with self._lock:
            embedding = self.engine.embed(crop_bgr, face)
        return self.local.identify(embedding)


class EmployeeDirectory:
    """Names and groups of enrolled employees, re-read at most once a minute."""

    def __init__(self, gallery: Gallery, refresh_s: float = 60.0) -> None:
        self.gallery = gallery
        self.refresh_s = refresh_s
        self._at = float("-inf")
        self._rows: dict[str, tuple[str, str]] = {}

    def _get(self, employee_id: str) -> tuple[str, str] | None:
        if time.monotonic() - self._at > self.refresh_s or employee_id not in self._rows:
            self._rows = {e.employee_id: (e.name, e.group) for e in self.gallery.employees()}
            self._at = time.monotonic()
        return self._rows.get(employee_id)

    def name(self, employee_id: str) -> str | None:
        """Display name, or None when not enrolled locally."""
        row = self._get(employee_id)
        return row[0] if row else None

    def group(self, employee_id: str) -> str | None:
        """Shift group, or None when not enrolled locally."""
        row = self._get(employee_id)
        return row[1] if row else None


def camera_roles(settings: Settings) -> dict[str, CameraRole]:
    """Attendance points and attendance lines (person occupancy lines) of every camera."""
    roles: dict[str, CameraRole] = {}
    for cam in settings.cameras:
        roles[cam.id] = CameraRole(cam.attendance_point, frozenset(
            line.id for line in cam.lines if line.counts_occupancy and "person" in line.classes))
    for vcam in settings.api.virtual_cameras:
        roles.setdefault(vcam.id, CameraRole(False, frozenset(
            line.id for line in vcam.lines if line.counts_occupancy and "person" in line.classes)))
    return roles


def crop_saver(root: Path, guard: DiskGuard | None = None
               ) -> Callable[[str, int, datetime, np.ndarray], None]:
    """Writes face crops as ``root/YYYY-MM-DD/camera_track_HHMMSS.jpg`` (biometric data),
    unless the disk guard says the disk is nearly full."""

    def save(camera_id: str, track_id: int, ts: datetime, crop: np.ndarray) -> None:
        if guard is not None and not guard.room_for_files():
            return
        folder = root / ts.strftime("%Y-%m-%d")
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{camera_id}_{track_id}_{ts.strftime('%H%M%S')}.jpg"), crop)

    return save


def prune_crops(root: Path, retention_days: float, now: float | None = None) -> int:
    """Delete saved face crops older than the retention; return how many were deleted."""
    cutoff = (now or time.time()) - retention_days * 86400
    removed = 0
    for path in root.glob("*/*.jpg") if root.exists() else []:
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def build_identity_service(settings: Settings, emit: Callable[[Sequence[Event]], None],
                           gallery: Gallery, tally: ServiceTally | None = None
                           ) -> IdentityService:
    """The identity service the settings ask for, with attendance restored from the store."""
    cfg = settings.identity
    engine = FaceEngine()
    lock = threading.Lock()
    gate_cfg = GateConfig.live(cfg)

    def gate(crop: np.ndarray) -> GateResult:
        with lock:
            return engine.gate(crop, gate_cfg)

    directory = EmployeeDirectory(gallery)
    reader = StoreReader(settings.storage.path)
    backend: LocalFaceBackend | RekognitionBackend
    if cfg.backend == "rekognition":
        backend = RekognitionBackend(cfg.rekognition, names=directory.name)
        try:
            backend.ensure_collection()
        except BackendUnavailable as exc:  # an outage at start must not stop the cameras
            log.error("Rekognition collection check failed (%s); the breaker will retry", exc)
    else:
        backend = LocalFaceBackend(engine, LocalBackend(gallery, cfg.local_threshold), lock)
    book = None
    if settings.attendance.enabled:
        tz = ZoneInfo(settings.site.timezone)
        book = AttendanceBook(settings.attendance, tz, group_of=directory.group)
        today = datetime.now(timezone.utc).astimezone(tz).date()
        book.restore(recent_attendance(reader, today))
    saver = None
    if cfg.store_face_crops:
        root = Path(cfg.crops_dir)
        prune_crops(root, cfg.crop_retention_days)
        saver = crop_saver(root, DiskGuard(root, settings.storage.min_free_disk_mb))
    service = IdentityService(cfg, gate, backend, emit, attendance=book,
                              cameras=camera_roles(settings), save_crop=saver, tally=tally,
                              price_per_call_usd=cfg.rekognition.price_per_call_usd)
    if backend.cloud:
        # A restart must not reset the day's and month's budgets.
        day, month = calls_so_far(reader, datetime.now(timezone.utc))
        service.budget.seed(day=day, month=month)
    return service


def calls_so_far(reader: StoreReader, now: datetime) -> tuple[int, int]:
    """Cloud calls recorded in ``system_metrics`` today and this month (UTC)."""
    return reader.cloud_calls(now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-01"))


def recent_attendance(reader: StoreReader, today: date) -> list[dict[str, object]]:
    """Attendance rows of yesterday and today (night shifts span midnight)."""
    try:
        return reader.attendance_since((today - timedelta(days=1)).isoformat())
    except Exception as exc:  # a fresh database has no rows yet
        log.info("no attendance to restore: %s", exc)
        return []
