"""The per-camera step: tracker -> rules (lines, zones, ...) -> occupancy -> typed events.

Live cameras and the HTTP shim's virtual cameras share this code: it takes one frame's
canonical detections and returns a :class:`FrameResult` holding the tracked detections, the
crossings of this frame and the events to store.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import supervision as sv

from edge.analytics.anchors import BORDER, FEET, FootPoints, border_points
from edge.analytics.lines import LineCrossing, LineRule
from edge.analytics.occupancy import Occupancy
from edge.analytics.rules import Rule, RuleEnv, build_rules
from edge.analytics.zones import ZoneRule
from edge.config.models import CANONICAL_CLASSES, CameraConfig, TrackingConfig
from edge.events import Event, OccupancyChanged
from edge.pipeline.appearance import APPEARANCE, describe
from edge.pipeline.tracking import ClassGroupTracker, lost_buffer
from edge.telemetry import metrics

PERSON_ID = CANONICAL_CLASSES.index("person")


def merge_detections(parts: list[sv.Detections]) -> sv.Detections:
    """One frame's detections from several models as one ``sv.Detections``."""
    if not parts:
        return sv.Detections.empty()
    return parts[0] if len(parts) == 1 else sv.Detections.merge(parts)


class SiteOccupancy:
    """Occupancy of the whole site, shared by every camera (thread-safe, never below 0)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._occ = Occupancy()

    def apply(self, direction: str) -> int:
        """Apply a crossing and return the new site occupancy."""
        with self._lock:
            self._occ.apply(direction)
            metrics.SITE_OCCUPANCY.set(self._occ.value)
            return self._occ.value

    def reset(self, value: int = 0) -> int:
        """Set the site occupancy to ``value``; return the previous one."""
        with self._lock:
            previous = self._occ.reset(value)
            metrics.SITE_OCCUPANCY.set(self._occ.value)
            return previous

    def reset_by(self, n: int) -> int:
        """Lower the site occupancy by ``n`` (a camera's count that was reset), never below
        0; return the new site occupancy."""
        with self._lock:
            self._occ.reset(max(0, self._occ.value - n))
            metrics.SITE_OCCUPANCY.set(self._occ.value)
            return self._occ.value

    @property
    def value(self) -> int:
        """People inside the site now."""
        with self._lock:
            return self._occ.value


@dataclass
class FrameResult:
    """Everything one frame produced on one camera."""

    camera_id: str
    frame_seq: int
    ts: datetime
    detections: sv.Detections
    crossings: list[LineCrossing]
    people_count: int
    vehicle_count: int
    occupancy: int
    entries: int
    exits: int
    events: list[Event] = field(default_factory=list)

    @property
    def entries_this_frame(self) -> int:
        """Entries completed on this frame."""
        return sum(c.direction == "entry" for c in self.crossings)

    @property
    def exits_this_frame(self) -> int:
        """Exits completed on this frame."""
        return sum(c.direction == "exit" for c in self.crossings)


def _memory(tracking: TrackingConfig, frame_rate: float) -> int:
    """Frames rules remember a vanished track: as long as the tracker keeps a lost id
    (``lost_buffer`` frames at 30 fps, at ``frame_rate``), and one more."""
    return max(1, int(lost_buffer(tracking, frame_rate) * frame_rate / 30.0)) + 1


class CameraPipeline:
    """Tracking and counting state of one camera.

    Args:
        camera: the camera's settings (its lines).
        tracking: tracker settings.
        site: the shared site occupancy.
        fps: the camera's frame rate (None: not known), which the tracker and the line
            counters time by unless ``tracking.frame_rate`` is set (the tracker assumes 10
            when neither is known; the counters count frames as at their ``frames_at_fps``);
            :meth:`set_rate` changes it while the camera runs.
        heartbeat_s: longest gap between two ``occupancy_logs`` rows.
    """

    def __init__(self, camera: CameraConfig, tracking: TrackingConfig, site: SiteOccupancy,
                 *, fps: float | None = None, heartbeat_s: float = 60.0) -> None:
        self.camera_id = camera.id
        self.site = site
        self.fps: float | None = tracking.frame_rate or fps or None
        """The rate the tracker and lines time by (None: not known; :meth:`set_rate`)."""
        self._fixed_rate = tracking.frame_rate is not None
        frame_rate = self.fps or 10.0
        # People and vehicles have a ByteTrack each (own thresholds, one id counter).
        self.tracker = ClassGroupTracker(tracking, frame_rate)
        self._env = RuleEnv(memory_frames=_memory(tracking, frame_rate),
                            frame_gap=lambda: self.frame_gap, frame_rate=lambda: self.fps)
        self._feet = FootPoints(memory_frames=self._env.memory_frames)
        self.camera = camera
        self.rules: list[Rule] = []
        self._occupancy_lines: set[str] = set()
        self.apply_camera(camera)
        self.occupancy = Occupancy()
        self.heartbeat_s = heartbeat_s
        self._last_occupancy_log = 0.0
        self._last_counts: tuple[int, int, int] | None = None
        self.last_result: FrameResult | None = None

    def set_rate(self, fps: float | None) -> None:
        """Time the tracker and lines by ``fps`` from now on: the camera's capture measured
        a new rate (its stream's timestamps, after a reconnect). Tracks, counts and each
        track's side of every line are kept. None (not known), the rate in use, or a fixed
        ``tracking.frame_rate`` change nothing."""
        if not fps or fps == self.fps or self._fixed_rate:
            return
        self.fps = fps
        self.tracker.retime(fps)
        memory = _memory(self.tracker.tracking, fps)
        self._env = replace(self._env, memory_frames=memory)
        self._feet.memory_frames = memory
        for line in self.counters:
            line.counter.memory_frames = memory

    def apply_camera(self, camera: CameraConfig) -> None:
        """Use this camera's rules from now on (lines, zones, ...); unchanged rules keep
        their counts and track state."""
        self.camera = camera
        self.rules = build_rules(camera, self._env, keep=self.rules)
        self._occupancy_lines = {ln.id for ln in camera.lines if ln.counts_occupancy}

    @property
    def frame_gap(self) -> float:
        """Typical camera frames between two analysed frames lately (1.0: every frame; more
        when inference is behind the camera: README, "Counting when the box cannot keep
        up")."""
        return self.tracker.clock.gap

    @property
    def counters(self) -> list[LineRule]:
        """The camera's counting lines."""
        return [r for r in self.rules if isinstance(r, LineRule)]

    @property
    def wants_appearance(self) -> bool:
        """Whether the tracker tells people apart by colour (``tracking.appearance_weight``),
        so that :meth:`process` needs the picture."""
        return self.tracker.people.appearance

    def process(self, seq: int, ts: datetime, detections: sv.Detections,
                bounds: tuple[float, float, float, float] | None = None,
                image: np.ndarray | None = None) -> FrameResult:
        """Track, count and emit events for one frame's canonical detections.

        ``seq`` is the camera's frame number: a gap in it (frames the loop skipped) tells
        the tracker how far its tracks moved (``tracking.predict_skipped``).

        ``bounds`` is the analysed picture (x1, y1, x2, y2) in the detections' coordinates
        (the ROI when the camera has one): with it, each tracked box's foot point, completed
        where that border cuts the box, goes to the rules in ``data[FEET]``, and for a box the
        border cuts, that point moved beyond it in ``data[BORDER]``. ``image`` is the
        picture in those coordinates, for the boxes' colours when the tracker uses them
        (boxes that already carry ``data[APPEARANCE]`` keep theirs).
        """
        t0 = time.perf_counter()
        if (image is not None and self.wants_appearance and len(detections)
                and APPEARANCE not in detections.data):
            detections.data[APPEARANCE] = describe(image, detections.xyxy)
        tracked = self.tracker.update(detections, seq)
        metrics.CAMERA_FRAME_GAP.labels(self.camera_id).set(self.frame_gap)
        if bounds is not None and tracked.tracker_id is not None:
            fx, fy = self._feet.points(tracked.xyxy, tracked.tracker_id, bounds)
            tracked.data[FEET] = np.column_stack([fx, fy])
            tracked.data[BORDER] = border_points(tracked.xyxy, tracked.data[FEET], bounds,
                                                 self._feet.border_px)
        crossings: list[LineCrossing] = []
        events: list[Event] = []
        for r in self.rules:
            out = r.update(self.camera_id, ts, tracked)
            crossings += out.crossings
            events += out.events
        for c in crossings:
            if c.line_id in self._occupancy_lines and c.class_name == "person":
                if self.occupancy.apply(c.direction):
                    metrics.OCCUPANCY_CLAMPED.labels(self.camera_id).inc()
                self.site.apply(c.direction)
        class_ids = tracked.class_id if tracked.class_id is not None else np.empty(0, int)
        per_class = np.bincount(class_ids.astype(np.int64), minlength=len(CANONICAL_CLASSES))
        for idx, name in enumerate(CANONICAL_CLASSES):
            metrics.DETECTIONS.labels(self.camera_id, name).set(int(per_class[idx]))
        people = int(per_class[PERSON_ID])
        vehicles = int(len(class_ids) - people)
        metrics.OCCUPANCY.labels(self.camera_id).set(self.occupancy.value)
        counts = (self.occupancy.value, self.occupancy.entries, self.occupancy.exits)
        now = time.monotonic()
        heartbeat_due = now - self._last_occupancy_log >= self.heartbeat_s
        if counts != self._last_counts or heartbeat_due:
            events.append(OccupancyChanged(
                camera_id=self.camera_id, ts=ts, current_occupancy=self.occupancy.value,
                entries_count=self.occupancy.entries, exits_count=self.occupancy.exits,
                people_detected=people, vehicles_detected=vehicles,
                site_occupancy=self.site.value, heartbeat=counts == self._last_counts))
            self._last_counts = counts
            self._last_occupancy_log = now
        metrics.STEP_SECONDS.labels(self.camera_id).observe(time.perf_counter() - t0)
        self.last_result = FrameResult(
            camera_id=self.camera_id, frame_seq=seq, ts=ts, detections=tracked,
            crossings=crossings, people_count=people, vehicle_count=vehicles,
            occupancy=self.occupancy.value, entries=self.occupancy.entries,
            exits=self.occupancy.exits, events=events)
        return self.last_result

    def counts(self) -> dict[str, int]:
        """Occupancy, entries and exits of this camera (status routes)."""
        return {"occupancy": self.occupancy.value, "entries": self.occupancy.entries,
                "exits": self.occupancy.exits}

    def line_counts(self) -> dict[str, tuple[int, int]]:
        """(entries, exits) per line id."""
        return {r.config.id: (r.counter.entries, r.counter.exits) for r in self.counters}

    def zone_counts(self) -> dict[str, int]:
        """Tracks inside on the latest frame, per zone id (the live view and the console)."""
        return {r.config.id: r.inside for r in self.rules if isinstance(r, ZoneRule)}
