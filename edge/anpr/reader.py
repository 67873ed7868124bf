"""One plate reading from one image: OCR at several sizes, corrected by format, agreed.

A plate crop is read at the first height of ``heights``, then the next, until two reads
(after format correction) agree or the heights run out; the answer is the reading with most
votes, then the highest summed confidence. Reads that carry a lattice (RapidOCR) are
corrected by searching it for each format (:func:`edge.anpr.formats.correct_lattice`), the
others by substitution (:func:`edge.anpr.formats.correct`). On ../shared/data/anpr, with
the PP-OCRv6 recogniser, one size alone (128 px) reads 265 of 300 US crops exactly, the four
sizes with early agreement 270 (README, "Licence plates").

A scene (the lower part of a vehicle, or a whole photo) is read once and its most plate-like
text taken (:func:`scene_rank`). :meth:`PlateReader.read_picture` is the whole path from a
vehicle crop: plate boxes, widening a box that cuts the plate, the scene fallback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.anpr.formats import FORMAT_MARGIN, PlateFormat, correct, correct_lattice
from edge.anpr.localise import PlateLocaliser, crop_box, lower_part, sharpness
from edge.anpr.ocr import OcrEngine, OcrText
from edge.anpr.voting import edit_distance
from edge.config.anpr import DEFAULT_OCR_HEIGHTS, AnprConfig


@dataclass(frozen=True)
class PlateText:
    """The reader's answer for one image."""

    plate: str
    """Corrected plate text."""
    format: str
    """Name of the format that fitted (``generic`` when none did)."""
    confidence: float
    """Mean OCR confidence of the reads that gave this plate."""
    raw: str
    """What the engine read, before correction (the most confident agreeing read)."""
    votes: int
    passes: int
    """OCR passes spent on the image."""
    span: tuple[float, float] | None = None
    """Where the most confident agreeing read's text lies across the image (shares of its
    width; outside 0-1 when the text ran off the image, see :class:`OcrText`)."""


class PlateReader:
    """Reads one plate per image with an :class:`OcrEngine` (see the module docstring).

    Args:
        engine: the OCR engine.
        formats: plate formats tried in order for the position-aware correction.
        generic: keep a read that fits no format when it looks like a plate.
        folds: characters written as others in generic reads (``{"O": "0"}``).
        margin: see :data:`edge.anpr.formats.FORMAT_MARGIN` (engines with a lattice).
        heights: plate heights tried in order for a plate crop.
        agree: stop once this many reads agree.
    """

    def __init__(self, engine: OcrEngine, formats: tuple[PlateFormat, ...], *,
                 generic: bool = True, heights: Sequence[int] = DEFAULT_OCR_HEIGHTS,
                 agree: int = 2, folds: dict[str, str] | None = None,
                 margin: float = FORMAT_MARGIN) -> None:
        if not heights:
            raise ValueError("PlateReader needs at least one plate height")
        self.engine = engine
        self.formats = formats
        self.generic = generic
        self.heights = tuple(heights)
        self.agree = agree
        self.folds = dict(folds or {})
        self.margin = margin

    @classmethod
    def from_config(cls, engine: OcrEngine, cfg: AnprConfig) -> PlateReader:
        """The reader ``cfg`` describes (formats, generic fallback, folds, heights)."""
        formats = tuple(PlateFormat(f.name, f.template) for f in cfg.formats)
        return cls(engine, formats, generic=cfg.generic_fallback, heights=cfg.ocr_heights,
                   agree=cfg.ocr_agree, folds=cfg.folds)

    @property
    def name(self) -> str:
        """The engine's name (for metrics and events)."""
        return self.engine.name

    def read(self, image_bgr: np.ndarray, scene: bool = False) -> PlateText | None:
        """The plate in ``image_bgr`` (a plate crop, or a scene when ``scene``), or None when
        nothing read looks like a plate.

        A scene is read once; its candidates are the joined tallest text and each text box
        on its own, and the most plate-like wins (:func:`scene_rank`): a vehicle's signage
        or a phone number is often taller than its plate."""
        votes: dict[str, list[tuple[OcrText, str]]] = defaultdict(list)
        passes = 0
        for height in (None,) if scene else self.heights:
            passes += 1
            text = self.engine.read(image_bgr, height)
            if scene:
                ranked = [(scene_rank(f, t.text), i > 0, -t.confidence, t, f)
                          for i, t in enumerate((text, *text.boxes))
                          if (f := self._correct(t)) is not None]
                fixed = None
                if ranked:
                    *_, text, fixed = min(ranked, key=lambda r: r[:3])
            else:
                fixed = self._correct(text)
            if fixed is None:
                continue
            votes[fixed[0]].append((text, fixed[1]))
            if len(votes[fixed[0]]) >= self.agree:
                break
        if not votes:
            return None
        plate, reads = max(votes.items(), key=lambda kv: (
            len(kv[1]), sum(t.confidence for t, _ in kv[1])))
        best = max(reads, key=lambda r: r[0].confidence)
        conf = float(np.mean([t.confidence for t, _ in reads]))
        return PlateText(plate, best[1], round(conf, 4), best[0].raw, len(reads), passes,
                         best[0].span)

    def _correct(self, text: OcrText) -> tuple[str, str] | None:
        """``text`` corrected by format (its lattice searched when it has one)."""
        if text.lattice is not None:
            return correct_lattice(text.lattice, self.formats, self.generic, self.folds,
                                   self.margin)
        return correct(text.text, self.formats, self.generic, self.folds)

    def read_picture(self, image_bgr: np.ndarray, localiser: PlateLocaliser | None, *,
                     text_fallback: bool = True, vehicle: bool = True, min_px: int = 0,
                     min_sharpness: float = 0.0,
                     ) -> tuple[PlateText | None, np.ndarray | None]:
        """The plate in a vehicle crop (or a whole photo: not ``vehicle``), and the plate
        crop it was read on.

        With a ``localiser``, its best plate box is read as a plate crop (the next best, up
        to :data:`BOXES`, when it reads as nothing plate-like); when the text runs off the
        crop's side (the box cut the plate), the box is widened on that side by its height
        and read again, up to :data:`WIDEN_STEPS` times. Without a localiser, or when it
        finds no box and ``text_fallback`` is on, the lower part of the vehicle (the whole
        photo) is read as a scene. ``(None, None)`` when nothing was read: no box and no
        fallback, or crops shorter than ``min_px`` or less sharp than ``min_sharpness``.
        """
        boxes = localiser.find_all(image_bgr, BOXES) if localiser is not None else []
        if not boxes:
            if localiser is not None and not text_fallback:
                return None, None
            part = lower_part(image_bgr) if vehicle else image_bgr
            if not _readable(part, min_px, min_sharpness):
                return None, None
            return self.read(part, scene=True), part
        last: np.ndarray | None = None
        for box, _ in boxes:
            crop = crop_box(image_bgr, box)
            if not _readable(crop, min_px, min_sharpness):
                continue
            text, last = self._read_box(image_bgr, box.astype(np.int64), crop)
            if text is not None:
                return text, last
        return None, last

    def _read_box(self, image_bgr: np.ndarray, box: np.ndarray, crop: np.ndarray
                  ) -> tuple[PlateText | None, np.ndarray]:
        """The plate in ``box`` (``crop`` its crop), widened while its text runs off a side
        (see :meth:`read_picture`), and the crop read last."""
        text = self.read(crop)
        for _ in range(WIDEN_STEPS):
            wider = _widen(box, text, image_bgr.shape[1])
            if wider is None:
                break
            box = wider
            crop = crop_box(image_bgr, box)
            text = self.read(crop) or text
        return text, crop


