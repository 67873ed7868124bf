"""Configuration of face identity (backends, cache policy, cost limits) and attendance."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import Field, field_validator, model_validator

from edge.config.base import Strict, reject_duplicates


class RekognitionConfig(Strict):
    """AWS Rekognition. Credentials come from the environment or the instance role, never
    from this file (``AWS_ACCESS_KEY_ID`` ... in the service's EnvironmentFile)."""

    region: str | None = None
    """``None`` uses ``AWS_REGION`` / ``AWS_DEFAULT_REGION``."""
    collection_id: str = Field("edge-employees", pattern=r"^[a-zA-Z0-9_.\-]+$", max_length=255)
    face_match_threshold: float = Field(90.0, ge=0, le=100)
    connect_timeout_s: float = Field(2.0, gt=0, le=60)
    read_timeout_s: float = Field(3.0, gt=0, le=60)
    price_per_call_usd: float = Field(0.001, ge=0)
    """Estimated cost of one SearchFacesByImage / IndexFaces call, for the cost counters."""


class BudgetConfig(Strict):
    """Most cloud calls per window; when one is spent, calls stop until it rolls over.
    ``None`` means unlimited."""

    per_minute: int | None = Field(60, ge=0)
    per_day: int | None = Field(5_000, ge=0)
    per_month: int | None = Field(100_000, ge=0)


class BreakerConfig(Strict):
    """Circuit breaker on backend errors and throttling."""

    failure_threshold: int = Field(5, ge=1, le=1000)
    """Consecutive failures that open the breaker."""
    reset_after_s: float = Field(30.0, gt=0, le=3600)
    """How long it stays open before one trial call (half-open)."""


class SwitchConfig(Strict):
    """When a named track's identity is in doubt (``edge.identity.switches``): such a track
    keeps its name at lower confidence and is asked again at its next clear face.

    The defaults were chosen on the PETS replay (``scripts/eval_identity_policy.py``, the
    only footage here with identities), so its figures in the README are not held out."""

    enabled: bool = True
    overlap_iou: float = Field(0.35, gt=0, le=1)
    """Two person boxes overlapping this much (IoU) may swap ids: both are in doubt."""
    clear_iou: float = Field(0.1, ge=0, le=1)
    """Overlapping tracks are asked again only once their overlap falls below this."""
    gap_frames: int = Field(5, ge=2, le=1000)
    """A track missing this many frames and found again may be someone else."""
    jump: float = Field(0.5, gt=0)
    """Foot point moving more than this many box heights in one frame: a jump."""
    size_ratio: float = Field(1.5, gt=1)
    """Box height changing more than this factor in one frame: a jump."""
    appearance: float | None = Field(0.6, gt=0, le=1)
    """Bhattacharyya distance of the body's colour histogram from the track's average beyond
    which the track is in doubt; ``None`` turns the colour check off."""
    appearance_confirm: float = Field(0.3, gt=0, le=1)
    """A gap or a jump puts a name in doubt only when the body's colour histogram also moved
    this far (Bhattacharyya distance) from the track's average: on PETS, 99 % of a person's
    frames stay within 0.38 of their average, while swapped ids mostly move beyond 0.3."""
    confirm_frames: int = Field(5, ge=1, le=50)
    """Clear frames whose colours are averaged to judge a gap, a jump or an overlap."""
    swap_margin: float = Field(0.05, ge=0, le=1)
    """After an overlap, a track whose colours are closer (Bhattacharyya distance) by this much
    to how the other track looked before than to how it looked itself is in doubt."""
    appearance_warmup: int = Field(3, ge=1, le=100)
    """Frames of a track averaged before its colour is compared."""
    max_reasks: int = Field(2, ge=0, le=100)
    """Most extra backend calls per track for doubts (0: doubts only lower confidence)."""
    reask_after_no_match: bool = True
    """Ask a doubted track again at its next clear face after a re-ask answered
    ``no_match`` (within ``max_reasks``); off, it is asked again only when something new
    happens (another doubt, a namesake) and keeps its doubted name meanwhile. On PETS with a
    fifth of the faces unmatched, off saves 0.02 calls per track but leaves more names
    wrong (README, "Identity policy")."""
    doubt_confidence: float = Field(0.5, gt=0, le=1)
    """A doubted name is served with its confidence multiplied by this."""

    @model_validator(mode="after")
    def _clear_below_overlap(self) -> SwitchConfig:
        if self.clear_iou >= self.overlap_iou:
            raise ValueError(f"clear_iou ({self.clear_iou}) must be below overlap_iou "
                             f"({self.overlap_iou})")
        return self


class IdentityConfig(Strict):
    """Face identity: face gate, per-track cache policy, backend, workers."""

    enabled: bool = False
    backend: Literal["local", "rekognition"] = "local"
    cache_ttl_s: float = Field(600.0, gt=0)
    """A confirmed name is served from the per-track cache this long (``source: cache``)."""
    retry_interval_s: float = Field(2.0, ge=0)
    """Least time between two backend calls for one track without a confirmed name."""
    max_attempts: int = Field(2, ge=1, le=100)
    """Most backend calls per track (no_match answers count; calls never made do not).
    Measured on PETS (scripts/eval_identity_policy.py): 2 keeps calls per track under 1.2;
    3 gives a track whose face was turned away one more chance for about 0.15 more calls."""
    confirmations: int = Field(1, ge=1, le=10)
    """Agreeing answers needed before a name counts."""
    local_threshold: float = Field(0.55, gt=0, le=2)
    """Largest embedding distance the local backend accepts as the same person."""
    min_face_px: int = Field(40, ge=8)
    min_sharpness: float = Field(4.5, ge=0)
    """Least face sharpness for a camera crop to be identified: Laplacian variance of the face
    resized to 128 px, so it does not depend on the face's size. Chosen on half of
    ../shared/data/faces by scripts/eval_face_gate.py (see the README)."""
    enrol_min_sharpness: float = Field(12.0, ge=0)
    """Least face sharpness of an enrolment photo (same measure): stricter than live frames,
    since a poor enrolment photo spoils every later match while a refused one is retaken."""
    workers: int = Field(1, ge=1, le=16)
    worker_nice: int = Field(0, ge=0, le=19)
    """How much lower the face workers' CPU priority is than the inference loop's (Linux
    nice). 0 by default: ``/api/process`` waits for their answers (``api_wait_s``); raise
    it where the local backend's face search slows counting."""
    queue_max: int = Field(32, ge=1, le=10_000)
    """Face jobs waiting for a worker; a full queue drops the job (counted)."""
    api_wait_s: float = Field(2.0, ge=0, le=30)
    """How long ``/api/process`` waits for this frame's identity answers."""
    store_face_crops: bool = False
    """Biometric data: keep face crops on disk only when set (see ``crop_retention_days``)."""
    crop_retention_days: float = Field(7.0, gt=0)
    crops_dir: str = "var/faces"
    min_track_frames: int = Field(3, ge=1, le=1000)
    """Frames a track must have been seen before its face is asked about: boxes of people just
    entering the picture are partial, and tracks that flicker for a frame or two are mostly
    false detections."""
    track_gone_s: float = Field(30.0, gt=0)
    """A track unseen this long has ended: its cache entry is dropped."""
    rekognition: RekognitionConfig = Field(default_factory=RekognitionConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    switches: SwitchConfig = Field(default_factory=SwitchConfig)
    """Re-asking named tracks whose id may have passed to another person."""


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ShiftConfig(Strict):
    """A shift of an employee group, in the site's time zone."""

    start: str = "09:00"
    end: str = "17:00"
    late_grace_min: float = Field(10.0, ge=0, le=720)
    """A check-in up to this long after ``start`` is PRESENT with ``grace_period_used``."""
    early_exit_grace_min: float = Field(10.0, ge=0, le=720)
    """A check-out up to this long before ``end`` is not an early exit."""

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"must be HH:MM (24 h), got {v!r}")
        return v

    @property
    def start_time(self) -> time:
        """``start`` as a time of day."""
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        """``end`` as a time of day."""
        return time.fromisoformat(self.end)


class AttendanceConfig(Strict):
    """Shifts per employee group; an employee without a group uses ``default``."""

    enabled: bool = True
    groups: dict[str, ShiftConfig] = Field(default_factory=lambda: {"default": ShiftConfig()})
    link_window_s: float = Field(120.0, gt=0, le=3600)
    """An identity that arrives this long after a track's crossing still attaches to it."""

    @model_validator(mode="after")
    def _default_group(self) -> AttendanceConfig:
        if "default" not in self.groups:
            raise ValueError("groups must include 'default'")
        reject_duplicates("group", list(self.groups))
        return self
