"""Shared pieces of the configuration models: the strict base and canonical classes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

CANONICAL_CLASSES: tuple[str, ...] = ("person", "car", "truck", "bus", "motorcycle", "bicycle")
"""Classes every detector is mapped onto; the index is the canonical ``class_id``."""

VEHICLE_CLASSES: frozenset[str] = frozenset({"car", "truck", "bus", "motorcycle", "bicycle"})

Point = tuple[int, int]


def reject_duplicates(kind: str, ids: list[str]) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate {kind} id(s): {', '.join(dupes)}")


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
