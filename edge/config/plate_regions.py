"""Built-in plate formats and glyph folds per region (``anpr.region``, ``anpr.regions``).

A format is ``(name, template)``: ``L`` a letter, ``D`` a digit, ``X`` either, any other
capital itself (see :mod:`edge.anpr.formats`). Each name starts with its region's code and
shows the plate's groups (``NL-DD-LLL-D``), so a read says which country's format it fit.
Plates are read without their separators, so only the order of letters and digits tells
formats apart.

Folds (``{"O": "0"}``) rewrite characters of reads that fit no format. Only a region whose
plates print one glyph for both characters has one: ``us``, where many states' plates draw O
and 0 alike (and several issue no letter O), so no reader can tell them apart; writing both
as 0 keeps a vehicle's reads agreeing with each other and with the lists. Everywhere else a
format decides O or 0 by position and a read that fits none is kept as read: a fold there
breaks every plate with an O where a letter belongs (Brazil's ``ABO1234`` read as
``AB01234``).
"""

from __future__ import annotations

from typing import Literal

Formats = tuple[tuple[str, str], ...]

INDIA_FORMATS: Formats = (
    ("IN-LLDDLLDDDD", "LLDDLLDDDD"),
    ("IN-LLDDLDDDD", "LLDDLDDDD"),
    ("IN-LLDDLLLDDDD", "LLDDLLLDDDD"),
    ("IN-BH", "DDBHDDDDL"),
    ("IN-BH2", "DDBHDDDDLL"),
)
"""Indian private and commercial plates (state, district, series, number) and the BH series."""

EUROPE_FORMATS: Formats = (
    ("EU-LLDDDLL", "LLDDDLL"),      # Italy, France, Croatia, Slovakia: AB123CD, RK755AJ
    ("EU-LLDDDDLL", "LLDDDDLL"),    # Croatia: ZG1234AB
    ("EU-LLDDDDL", "LLDDDDL"),      # Croatia: ZG1234A
    ("EU-LLDDLLL", "LLDDLLL"),      # United Kingdom: AB12CDE
    ("EU-DDDDLLL", "DDDDLLL"),      # Spain: 1234BCD
    ("EU-DLXDDDD", "DLXDDDD"),      # Czechia: 1A2 3456, 1AB 2345
)
"""Common European national formats (a deployment lists its own country's first)."""


def _groups(region: str, *patterns: str) -> Formats:
    """Formats from dash-separated group patterns: ``_groups("NL", "LL-DD-DD")`` is
    ``(("NL-LL-DD-DD", "LLDDDD"),)``."""
    return tuple((f"{region}-{p}", p.replace("-", "")) for p in patterns)


BRAZIL_FORMATS: Formats = _groups("BR", "LLL-DDDD", "LLL-DLDD")
"""Brazil: the old grey plates (ABC 1234, 1990-2018) and Mercosur (ABC1D23, since 2018)."""

NETHERLANDS_FORMATS: Formats = _groups(
    "NL", "LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL",
    "DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD",
    "DDD-LL-D")
"""Netherlands: the RDW's sidecodes 1-14 in order (XX-99-99 ... 999-XX-9; 12 and 14 were
planned and not yet issued in 2024). Letters are consonants only from sidecode 4 on, but the
templates do not rely on it."""

GERMANY_FORMATS: Formats = tuple(
    (f"DE-{'L' * a}-{'D' * d}{suffix}", "L" * a + "D" * d + suffix.strip("-"))
    for suffix in ("", "-E", "-H") for a in range(2, 6) for d in range(1, 5) if a + d <= 8)
"""Germany: district (1-3 letters) and recognition letters (1-2) read as one run of 2-5
letters, then 1-4 digits, at most 8 characters; ``E`` (electric) or ``H`` (historic) may
follow. ``B A 1`` to ``ABC DE 123``; the district/letters split is not visible unread."""

FRANCE_FORMATS: Formats = (
    *_groups("FR", "LL-DDD-LL"),
    *((f"FR-FNI-{'D' * d}-{'L' * a}-DD", "D" * d + "L" * a + "DD")
      for a in (1, 2, 3) for d in range(1, 5) if a < 3 or d < 4),
)
"""France: SIV (AB-123-CD, since 2009), then the old FNI (number 1-9999, 1-3 letters,
metropolitan department: 1234 AB 56, 123 ABC 75). Corsican (2A/2B) and overseas (971-976)
FNI departments are not listed."""

