"""A loaded configuration dumped and validated again is the same configuration: scripts and
the console build settings that way (benchconfig.counting_only, edits), so a validator that
refuses its own defaults breaks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import load_settings, validate_mapping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["demo.yaml", "cameras.yaml"])
def test_dumped_settings_validate_to_the_same_settings(name: str) -> None:
    settings = load_settings(ROOT / "config" / name)
    again = validate_mapping(settings.model_dump(mode="json"), name)
    assert again == settings
