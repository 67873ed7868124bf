"""Built-in plate regions: real plates fit, confusions are fixed only where a format demands,
the default harms no foreign plate, ``auto`` picks the right country, bad settings are named."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge.anpr.ctc import PLATE_CHARS, fit_template, fit_templates, one_hot
from edge.anpr.formats import PlateFormat, correct, correct_lattice
from edge.config.anpr import AnprConfig
from edge.config.plate_regions import DEFAULT_AUTO_REGIONS, REGIONS, region_defaults


def formats(cfg: AnprConfig) -> tuple[PlateFormat, ...]:
    return tuple(PlateFormat(f.name, f.template) for f in cfg.formats)


def soften(lat: np.ndarray, ch: str, alt: str, p_alt: float) -> np.ndarray:
    """Every frame that says ``ch`` gives ``alt`` ``p_alt`` of its weight."""
    lat = lat.copy()
    a, b = 1 + PLATE_CHARS.index(ch), 1 + PLATE_CHARS.index(alt)
    for t in np.flatnonzero(lat[:, a] > 0.5):
        lat[t, a] -= p_alt
        lat[t, b] += p_alt
    return lat


@pytest.mark.parametrize("plate", ["ABO1234", "OYO9FEU", "KMBORAK", "NOX218", "BLOGGER"])
def test_an_o_where_a_letter_belongs_survives_the_default(plate: str) -> None:
    """Brazil's ``ABO1234`` fits no Indian format: kept as read, not written ``AB01234``."""
    cfg = AnprConfig()
    assert cfg.folds == {}
    assert correct(plate, formats(cfg), folds=cfg.folds) == (plate, "generic")
    assert correct_lattice(one_hot(plate), formats(cfg), folds=cfg.folds) == (plate, "generic")


@pytest.mark.parametrize(("region", "plate", "name"), [
    ("br", "ABC1234", "BR-LLL-DDDD"),
    ("br", "BRA2E19", "BR-LLL-DLDD"),
    ("nl", "GB1234", "NL-LL-DD-DD"),
    ("nl", "97THG6", "NL-DD-LLL-D"),
    ("nl", "1KBB00", "NL-D-LLL-DD"),
    ("nl", "VGR12K", "NL-LLL-DD-L"),
    ("de", "MAB1234", "DE-LLL-DDDD"),
    ("de", "BA1", "DE-LL-D"),
    ("de", "MAB123E", "DE-LLL-DDD-E"),
    ("fr", "AB123CD", "FR-LL-DDD-LL"),
    ("fr", "1234AB56", "FR-FNI-DDDD-LL-DD"),
    ("fr", "123ABC75", "FR-FNI-DDD-LLL-DD"),
    ("it", "EX526OA", "IT-LL-DDD-LL"),
    ("es", "1234BCD", "ES-DDDD-LLL"),
    ("es", "M1234AB", "ES-L-DDDD-LL"),
    ("uk", "AB12CDE", "UK-LLDD-LLL"),
    ("uk", "A123BCD", "UK-L-DDD-LLL"),
    ("uk", "ABC123D", "UK-LLL-DDD-L"),
    ("pl", "WA12345", "PL-LL-DDDDD"),
    ("pl", "KR1A234", "PL-LL-DLDDD"),
    ("pl", "KRA12AC", "PL-LLL-DDLL"),
    ("be", "1ABC123", "BE-D-LLL-DDD"),
    ("be", "ABC123", "BE-LLL-DDD"),
])
def test_each_region_reads_a_real_plate_as_it_is(region: str, plate: str, name: str) -> None:
    fmts = formats(AnprConfig(region=region))  # type: ignore[arg-type]
    assert correct(plate, fmts) == (plate, name)
    assert correct_lattice(one_hot(plate), fmts) == (plate, name)


@pytest.mark.parametrize(("region", "read", "plate"), [
    ("br", "8RA2E19", "BRA2E19"),   # 8 where a letter must be
    ("br", "ABC12O4", "ABC1204"),   # O where a digit must be
    ("br", "ABO1234", "ABO1234"),   # O where a letter may be: kept
    ("nl", "G8123K", "GB123K"),
    ("de", "BMW5O1", "BMW501"),
    ("de", "OSAB12", "OSAB12"),     # Osnabrück's O is a letter
    ("fr", "A8123CD", "AB123CD"),
    ("it", "EX526O4", "EX526OA"),
    ("es", "I234BCD", "1234BCD"),
    ("uk", "AB1ZCDE", "AB12CDE"),
    ("pl", "KR1A2S4", "KR1A254"),
    ("be", "1A8C123", "1ABC123"),
])
def test_each_region_fixes_a_confusion_only_where_its_format_demands(
        region: str, read: str, plate: str) -> None:
    fixed = correct(read, formats(AnprConfig(region=region)))  # type: ignore[arg-type]
    assert fixed is not None and fixed[0] == plate
    assert fixed[1].startswith(region.upper() + "-")


