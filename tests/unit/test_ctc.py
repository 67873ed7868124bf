"""CTC lattice decoding: the free best path and the best path that fits a plate format."""

from __future__ import annotations

import numpy as np
import pytest

from edge.anpr.ctc import PLATE_CHARS, best_path, fit_template, fold, one_hot, plate_columns
from edge.anpr.formats import PlateFormat, correct_lattice


def col(ch: str) -> int:
    return 1 + PLATE_CHARS.index(ch)


def soften(lat: np.ndarray, ch: str, alt: str, p_alt: float) -> np.ndarray:
    """Every frame that says ``ch`` gives ``alt`` (a character or "_" for blank) ``p_alt``."""
    lat = lat.copy()
    for t in np.flatnonzero(lat[:, col(ch)] > 0.5):
        lat[t, col(ch)] -= p_alt
        lat[t, 0 if alt == "_" else col(alt)] += p_alt
    return lat


def test_fold_counts_case_together_and_everything_else_as_blank() -> None:
    charset = ["blank", "a", "A", "-", "皖", "0", " "]
    probs = np.array([[0.1, 0.3, 0.4, 0.1, 0.05, 0.05, 0.0]])
    lat = fold(probs, plate_columns(charset))
    assert lat[0, col("A")] == pytest.approx(0.7)
    assert lat[0, col("0")] == pytest.approx(0.05)
    assert lat[0, 0] == pytest.approx(0.25)  # blank + dash + the province character
    assert lat.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["KA01AB1234", "AA11", "B", "88BH1234A"])
def test_certain_lattice_reads_back(text: str) -> None:
    assert best_path(one_hot(text))[0] == text


@pytest.mark.parametrize(("read", "ch", "alt", "template", "want"), [
    ("BA2681M", "1", "I", "LLDDDLL", "BA268IM"),   # digit where a letter must be
    ("RK85TAI", "T", "7", "LLDDDLL", "RK857AI"),   # letter where a digit must be
    ("KAO1AB1234", "O", "0", "LLDDLLDDDD", "KA01AB1234"),
    ("22BH1234AB", "2", "Z", "DDBHDDDDLL", "22BH1234AB"),  # fits already: unchanged
])
def test_format_takes_the_recognisers_second_choice(read: str, ch: str, alt: str,
                                                    template: str, want: str) -> None:
    lat = soften(one_hot(read), ch, alt, 0.3)
    got = fit_template(lat, template)
    assert got is not None and got[0] == want


def test_format_drops_an_emblem_the_recogniser_half_saw() -> None:
    """A separator read as ``8`` with some blank weight is dropped to fit ``DLDDDDD``."""
    lat = one_hot("2T480211")
    frames = np.flatnonzero(lat[:, col("8")] > 0.5)[:2]  # the first 8 (the emblem)
    lat[frames, col("8")], lat[frames, 0] = 0.7, 0.3
    got = fit_template(lat, "DLDDDDD")
    assert got is not None and got[0] == "2T40211"


def test_repeated_character_needs_a_blank_between() -> None:
    """``AA`` can only come from a path with a blank between the two As."""
    lat = np.zeros((3, 1 + len(PLATE_CHARS)), np.float32)
    lat[:, col("A")] = 1.0
    assert fit_template(lat[:2], "AA") is None  # no room for the blank
    got = fit_template(lat, "AA")
    assert got is not None and got[0] == "AA" and got[1] < -5  # paid for a missing blank
    assert fit_template(one_hot("AA", repeat=1), "AA") == ("AA", 0.0)


def test_too_few_frames_for_the_format() -> None:
    assert fit_template(one_hot("AB", repeat=1)[:2], "LLL") is None


FORMATS = (PlateFormat("EU", "LLDDDLL"), PlateFormat("CZ", "DLXDDDD"))


def test_correct_lattice_keeps_a_far_fetched_format_out() -> None:
    """A US plate that could only be forced into a format by changing certain characters
    stays as it was read."""
    assert correct_lattice(one_hot("AKS4329"), FORMATS) == ("AKS4329", "generic")


def test_correct_lattice_prefers_the_format_as_long_as_the_read() -> None:
    lat = soften(one_hot("BA2681M"), "1", "I", 0.4)
    assert correct_lattice(lat, (PlateFormat("long", "LLDDDDLL"), *FORMATS)) == \
        ("BA268IM", "EU")


def test_correct_lattice_folds_generic_reads_only() -> None:
    assert correct_lattice(one_hot("HL0KTY1".replace("0", "O")), (), folds={"O": "0"}) == \
        ("HL0KTY1", "generic")
    assert correct_lattice(one_hot("RK755AO"), FORMATS, folds={"O": "0"}) == ("RK755AO", "EU")


def test_blank_bias_drops_a_half_seen_character_between_groups() -> None:
    """An emblem read as ``L`` at 0.4 with a blank at 0.3 is not a character; a character
    read at 0.7 with a blank at 0.3 still is."""
    lat = one_hot("SH0LR7X")
    frames = np.flatnonzero(lat[:, col("L")] > 0.5)
    lat[frames, col("L")], lat[frames, 0], lat[frames, col("E")] = 0.4, 0.3, 0.3
    assert correct_lattice(lat, (), blank_bias=1.0)[0] == "SH0LR7X"
    assert correct_lattice(lat, ())[0] == "SH0R7X"
    sure = soften(one_hot("CJ8P4V"), "P", "_", 0.3)
    assert correct_lattice(sure, ())[0] == "CJ8P4V"


def test_correct_lattice_without_any_plate_text() -> None:
    blank = np.zeros((6, 1 + len(PLATE_CHARS)), np.float32)
    blank[:, 0] = 1.0
    assert correct_lattice(blank, FORMATS) is None
