"""The live view's picture: tracked boxes, lines with their sides and counts, zones with
who is inside, the ROI.

Runs on the console's request threads, never on the inference thread.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from edge.analytics.overlay import draw_lines
from edge.config.models import CANONICAL_CLASSES, CameraConfig
from edge.config.zones import ZoneConfig

ROI_COLOUR = (0, 215, 255)  # BGR amber
ZONE_COLOUR = (235, 160, 60)  # BGR blue
RESTRICTED_COLOUR = (40, 60, 235)  # BGR red: nobody of the zone's classes belongs there
ZONE_FILL = 0.22
"""Opacity of a zone's fill: the picture stays readable through it."""
_BOXES = sv.BoxAnnotator(thickness=2, color_lookup=sv.ColorLookup.CLASS)
_LABELS = sv.LabelAnnotator(text_scale=0.45, text_padding=3, color_lookup=sv.ColorLookup.CLASS)


def box_labels(detections: sv.Detections) -> list[str]:
    """``class #track`` for each detection (``class`` alone before a track id exists).

    >>> d = sv.Detections(xyxy=np.zeros((1, 4)), class_id=np.array([0]),
    ...                   tracker_id=np.array([7]))
    >>> box_labels(d)
    ['person #7']
    """
    n = len(detections)
    class_ids = detections.class_id if detections.class_id is not None else np.zeros(n, int)
    tracks = detections.tracker_id
    labels = []
    for i in range(n):
        cid = int(class_ids[i])
        name = CANONICAL_CLASSES[cid] if 0 <= cid < len(CANONICAL_CLASSES) else str(cid)
        track = int(tracks[i]) if tracks is not None else -1
        labels.append(f"{name} #{track}" if track >= 0 else name)  # -1: not yet confirmed
    return labels


def draw_zones(image: np.ndarray, zones: list[ZoneConfig],
               inside: dict[str, int] | None = None) -> np.ndarray:
    """Return a copy of ``image`` with each zone filled translucently, outlined and labelled.

    Restricted zones are drawn in red, others in blue. With ``inside`` (``{zone_id: n}``)
    each label says how many tracks are inside now.

    >>> z = ZoneConfig(id="plaza", polygon=[(10, 10), (90, 10), (90, 90)], restricted=True)
    >>> out = draw_zones(np.zeros((100, 100, 3), np.uint8), [z], {"plaza": 2})
    >>> bool(out[30, 70].any()), bool(out[70, 30].any())  # inside tinted, outside not
    (True, False)
    """
    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.5, min(w, h) / 900)
    for zone in zones:
        colour = RESTRICTED_COLOUR if zone.restricted else ZONE_COLOUR
        pts = np.array(zone.polygon, np.int32)
        x0, y0 = np.clip(pts.min(axis=0), 0, (w, h))
        x1, y1 = np.clip(pts.max(axis=0) + 1, 0, (w, h))
        if x1 > x0 and y1 > y0:
            # Blend only the polygon's bounding box: cheap on a large picture.
            area = out[y0:y1, x0:x1]
            tinted = area.copy()
            cv2.fillPoly(tinted, [(pts - (x0, y0)).astype(np.int32)], colour, cv2.LINE_AA)
            cv2.addWeighted(tinted, ZONE_FILL, area, 1 - ZONE_FILL, 0, dst=area)
        cv2.polylines(out, [pts], True, colour, max(2, int(2 * scale)), cv2.LINE_AA)
        label = zone.id + (" (restricted)" if zone.restricted else "")
        if inside is not None and zone.id in inside:
            label += f": {inside[zone.id]} inside"
        font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.55 * scale, max(1, int(2 * scale))
        (tw, th), base = cv2.getTextSize(label, font, size, thick)
        top = pts[np.argmin(pts[:, 1])]  # the label hangs below the highest point
        tx = int(min(max(top[0], 0), max(w - tw - 6, 0)))
        ty = int(min(max(top[1], 0), max(h - th - base - 6, 0)))
        cv2.rectangle(out, (tx, ty), (tx + tw + 6, ty + th + base + 6), colour, cv2.FILLED)
        cv2.putText(out, label, (tx + 3, ty + th + 3), font, size, (255, 255, 255), thick,
                    cv2.LINE_AA)
    return out


def annotate(picture: np.ndarray, camera: CameraConfig, detections: sv.Detections | None,
             line_counts: dict[str, tuple[int, int]] | None, *, lines: bool = True,
             max_width: int = 0, zone_counts: dict[str, int] | None = None) -> np.ndarray:
    """A copy of ``picture`` with boxes, the ROI outline and (when ``lines``) each zone and
    line.

    Args:
        picture: the full decoded frame (BGR).
        camera: the camera's settings (its lines, zones and ROI).
        detections: tracked detections in full-frame coordinates, or None.
        line_counts: ``{line_id: (entries, exits)}`` shown beside each line.
        lines: draw the zones and lines (the editor draws its own and asks for a picture
            without).
        max_width: scale the result down to this width (0: keep the size).
        zone_counts: ``{zone_id: tracks inside}`` shown in each zone's label.
    """
    out = picture
    if lines and camera.zones:  # beneath the lines and boxes
        out = draw_zones(out, camera.zones, zone_counts)
    if lines and camera.lines:
        out = draw_lines(out, camera.lines, line_counts)
    if out is picture:
        out = picture.copy()
    if detections is not None and len(detections):
        out = _BOXES.annotate(out, detections)
        out = _LABELS.annotate(out, detections, labels=box_labels(detections))
    if camera.roi is not None:
        x1, y1, x2, y2 = camera.roi
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), ROI_COLOUR, 2, cv2.LINE_AA)
        cv2.putText(out, "ROI", (x1 + 6, y1 + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, ROI_COLOUR,
                    2, cv2.LINE_AA)
    h, w = out.shape[:2]
    if max_width and w > max_width:
        out = cv2.resize(out, (max_width, round(h * max_width / w)), interpolation=cv2.INTER_AREA)
    return out
