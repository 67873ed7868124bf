"""Plate text: normalisation and position-aware correction by plate format.

A format is a template with one symbol per character: ``L`` a letter, ``D`` a digit, ``X``
either, any other capital letter itself (``DDBHDDDDL`` is India's BH series). OCR confuses
O/0, I/1, B/8, S/5, Z/2 and G/6; a confusion is corrected only where the format demands a
letter or a digit, so ``KA01AB1234`` read as ``KAO1A81234`` becomes right while a generic
plate keeps what was read.

Example:
    >>> correct("KA-O1 A8 1234", INDIA)
    ('KA01AB1234', 'IN-LLDDLLDDDD')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
            generic: bool = True) -> tuple[str, str] | None:
    """The plate as the first matching format reads it, with that format's name.

    Without a matching format the normalised text is kept (``generic``) when it looks like a
    plate (2-10 letters and digits); otherwise None.
    """
    plain = normalise(text)
    for fmt in formats:
        fixed = fmt.fit(plain)
        if fixed is not None:
            return fixed, fmt.name
    if generic and GENERIC.match(plain):
        return plain, "generic"
    return None
