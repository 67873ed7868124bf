"""Configuration of licence-plate reading (ANPR)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from edge.config.base import Strict


class AnprConfig(Strict):
    """Licence-plate reading (see issue 6)."""

    enabled: bool = False
    engine: Literal["rapidocr", "easyocr"] = "rapidocr"
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