def test_a_read_fitting_one_format_as_it_is_is_not_bent_into_another() -> None:
    """``correct`` takes the format that changes fewest characters, not the first listed."""
    fmts = (PlateFormat("A", "DDLLDD"), PlateFormat("B", "LLDDDD"))
    assert correct("GB1234", fmts) == ("GB1234", "B")
    assert correct("6B1234", fmts) == ("GB1234", "B")  # one change, not A's three
    assert correct("GB1234", (PlateFormat("C", "XXXXXX"), *fmts)) == ("GB1234", "C")  # tie


def test_every_format_name_says_its_region() -> None:
    for region, (fmts, _) in REGIONS.items():
        for name, template in fmts:
            assert name.startswith(region.upper() + "-"), name
            PlateFormat(name, template)  # a valid template


def test_only_the_us_region_folds() -> None:
    assert {r for r, (_, folds) in REGIONS.items() if folds} == {"us"}


@pytest.mark.parametrize(("read", "plate", "name"), [
    ("1ABC123", "1ABC123", "BE-D-LLL-DDD"),
    ("GB123K", "GB123K", "NL-LL-DDD-L"),
    ("MAB1234", "MAB1234", "DE-LLL-DDDD"),
])
def test_auto_picks_the_right_regions_format(read: str, plate: str, name: str) -> None:
    cfg = AnprConfig(region="auto", regions=["nl", "de", "be"])
    assert cfg.folds == {}
    assert correct_lattice(one_hot(read), formats(cfg)) == (plate, name)
    assert correct(read, formats(cfg)) == (plate, name)


def test_auto_uses_the_recognisers_second_choice_for_the_fitting_region() -> None:
    """``1A8C123`` (the 8 nearly a B) fits Belgium's ``1-ABC-123`` only as ``1ABC123``."""
    cfg = AnprConfig(region="auto", regions=["nl", "de", "be"])
    lat = soften(one_hot("1A8C123"), "8", "B", 0.3)
    assert correct_lattice(lat, formats(cfg)) == ("1ABC123", "BE-D-LLL-DDD")


def test_auto_lists_shared_templates_once_and_keeps_only_common_folds() -> None:
    fmts, folds = region_defaults("auto", ["it", "fr"])
    templates = [t for _, t in fmts]
    assert len(templates) == len(set(templates))
    assert ("IT-LL-DDD-LL", "LLDDDLL") in fmts  # listed first: named Italian
    assert folds == {}
    assert AnprConfig(region="auto", regions=["us"]).folds == {"O": "0"}
    assert AnprConfig(region="auto", regions=["us", "nl"]).folds == {}
    assert [f.name for f in AnprConfig(region="auto").formats] == \
        [n for n, _ in region_defaults("auto", list(DEFAULT_AUTO_REGIONS))[0]]


@pytest.mark.parametrize(("settings", "needle"), [
    ({"region": "mars"}, "unknown plate region 'mars'"),
    ({"region": "auto", "regions": ["nl", "xx"]}, r"unknown plate region\(s\) \['xx'\]"),
    ({"region": "auto", "regions": ["none"]}, r"unknown plate region\(s\) \['none'\]"),
    ({"region": "nl", "regions": ["nl"]}, "only with region: auto"),
    ({"region": "auto", "regions": []}, "regions"),
])
def test_bad_region_settings_name_the_region(settings: dict, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        AnprConfig(**settings)


def test_templates_of_many_lengths_are_searched_together_as_each_alone() -> None:
    rng = np.random.default_rng(3)
    templates = ["LLDDDLL", "LLLDDDD", "DDLLDD", "LLD", "LLLDDDE", "XXXXXX", "LLDDDDLL"]
    for _ in range(20):
        lat = rng.dirichlet(np.full(1 + len(PLATE_CHARS), 0.1), int(rng.integers(2, 40)))
        lat = lat.astype(np.float32)
        assert fit_templates(lat, templates) == [fit_template(lat, t) for t in templates]


@pytest.mark.parametrize("settings", [{}, {"region": "nl"}, {"region": "us"},
                                      {"region": "auto", "regions": ["nl", "de", "be"]}])
def test_a_dumped_region_config_validates_to_the_same(settings: dict) -> None:
    cfg = AnprConfig(**settings)
    assert AnprConfig(**cfg.model_dump(mode="json")) == cfg
