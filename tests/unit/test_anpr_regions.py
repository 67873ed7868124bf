"""Plate regions: built-in formats and glyph folds, and how explicit settings override them."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge.anpr.ctc import one_hot
from edge.anpr.formats import PlateFormat, correct, correct_lattice
from edge.anpr.localise import PlateLocaliser, crop_box
from edge.config.anpr import EUROPE_FORMATS, INDIA_FORMATS, AnprConfig


def formats(cfg: AnprConfig) -> tuple[PlateFormat, ...]:
    return tuple(PlateFormat(f.name, f.template) for f in cfg.formats)


def test_default_region_is_india_and_keeps_generic_reads_as_read() -> None:
    cfg = AnprConfig()
    assert [(f.name, f.template) for f in cfg.formats] == list(INDIA_FORMATS)
    assert cfg.folds == {}
    fmts = formats(cfg)
    # A read that fits an Indian format keeps its letters; one that fits none is kept too.
    assert correct_lattice(one_hot("KA01OB1234"), fmts, folds=cfg.folds)[0] == "KA01OB1234"
    assert correct_lattice(one_hot("BLOGGER"), fmts, folds=cfg.folds) == ("BLOGGER", "generic")
    assert AnprConfig(region="eu").folds == {}


def test_eu_region_corrects_by_european_formats() -> None:
    cfg = AnprConfig(region="eu")
    assert [(f.name, f.template) for f in cfg.formats] == list(EUROPE_FORMATS)
    assert correct("RK857A1", formats(cfg)) == ("RK857AI", "EU-LLDDDLL")


def test_us_region_writes_o_as_zero_in_generic_reads() -> None:
    cfg = AnprConfig(region="us")
    assert cfg.formats == [] and cfg.folds == {"O": "0"}
    assert correct_lattice(one_hot("HLOKTY1"), (), folds=cfg.folds) == ("HL0KTY1", "generic")
    assert correct("SMILEMO", (), folds=cfg.folds) == ("SMILEM0", "generic")


def test_explicit_formats_and_folds_override_the_region() -> None:
    cfg = AnprConfig(region="us", folds={}, formats=[{"name": "X", "template": "LLDDDD"}])
    assert cfg.folds == {} and [f.template for f in cfg.formats] == ["LLDDDD"]


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("region", "mars", "region"),
    ("folds", {"O": "00"}, "folds"),
    ("folds", {"o": "0"}, "folds"),
])
def test_bad_region_settings_are_named(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        AnprConfig(**{field: value})


class TiledModel(PlateLocaliser):
    """platedet stand-in: finds a plate only when the picture is small (a tile)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def boxes(self, image_bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
        h, w = image_bgr.shape[:2]
        self.calls.append((h, w))
        if w > 800 or image_bgr[..., 0].max() == 0:
            return []
        ys, xs = np.nonzero(image_bgr[..., 0])
        return [(np.array([xs.min(), ys.min(), xs.max(), ys.max()], np.int32), 0.8)]


def test_small_plate_is_found_in_a_tile_and_mapped_back() -> None:
    img = np.zeros((720, 1280, 3), np.uint8)
    img[600:630, 1100:1160] = 255  # a small plate in the bottom-right corner
    loc = TiledModel()
    box, conf = loc.find_all(img)[0]
    assert conf == 0.8 and list(box) == [1100, 600, 1159, 629]
    assert len(loc.calls) == 5  # whole picture, then four tiles
    crop = crop_box(img, box)
    assert crop is not None and crop.shape[0] >= 30


def test_a_plate_seen_in_two_tiles_is_one_candidate() -> None:
    img = np.zeros((720, 1280, 3), np.uint8)
    img[330:360, 620:680] = 255  # in the middle: inside all four overlapping tiles
    loc = TiledModel()
    found = loc.find_all(img)
    assert len(found) == 1 and list(found[0][0]) == [620, 330, 679, 359]


def test_no_tiles_when_the_whole_picture_shows_a_plate() -> None:
    img = np.zeros((300, 600, 3), np.uint8)
    img[200:230, 100:160] = 255
    loc = TiledModel()
    assert loc.find_all(img) and len(loc.calls) == 1


def test_lists_match_with_the_folds_on_both_sides() -> None:
    from edge.anpr.lists import PlateLists

    lists = PlateLists(allow=["BLOGGER"], deny=["RK0O1AB"], max_distance=0, folds={"O": "0"})
    assert lists.status("BL0GGER") == "allowed"
    assert lists.status("RKO01AB") == "denied"
    # O and 0 count as one in every list match, folds or not (Indian default: none).
    assert PlateLists(allow=["BLOGGER"], max_distance=0).status("BL0GGER") == "allowed"
    assert PlateLists(allow=["BLOGGER"], max_distance=0).status("BLAGGER") == "unknown"
