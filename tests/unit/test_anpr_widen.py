"""A plate box that cuts the plate is widened until the text no longer runs off its side."""

from __future__ import annotations

import numpy as np
import pytest

from edge.anpr.formats import INDIA
from edge.anpr.localise import crop_box
from edge.anpr.ocr import PAD, OcrText, crop_span, plate_line
from edge.anpr.reader import PlateReader

PLATE = "KA01AB1234"
CHAR_W = 40
"""A fake plate: ten white 40-px columns at x = 100..500 of a 100 x 700 picture."""


def picture() -> np.ndarray:
    img = np.zeros((100, 700, 3), np.uint8)
    img[30:70, 100:100 + CHAR_W * len(PLATE)] = 255
    return img


class ColumnsEngine:
    """Reads the plate characters whose whole column is inside the crop; the text's span
    runs off a side when white touches that side (as the real text detector's box does)."""

    name = "columns"

    def __init__(self) -> None:
        self.widths: list[int] = []

    def read(self, crop: np.ndarray, height: int | None = None) -> OcrText:
        self.widths.append(crop.shape[1])
        white = np.flatnonzero(crop[:, :, 0].max(axis=0) == 255)
        if not white.size:
            return OcrText("", "", 0.0)
        w = crop.shape[1]
        first, last = int(white[0]), int(white[-1])
        left = -0.05 if first == 0 else first / w
        right = 1.05 if last == w - 1 else (last + 1) / w
        n = (last - first + 1) // CHAR_W
        text = PLATE[len(PLATE) - n:] if first == 0 else PLATE[:n]
        return OcrText(text, text, 0.9, None, (left, right))


class CutBox:
    """A plate model that finds the given boxes, best first."""

    def __init__(self, *boxes: tuple[int, int, int, int]) -> None:
        self.found = [(np.array(b), 0.9 - 0.1 * i) for i, b in enumerate(boxes)]

    def find_all(self, image: np.ndarray, limit: int = 3) -> list[tuple[np.ndarray, float]]:
        return self.found[:limit]


def test_a_box_that_cuts_the_plate_is_widened_until_the_text_fits() -> None:
    engine = ColumnsEngine()
    reader = PlateReader(engine, INDIA, heights=(128,), agree=1)
    text, crop = reader.read_picture(picture(), CutBox((200, 30, 520, 70)))  # type: ignore[arg-type]
    assert text is not None and text.plate == PLATE
    assert crop is not None and crop.shape[1] > 420
    assert text.span[0] >= 0 and text.span[1] <= 1  # type: ignore[index]


def test_a_box_that_holds_the_plate_is_read_once() -> None:
    engine = ColumnsEngine()
    reader = PlateReader(engine, INDIA, heights=(128,), agree=1)
    text, _ = reader.read_picture(picture(), CutBox((95, 30, 505, 70)))  # type: ignore[arg-type]
    assert text is not None and text.plate == PLATE and len(engine.widths) == 1


def test_widening_stops_at_the_picture_edge_and_after_its_steps() -> None:
    img = picture()[:, 250:]  # the plate starts outside the picture
    engine = ColumnsEngine()
    reader = PlateReader(engine, INDIA, heights=(128,), agree=1)
    text, _ = reader.read_picture(img, CutBox((80, 30, 260, 70)))  # type: ignore[arg-type]
    assert text is not None and len(engine.widths) <= 3
    assert text.plate == PLATE[-6:]  # what is there, and no more reads for it


def test_the_plate_line_span_is_given_in_shares_of_the_crop() -> None:
    boxes = [(np.array([[40, 10], [200, 10], [200, 60], [40, 60]]), "KA01", 0.9, None),
             (np.array([[210, 10], [380, 10], [380, 60], [210, 60]]), "AB1234", 0.9, None)]
    line = plate_line(boxes)
    assert line.span == (40.0, 380.0)
    # A 50 x 100 crop prepared at 128 px: scale 2.56, padding 38 px each side.
    got = crop_span(line, 100, 128, 50)
    p = int(PAD * 128)
    assert got.span == pytest.approx(((40 - p) / 2.56 / 100, (380 - p) / 2.56 / 100), abs=1e-4)
    assert crop_span(OcrText("", "", 0.0), 100, 128, 50).span is None


def test_crop_box_pads_and_clips_to_the_picture() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    assert crop_box(img, np.array([50, 40, 150, 60])).shape[:2] == (20 + 2 * 3, 100 + 2 * 10)
    assert crop_box(img, np.array([0, 0, 200, 100])).shape[:2] == (100, 200)


def test_when_the_best_box_reads_as_nothing_the_next_one_is_read() -> None:
    engine = ColumnsEngine()
    reader = PlateReader(engine, INDIA, heights=(128,), agree=1)
    badge, plate = (600, 30, 650, 70), (95, 30, 505, 70)  # a black badge, then the plate
    text, crop = reader.read_picture(picture(), CutBox(badge, plate))  # type: ignore[arg-type]
    assert text is not None and text.plate == PLATE and len(engine.widths) == 2
    assert crop is not None and crop.shape[1] > 400
    text, crop = reader.read_picture(picture(), CutBox(badge))  # type: ignore[arg-type]
    assert text is None and crop is not None  # read, found nothing: counted as a read


class SceneEngine:
    """Reads a scene as the given text boxes (joined as the real engines join them)."""

    name = "scene"

    def __init__(self, *boxes: tuple) -> None:
        self.lines = []
        for t, c, x, *h in boxes:
            h = h[0] if h else 20
            self.lines.append((np.array([[x, 0], [x + 10 * len(t), 0], [x + 10 * len(t), h],
                                         [x, h]]), t, c, None))

    def read(self, image: np.ndarray, height: int | None = None) -> OcrText:
        return plate_line(self.lines)


@pytest.mark.parametrize(("boxes", "want"), [
    # Signage taller than the plate, and a phone number: the plate-like box wins.
    ((("GCHARTER", 0.9, 0, 40), ("7FR971", 1.0, 300), ("3148455900", 1.0, 500)), "7FR971"),
    # A phone number that substitution forces into a format does not count as fitting it.
    ((("8885551234", 1.0, 0, 40), ("7FR971", 0.9, 300)), "7FR971"),
    # The joined line fits a format: it is kept over a plate-like box.
    ((("KA01", 0.9, 0), ("AB1234", 0.9, 60), ("X5Y6", 0.99, 400, 10)), "KA01AB1234"),
    # Nothing mixes letters and digits (a vanity plate): the joined line as before.
    ((("GWAGEN", 0.9, 0),), "GWAGEN"),
    # A word the folds would give a digit (METRO -> METR0) is still a word.
    ((("METRO", 0.99, 0), ("2DA044", 0.9, 300)), "2DA044"),
    # Two plate-like boxes: the more confident.
    ((("ABC123", 0.7, 0), ("XYZ789", 0.95, 300), ("WORDSWORDS", 0.9, 500)), "XYZ789"),
])
def test_a_scene_is_read_as_its_most_plate_like_text(boxes: tuple, want: str) -> None:
    reader = PlateReader(SceneEngine(*boxes), INDIA, folds={"O": "0"})
    got = reader.read(np.zeros((40, 900, 3), np.uint8), scene=True)
    assert got is not None and got.plate == want
