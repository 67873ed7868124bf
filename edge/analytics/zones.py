"""Polygon zones: who is inside now, who stays too long, who enters where nobody may.

Each zone (``cameras[].zones``, :class:`edge.config.zones.ZoneConfig`) tests one anchor point
of each tracked box of its classes with ``sv.PolygonZone`` (a person's feet by default). A
track inside begins a *visit*; the visit lasts while the track is inside, and survives
``exit_grace_s`` outside or unseen (feet flicker across an edge, a box drops out for a frame).
Per visit the zone raises at most one ``restricted_entry`` event (on entry, when the zone is
``restricted``) and at most one ``dwell`` event (once the visit has lasted ``dwell_s``); a
track that leaves for longer than the grace and comes back starts a new visit. A track the
tracker no longer reports is forgotten after the grace. Times are the frames' own times,
so replays and live cameras behave alike.

Example:
    >>> from datetime import datetime, timedelta, timezone
    >>> import numpy as np, supervision as sv
    >>> from edge.config.zones import ZoneConfig
    >>> zone = ZoneRule(ZoneConfig(id="gate", polygon=[(0, 0), (100, 0), (100, 100), (0, 100)],
    ...                            dwell_s=2))
    >>> inside = sv.Detections(xyxy=np.array([[40., 10., 60., 50.]]), class_id=np.array([0]),
    ...                        tracker_id=np.array([7]))
    >>> t0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
    >>> [e.event for k in range(4) for e in
    ...  zone.update("cam", t0 + timedelta(seconds=k), inside).events]
    ['dwell']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import supervision as sv

from edge.analytics.rules import Rule, RuleEnv, RuleOutput, rule
from edge.config.models import CANONICAL_CLASSES, CameraConfig
from edge.config.zones import ZoneConfig
from edge.events import Event, ZoneEvent
from edge.telemetry import metrics


@dataclass
class _Visit:
    entered: datetime
    last_inside: datetime
    class_id: int
    dwell_sent: bool = False


class ZoneRule:
    """One polygon zone on one camera (see the module docstring)."""

    def __init__(self, config: ZoneConfig) -> None:
        self.config = config
        self.rule_id = f"zone:{config.id}"
        self.polygon = np.array(config.polygon, dtype=np.int64)
        self.zone = sv.PolygonZone(self.polygon,
                                   triggering_anchors=(sv.Position[config.anchor.upper()],))
        self._class_ids = np.array([CANONICAL_CLASSES.index(c) for c in config.classes])
        self._visits: dict[int, _Visit] = {}
        self.inside = 0
        """Tracks of the zone's classes inside on the latest frame."""

    def update(self, camera_id: str, ts: datetime, detections: sv.Detections) -> RuleOutput:
        """Follow visits on one frame; return the events they raised."""
        cfg = self.config
        mine = _of_classes(detections, self._class_ids)
        inside = self.zone.trigger(mine) if len(mine) else np.zeros(0, bool)
        events: list[Event] = []
        for k in np.flatnonzero(inside):
            tid, class_id = int(mine.tracker_id[k]), int(mine.class_id[k])  # type: ignore[index]
            visit = self._visits.get(tid)
            if visit is None:
                visit = self._visits[tid] = _Visit(ts, ts, class_id)
                if cfg.restricted:
                    events.append(self._event(camera_id, ts, tid, visit, "restricted_entry"))
            visit.last_inside = ts
            stayed = (ts - visit.entered).total_seconds()
            if cfg.dwell_s is not None and not visit.dwell_sent and stayed >= cfg.dwell_s:
                visit.dwell_sent = True
                events.append(self._event(camera_id, ts, tid, visit, "dwell"))
        for tid in [t for t, v in self._visits.items()
                    if (ts - v.last_inside).total_seconds() > cfg.exit_grace_s]:
            del self._visits[tid]  # left (or vanished) for longer than the grace
        self.inside = int(inside.sum())
        metrics.ZONE_INSIDE.labels(camera_id, cfg.id).set(self.inside)
        return RuleOutput(events=events)

    def _event(self, camera_id: str, ts: datetime, tid: int, visit: _Visit,
               kind: str) -> ZoneEvent:
        metrics.ZONE_EVENTS.labels(camera_id, self.config.id, kind).inc()
        return ZoneEvent(camera_id=camera_id, ts=ts, zone_id=self.config.id, tracker_id=tid,
                         class_name=CANONICAL_CLASSES[visit.class_id], event=kind,  # type: ignore[arg-type]
                         entered_at=visit.entered,
                         dwell_s=round((ts - visit.entered).total_seconds(), 3))


def _of_classes(detections: sv.Detections, class_ids: np.ndarray) -> sv.Detections:
    """Tracked detections (tracker id >= 0) of the given classes."""
    if not len(detections) or detections.tracker_id is None or detections.class_id is None:
        return sv.Detections.empty()
    keep = np.isin(detections.class_id, class_ids) & (detections.tracker_id >= 0)
    return detections[keep]


@rule("zone")
def zone_rules(camera: CameraConfig, env: RuleEnv) -> Sequence[Rule]:
    """One :class:`ZoneRule` per configured zone."""
    return [ZoneRule(z) for z in camera.zones]
