"""Line counting on top of supervision's ``sv.LineZone``.

Each configured line gets one zone triggered by the bottom-centre of the box (where a
person's feet are). Jitter is handled twice: a foot point inside a dead band around the line
(a fraction of the box height) is not shown to the zone at all, and
``minimum_crossing_threshold`` makes the anchor stay on the new side for ``min_frames``
observations. Supervision forgets a track's side once it has been absent for
``threshold + 1`` frames, which loses the crossing of anyone occluded while crossing;
:class:`PersistentLineZone` keeps the side for as long as the tracker may still bring the id
back (``memory_frames``), and forgets it afterwards so state never grows without bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import supervision as sv

from edge.config.models import CANONICAL_CLASSES, LineConfig


class PersistentLineZone(sv.LineZone):
    """``sv.LineZone`` whose per-track state survives ``memory_frames`` absent frames."""

    def __init__(self, *args: object, memory_frames: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.memory_frames = max(memory_frames, self.crossing_history_length)

    def _evict_stale_crossing_history(self, current_keys: set[int]) -> None:
        for key in list(self.crossing_state_history):
            if key in current_keys:
                self._tracker_frames_absent.pop(key, None)
                continue
            absent = self._tracker_frames_absent.get(key, 0) + 1
            if absent >= self.memory_frames:
                del self.crossing_state_history[key]
                self._confirmed_crossing_side.pop(key, None)
                self._tracker_frames_absent.pop(key, None)
            else:
                self._tracker_frames_absent[key] = absent

    def tracked_ids(self) -> int:
        """How many track ids the zone holds state for (for pruning checks)."""
        return len(self.crossing_state_history)


@dataclass(frozen=True)
class LineCrossing:
    """One counted crossing, before it becomes an event."""

    line_id: str
    tracker_id: int
    class_name: str
    direction: str  # "entry" | "exit"


class LineCounter:
    """Counts entries and exits over one configured line.

    Args:
        config: the line; moving from the outside to ``config.in_side`` is an entry.
        memory_frames: frames a vanished track keeps its side (use the tracker's buffer).
    """

    def __init__(self, config: LineConfig, memory_frames: int = 30) -> None:
        self.config = config
        start = sv.Point(*config.start)
        end = sv.Point(*config.end)
        # sv.LineZone counts "in" when the anchor moves to the side where the cross product
        # is negative, which is our "left"; flip the segment when the inside is on the right.
        if config.in_side == "right":
            start, end = end, start
        self.zone = PersistentLineZone(
            start=start, end=end, triggering_anchors=[sv.Position.BOTTOM_CENTER],
            minimum_crossing_threshold=config.min_frames, memory_frames=memory_frames)
        self._class_ids = np.array([CANONICAL_CLASSES.index(c) for c in config.classes])

    def _outside_band(self, detections: sv.Detections) -> np.ndarray:
        # Perpendicular distance of the foot point from the (infinite) line, compared with a
        # fraction of the box height so the band scales with distance from the camera.
        (x1, y1), (x2, y2) = self.config.start, self.config.end
        xyxy = detections.xyxy
        fx = (xyxy[:, 0] + xyxy[:, 2]) / 2.0
        fy = xyxy[:, 3]
        dist = np.abs((x2 - x1) * (fy - y1) - (y2 - y1) * (fx - x1)) / np.hypot(x2 - x1, y2 - y1)
        return dist > self.config.band * (xyxy[:, 3] - xyxy[:, 1])

    @property
    def entries(self) -> int:
        """Entries counted so far."""
        return int(self.zone.in_count)

    @property
    def exits(self) -> int:
        """Exits counted so far."""
        return int(self.zone.out_count)

    def update(self, detections: sv.Detections) -> list[LineCrossing]:
        """Feed one frame of tracked detections; return the crossings it completed.

        Detections without a tracker id are ignored (nothing to follow across frames); the
        zone still ages its state so vanished tracks are forgotten on time.
        """
        if len(detections) and detections.class_id is not None:
            detections = detections[np.isin(detections.class_id, self._class_ids)]
        if len(detections) and self.config.band > 0:
            detections = detections[self._outside_band(detections)]
        if detections.tracker_id is None:
            detections = sv.Detections.empty()
            detections.tracker_id = np.empty(0, dtype=np.int64)
        crossed_in, crossed_out = self.zone.trigger(detections)
        out: list[LineCrossing] = []
        for idx in np.flatnonzero(crossed_in | crossed_out):
            out.append(LineCrossing(
                line_id=self.config.id,
                tracker_id=int(detections.tracker_id[idx]),
                class_name=CANONICAL_CLASSES[int(detections.class_id[idx])]
                if detections.class_id is not None else "person",
                direction="entry" if crossed_in[idx] else "exit",
            ))
        return out


class Occupancy:
    """People inside: entries minus exits, never below zero.

    An exit that would take it below zero is ignored and counted in ``clamped`` (someone
    entered unseen, e.g. before the daemon started).
    """

    def __init__(self) -> None:
        self.value = 0
        self.entries = 0
        self.exits = 0
        self.clamped = 0

    def apply(self, direction: str) -> bool:
        """Apply one crossing; return True if the exit was clamped at zero."""
        if direction == "entry":
            self.entries += 1
            self.value += 1
            return False
        self.exits += 1
        if self.value == 0:
            self.clamped += 1
            return True
        self.value -= 1
        return False

    def reset(self, value: int = 0) -> int:
        """Set the occupancy to ``value`` (an operator's count); return the previous one.

        Entries and exits are totals since start and are kept.

        Raises:
            ValueError: ``value`` is negative.
        """
        if value < 0:
            raise ValueError(f"occupancy cannot be reset to a negative value ({value})")
        previous, self.value = self.value, value
        return previous