def scene_rank(fixed: tuple[str, str], read: str) -> int:
    """How plate-like a corrected read of a scene is: 0 fits a listed format with at most
    two characters changed from what was ``read``, 1 mixes letters and digits in 4-8
    characters as read (nearly every plate does; signage is words, phone numbers digits), 2 any
    other (a phone number substituted into a format, ``888555`` -> ``BB85SS``, among them)."""
    plate, name = fixed
    if name != "generic":
        return 0 if edit_distance(plate, read) <= 2 else 2
    # Mixed as read, before folds: folded, the word METRO would become METR0.
    mixed = any(c.isalpha() for c in read) and any(c.isdigit() for c in read)
    return 1 if mixed and 4 <= len(plate) <= 8 else 2


BOXES = 3
"""Plate boxes tried, best first, until one reads as a plate (a badge or a sticker can look
more like a plate to the model than the plate does)."""


WIDEN_STEPS = 2
"""How many times a plate box is widened when the text runs off its side. On
../shared/data/anpr the text ran into the padding on 2 of 320 platedet crops of full photos,
both with a character cut off; on none of the others did it come closer than 0.1 of the
padding."""


def _readable(crop: np.ndarray, min_px: int, min_sharpness: float) -> bool:
    """Tall and sharp enough to read (and not empty)."""
    return bool(crop.size) and crop.shape[0] >= min_px and (
        min_sharpness <= 0 or sharpness(crop) >= min_sharpness)


EDGE = 0.03
"""Text that starts or ends this close to a side of its crop (a share of the crop's width)
ran off that side too. A plate crop carries 8 % of its box's width + 2 px of margin on each
side (:func:`edge.anpr.localise.crop_box`), so such text reaches well past the box. Chosen on
the dev half of ../shared/data/anpr_video, where the model boxes only part of plates that
fill the picture (``JTT5`` of ``56-JTT-5``): reads of cut boxes started at most 0.016 from a
side, reads of whole plates 0.098 or more (the report half: cut 0.019, whole 0.06). Full
photos of ../shared/data/anpr read the same with it as without (275 and 291 of 330)."""


def _widen(box: np.ndarray, text: PlateText | None, width: int) -> np.ndarray | None:
    """``box`` widened by its height on each side the text ran off (or reaches within
    :data:`EDGE` of), or None (no such side, or the picture ends there)."""
    if text is None or text.span is None:
        return None
    x1, y1, x2, y2 = (int(v) for v in box)
    grow = y2 - y1
    nx1 = max(0, x1 - grow) if text.span[0] < EDGE else x1
    nx2 = min(width, x2 + grow) if text.span[1] > 1 - EDGE else x2
    if (nx1, nx2) == (x1, x2):
        return None
    return np.array([nx1, y1, nx2, y2], np.int64)
