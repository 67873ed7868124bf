"""Draw configured lines with their inside and outside, so an installer can place them."""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.config.models import LineConfig

IN_COLOUR = (60, 200, 60)  # BGR green
OUT_COLOUR = (40, 40, 230)  # BGR red
LINE_COLOUR = (255, 255, 255)


def inside_normal(line: LineConfig) -> tuple[float, float]:
    """Unit vector perpendicular to the line, pointing to its ``in_side``.

    ``left`` is where the cross product ``(x2-x1)*(y-y1)-(y2-y1)*(x-x1)`` is negative.

    >>> inside_normal(LineConfig(id="a", start=(0, 0), end=(10, 0), in_side="right"))
    (0.0, 1.0)
    """
    (x1, y1), (x2, y2) = line.start, line.end
    length = math.hypot(x2 - x1, y2 - y1)
    # (-(y2-y1), x2-x1) has a positive cross product, i.e. points to the "right".
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length
    if line.in_side == "left":
        nx, ny = -nx, -ny
    return nx + 0.0, ny + 0.0


def draw_lines(image: np.ndarray, lines: list[LineConfig],
               counts: dict[str, tuple[int, int]] | None = None) -> np.ndarray:
    """Return a copy of ``image`` with each line, its id, and IN/OUT arrows drawn.

    With ``counts`` (``{line_id: (entries, exits)}``) each id is followed by its counts.
    """
    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.5, min(w, h) / 900)
    for line in lines:
        (x1, y1), (x2, y2) = line.start, line.end
        cv2.line(out, (x1, y1), (x2, y2), LINE_COLOUR, max(2, int(3 * scale)), cv2.LINE_AA)
        nx, ny = inside_normal(line)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        arm = 40 * scale
        for sign, colour, label in ((1, IN_COLOUR, "IN"), (-1, OUT_COLOUR, "OUT")):
            tip = (int(mx + sign * nx * arm), int(my + sign * ny * arm))
            cv2.arrowedLine(out, (int(mx), int(my)), tip, colour, max(2, int(2 * scale)),
                            cv2.LINE_AA, tipLength=0.3)
            # Centre the label just beyond the arrow tip so IN and OUT never overlap.
            font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, max(1, int(2 * scale))
            (tw, th), _ = cv2.getTextSize(label, font, size, thick)
            cx = mx + sign * nx * (arm + tw / 2 + 6)
            cy = my + sign * ny * (arm + th / 2 + 6)
            cv2.putText(out, label, (int(cx - tw / 2), int(cy + th / 2)), font, size, colour,
                        thick, cv2.LINE_AA)
        label = line.id
        if counts is not None and line.id in counts:
            label = f"{line.id}  in {counts[line.id][0]}  out {counts[line.id][1]}"
        cv2.putText(out, label, (x1 + 4, max(y1 - 6, 12)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6 * scale, LINE_COLOUR, max(1, int(2 * scale)), cv2.LINE_AA)
    return out
