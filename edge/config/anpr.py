"""Configuration of licence-plate reading (ANPR)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from edge.config.base import Strict
from edge.config.plate_regions import (
    DEFAULT_AUTO_REGIONS,
    EUROPE_FORMATS,
    INDIA_FORMATS,
    REGIONS,
    RegionName,
    region_defaults,
)

__all__ = ["EUROPE_FORMATS", "INDIA_FORMATS", "REGIONS", "AnprConfig", "PlateFormatConfig"]


class PlateFormatConfig(Strict):
    """A plate format: ``L`` letter, ``D`` digit, ``X`` either, other capitals literal."""

    name: str = Field(min_length=1)
    template: str = Field(pattern=r"^[A-Z]{2,12}$")


def _india() -> list[PlateFormatConfig]:
    return [PlateFormatConfig(name=n, template=t) for n, t in INDIA_FORMATS]


DEFAULT_OCR_HEIGHTS: tuple[int, ...] = (128, 256, 80, 192)
"""Plate heights (px) tried in order; measured best on ../shared/data/anpr (README)."""


class AnprConfig(Strict):
    """Licence-plate reading: localiser, OCR engine, formats, voting, lists, worker."""

    enabled: bool = False
    region: RegionName | Literal["auto"] = "in"
    """Built-in formats and glyph folds (``edge.config.plate_regions``) used where
    ``formats`` or ``folds`` are not given: Indian formats by default. ``auto`` takes the
    formats of every region in ``regions`` and keeps the best fit per read."""
    regions: list[RegionName] = Field(default_factory=lambda: list(DEFAULT_AUTO_REGIONS),
                                      min_length=1)
    """The regions ``region: auto`` combines (first listed names a template two share)."""
    engine: Literal["rapidocr", "easyocr"] = "rapidocr"
    recogniser: Literal["ppocrv6", "ppocrv4"] = "ppocrv6"
    """RapidOCR's text recogniser: ``ppocrv6`` (PP-OCRv6 small, installed by ``edge model
    fetch``) reads small, blurred plates better than ``ppocrv4`` (in the rapidocr wheel):
    README, "Licence plates"."""
    localiser: Literal["platedet", "text"] = "platedet"
    store_plate_crops: bool = False
    """Keep the plate crop each vehicle's plate was decided on, as
    ``plate_crops_dir/<vehicle_uid>.jpg`` (the console's vehicles page shows it)."""
    plate_crops_dir: str = "var/plates"
    text_fallback: bool = True
    """With ``platedet``: when it finds no plate, read the lower part of the vehicle with the
    OCR's own text detector (reads a few more full photos right). Off where signage on
    vehicles (fleet names) that fits no plate format but the generic one is a concern."""
    formats: list[PlateFormatConfig] = Field(default_factory=_india)
    """The region's unless given. RapidOCR reads are searched for the best-fitting one (see
    ``edge.anpr.formats.correct_lattice``); EasyOCR reads take the first that fits after
    correcting O/0, I/1, B/8, S/5, Z/2, G/6 by position."""
    folds: dict[str, str] = Field(default_factory=dict)
    """Characters written as others in plates that fit no format, e.g. ``{"O": "0"}`` where
    the plates print both alike (only the ``us`` region's default); elsewhere a read that
    fits no format is kept as read. The allow and deny lists are matched with O and 0 (and
    these folds) counted as one on both sides."""
    generic_fallback: bool = True
    """Keep a read that fits no format when it looks like a plate (2-10 letters/digits)."""
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    fuzzy_distance: int = Field(1, ge=0, le=3)
    """A plate matches a list entry within this many edits."""
    max_reads_per_track: int = Field(8, ge=1, le=100)
    read_interval_s: float = Field(0.3, ge=0, le=60)
    min_votes: int = Field(3, ge=1, le=50)
    min_share: float = Field(0.6, gt=0, le=1)
    ocr_heights: list[int] = Field(default_factory=lambda: list(DEFAULT_OCR_HEIGHTS),
                                   min_length=1, max_length=8)
    """Plate crop heights (px) OCR tries in order, until ``ocr_agree`` reads agree."""
    ocr_agree: int = Field(2, ge=1, le=8)
    min_plate_px: int = Field(12, ge=4)
    """Plates shorter than this (pixels) are too small to read and are skipped."""
    min_sharpness: float = Field(15.0, ge=0)
    workers: int = Field(1, ge=1, le=8)
    threads: int = Field(1, ge=1, le=64)
    """CPU threads each read uses (ONNX Runtime's for the plate detector and RapidOCR,
    torch's for EasyOCR): 1 keeps one worker to one core, beside the inference loop; raise
    ``workers`` for more reads at once."""
    worker_nice: int = Field(5, ge=0, le=19)
    """How much lower the workers' CPU priority is than the inference loop's (Linux nice):
    on a box whose cores are busy, counting gets the frames it needs first and plates,
    which can wait, what is left (README "Counting first: background work yields"). 0:
    the same priority."""
    queue_max: int = Field(16, ge=1, le=10_000)
    track_gone_s: float = Field(5.0, gt=0, le=600)
    """A vehicle track unseen this long has left: its plate is decided and its exit logged."""

    @model_validator(mode="before")
    @classmethod
    def _region_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        region = data.get("region", "in")
        if ("regions" in data and region != "auto"
                and list(data["regions"] or []) != list(DEFAULT_AUTO_REGIONS)):
            # (the default list is what a dumped configuration carries back: no mistake)
            raise ValueError(f"anpr.regions is used only with region: auto (region is "
                             f"{region!r})")
        regions = data.get("regions", DEFAULT_AUTO_REGIONS)
        known = [*REGIONS, "auto"]
        if region not in known:
            raise ValueError(f"unknown plate region {region!r} (anpr.region): one of "
                             f"{', '.join(known)}")
        if isinstance(regions, list | tuple):
            bad = [r for r in regions if r not in REGIONS or r in ("none",)]
            if bad:
                raise ValueError(f"unknown plate region(s) {bad} in anpr.regions: each one "
                                 f"of {', '.join(r for r in REGIONS if r != 'none')}")
            formats, folds = region_defaults(region, list(regions))
            data = dict(data)
            data.setdefault("formats", [{"name": n, "template": t} for n, t in formats])
            data.setdefault("folds", dict(folds))
        return data

    @field_validator("folds")
    @classmethod
    def _folds(cls, v: dict[str, str]) -> dict[str, str]:
        chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        bad = {a: b for a, b in v.items() if len(a) != 1 or len(b) != 1
               or a not in chars or b not in chars}
        if bad:
            raise ValueError(f"folds map one capital letter or digit to another, got {bad}")
        return v

    @field_validator("ocr_heights")
    @classmethod
    def _heights(cls, v: list[int]) -> list[int]:
        bad = [h for h in v if not 32 <= h <= 512]
        if bad:
            raise ValueError(f"OCR heights must be 32-512 px, got {bad}")
        return v

    @field_validator("allow", "deny")
    @classmethod
    def _plates(cls, v: list[str]) -> list[str]:
        import re

        bad = [p for p in v if not re.fullmatch(r"[A-Za-z0-9 .\-]{2,16}", p)]
        if bad:
            raise ValueError(f"not plate numbers: {bad}")
        return v
