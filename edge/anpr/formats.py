"""Plate text: normalisation and position-aware correction by plate format.

A format is a template with one symbol per character: ``L`` a letter, ``D`` a digit, ``X``
either, any other capital letter itself (``DDBHDDDDL`` is India's BH series). OCR confuses
O/0, I/1, B/8, S/5, Z/2 and G/6; a confusion is corrected only where the format demands a
letter or a digit, so ``KA01AB1234`` read as ``KAO1A81234`` becomes right while a generic
plate keeps what was read. Folds (``{"O": "0"}``) touch only reads that fit no format, and
only regions whose plates print one glyph for both set any (:mod:`edge.config.plate_regions`).

Example:
    >>> correct("KA-O1 A8 1234", INDIA)
    ('KA01AB1234', 'IN-LLDDLLDDDD')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from edge.anpr.ctc import best_path, fit_templates
from edge.anpr.voting import edit_distance
from edge.config.anpr import INDIA_FORMATS

TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6",
            "B": "8", "T": "7"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "7": "T", "4": "A"}


@dataclass(frozen=True)
class PlateFormat:
    """A named template (see the module docstring)."""

    name: str
    template: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]+", self.template):
            raise ValueError(f"plate format {self.name!r}: template must be capital letters "
                             f"(L letter, D digit, X either, others literal), got "
                             f"{self.template!r}")

    def fit(self, text: str) -> str | None:
        """``text`` corrected to this format, or None when it cannot fit."""
        if len(text) != len(self.template):
            return None
        out = []
        for ch, want in zip(text, self.template, strict=True):
            if want == "D":
                ch = ch if ch.isdigit() else TO_DIGIT.get(ch, "")
            elif want == "L":
                ch = ch if ch.isalpha() else TO_LETTER.get(ch, "")
            elif want == "X":
                pass
            elif ch != want:
                ch = want if TO_LETTER.get(ch) == want or TO_DIGIT.get(want) == ch else ""
            if not ch:
                return None
            out.append(ch)
        return "".join(out)


INDIA: tuple[PlateFormat, ...] = tuple(PlateFormat(n, t) for n, t in INDIA_FORMATS)
"""Indian private and commercial plates (state, district, series, number) and the BH series."""

GENERIC = re.compile(r"^[A-Z0-9]{2,10}$")


def normalise(text: str) -> str:
    """Upper case, spaces, dashes, dots and anything not A-Z/0-9 removed."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def correct(text: str, formats: tuple[PlateFormat, ...] = INDIA,
            generic: bool = True, folds: dict[str, str] | None = None,
            ) -> tuple[str, str] | None:
    """The plate as the best matching format reads it, with that format's name.

    Of the formats ``text`` fits, the one that changes fewest of its characters wins (the
    first listed among equals), so a read that fits one format as it is keeps its
    characters even where another would fit after substitutions. Without a matching format
    the normalised text is kept (``generic``) when it looks like a plate (2-10 letters and
    digits), with ``folds`` applied (``{"O": "0"}``, only where O and 0 are one glyph);
    otherwise None.
    """
    plain = normalise(text)
    best: tuple[int, int, str, str] | None = None
    for i, fmt in enumerate(formats):
        fixed = fmt.fit(plain)
        if fixed is not None:
            key = (sum(a != b for a, b in zip(fixed, plain, strict=True)), i, fixed, fmt.name)
            best = key if best is None else min(best, key)
    if best is not None:
        return best[2], best[3]
    return _generic(plain, generic, folds)


def apply_folds(text: str, folds: dict[str, str] | None) -> str:
    """``text`` with each character of ``folds`` written as its fold (``{"O": "0"}``)."""
    for a, b in (folds or {}).items():
        text = text.replace(a, b)
    return text


def _generic(plain: str, generic: bool, folds: dict[str, str] | None) -> tuple[str, str] | None:
    if generic and GENERIC.match(plain):
        return apply_folds(plain, folds), "generic"
    return None


FORMAT_MARGIN = 5.0
"""How much less likely (natural log) than the recogniser's free reading a format's best
reading may be and still be taken: one character may become a choice the recogniser gave at
least e^-5 (0.7 %) of its first choice's weight. Set before measuring, not tuned."""


BLANK_BIAS = 2.0
"""The blank's weight is multiplied by this before decoding: a character must be at least
twice as likely as nothing to be read. Emblems, bolts and stickers between character groups
are what the recogniser half-reads as a character (``SH0 R7X`` read ``SH0LR7X``, the ``L``
under 0.5 with a blank second); a real character is rarely that unsure of being there.
Measured on ../shared/data/anpr: 1.5 to 3 all gain the same (US crops 268 -> 271 of 300)."""


def correct_lattice(lattice: np.ndarray, formats: tuple[PlateFormat, ...], generic: bool = True,
                    folds: dict[str, str] | None = None, margin: float = FORMAT_MARGIN,
                    blank_bias: float = BLANK_BIAS) -> tuple[str, str] | None:
    """The plate a recogniser's lattice reads (see :mod:`edge.anpr.ctc`), with its format.

    The blank is weighted by ``blank_bias`` first. Each format's most probable fitting
    reading is found in the lattice; those within ``margin`` of the free reading compete:
    the ones as long as the free reading first (the recogniser's count of characters is
    trusted before its characters), then the one that changes fewest of its characters, then
    the most probable, then the one listed first. With none, the free reading is kept as a
    generic plate (with ``folds`` applied). All formats are searched in one pass over the
    frames (:func:`edge.anpr.ctc.fit_templates`), so the 94 of ``region: auto`` cost about a
    fifth of searching them one by one.
    """
    if blank_bias != 1.0:
        lattice = lattice.copy()
        lattice[:, 0] *= blank_bias
    free, free_logp, _ = best_path(lattice)
    found = []
    templates = list(dict.fromkeys(fmt.template for fmt in formats))
    fits = dict(zip(templates, fit_templates(lattice, templates), strict=True))
    for i, fmt in enumerate(formats):
        fit = fits[fmt.template]
        if fit is not None and fit[1] >= free_logp - margin:
            found.append((abs(len(fmt.template) - len(free)), edit_distance(fit[0], free),
                          -fit[1], i, fit[0], fmt.name))
    if found:
        *_, plate, name = min(found)
        return plate, name
    return _generic(free, generic, folds)