ITALY_FORMATS: Formats = _groups("IT", "LL-DDD-LL")
"""Italy: AB 123 CD (since 1994)."""

SPAIN_FORMATS: Formats = _groups("ES", "DDDD-LLL", "L-DDDD-L", "L-DDDD-LL", "LL-DDDD-L",
                                 "LL-DDDD-LL")
"""Spain: 1234 BCD (since 2000), then the provincial plates of 1971-2000 (M 1234 AB)."""

UK_FORMATS: Formats = _groups("UK", "LLDD-LLL", "L-D-LLL", "L-DD-LLL", "L-DDD-LLL",
                              "LLL-D-L", "LLL-DD-L", "LLL-DDD-L")
"""United Kingdom: AB12 CDE (since 2001), prefix A123 BCD (1983-2001), suffix ABC 123D
(1963-1983)."""

POLAND_FORMATS: Formats = _groups(
    "PL", "LL-DDDDD", "LL-DDDDL", "LL-DDDLL", "LL-DLDDD", "LL-DLLDD",
    "LLL-LDDD", "LLL-DDLL", "LLL-DLDD", "LLL-DDLD", "LLL-DLLD", "LLL-LLDD",
    "LLL-DDDDD", "LLL-DDDDL", "LLL-DDDLL")
"""Poland: a 2- or 3-letter district, then 4-5 characters with at most two letters, in the
14 standard arrangements (WA 12345, KR 1A234, GD 123AC, KRA 12AC, WPI 1234A)."""

BELGIUM_FORMATS: Formats = _groups("BE", "D-LLL-DDD", "LLL-DDD", "DDD-LLL")
"""Belgium: 1-ABC-123 (since 2010), ABC-123 (1973-2008), 123-ABC (2008-2010)."""

REGIONS: dict[str, tuple[Formats, dict[str, str]]] = {
    "in": (INDIA_FORMATS, {}),
    "eu": (EUROPE_FORMATS, {}),
    "us": ((), {"O": "0"}),
    "br": (BRAZIL_FORMATS, {}),
    "nl": (NETHERLANDS_FORMATS, {}),
    "de": (GERMANY_FORMATS, {}),
    "fr": (FRANCE_FORMATS, {}),
    "it": (ITALY_FORMATS, {}),
    "es": (SPAIN_FORMATS, {}),
    "uk": (UK_FORMATS, {}),
    "pl": (POLAND_FORMATS, {}),
    "be": (BELGIUM_FORMATS, {}),
    "none": ((), {}),
}
"""Built-in plate formats and folds per region (``anpr.region``; the module docstring says
why only ``us`` folds)."""

RegionName = Literal["in", "eu", "us", "br", "nl", "de", "fr", "it", "es", "uk", "pl", "be",
                     "none"]
"""A built-in region (a key of :data:`REGIONS`)."""

DEFAULT_AUTO_REGIONS: tuple[RegionName, ...] = ("uk", "de", "fr", "it", "es", "nl", "be",
                                                "pl", "br", "in")
"""The regions ``region: auto`` combines unless ``regions`` is given: every region with its
own formats (``eu`` repeats theirs; ``us`` has none)."""


def region_defaults(region: str, regions: tuple[str, ...] | list[str] = DEFAULT_AUTO_REGIONS,
                    ) -> tuple[Formats, dict[str, str]]:
    """The formats and folds of ``region``; for ``auto``, those of ``regions`` together.

    ``auto`` takes every listed region's formats in the order listed (a template two
    regions share is listed once, under the first one's name) and only the folds all of
    them have: a read that fits no format could come from any of them.

    Raises:
        KeyError: an unknown region.
    """
    if region != "auto":
        return REGIONS[region]
    formats: dict[str, str] = {}
    folds: dict[str, str] | None = None
    for name in regions:
        fmts, fld = REGIONS[name]
        for fmt_name, template in fmts:
            formats.setdefault(template, fmt_name)
        folds = dict(fld) if folds is None else {a: b for a, b in folds.items()
                                                 if fld.get(a) == b}
    return tuple((n, t) for t, n in formats.items()), folds or {}
