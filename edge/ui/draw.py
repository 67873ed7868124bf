"""The live view's picture: tracked boxes, lines with their sides and counts, the ROI.

Runs on the console's request threads, never on the inference thread.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from edge.analytics.overlay import draw_lines
from edge.config.models import CANONICAL_CLASSES, CameraConfig

ROI_COLOUR = (0, 215, 255)  # BGR amber
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


def annotate(picture: np.ndarray, camera: CameraConfig, detections: sv.Detections | None,
             line_counts: dict[str, tuple[int, int]] | None, *, lines: bool = True,
             max_width: int = 0) -> np.ndarray:
    """A copy of ``picture`` with boxes, the ROI outline and (when ``lines``) each line.

    Args:
        picture: the full decoded frame (BGR).
        camera: the camera's settings (its lines and ROI).
        detections: tracked detections in full-frame coordinates, or None.
        line_counts: ``{line_id: (entries, exits)}`` shown beside each line.
        lines: draw the lines (the editor draws its own and asks for a picture without).
        max_width: scale the result down to this width (0: keep the size).
    """
    out = draw_lines(picture, camera.lines, line_counts) if lines and camera.lines \
        else picture.copy()
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
