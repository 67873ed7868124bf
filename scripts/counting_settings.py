"""Counter and tracker settings other than the defaults, from ``SETTING=VALUE`` arguments
(``eval_counting.py`` and ``eval_edge_lines.py``: ``--counter`` and ``--tracking``)."""

from __future__ import annotations

import json
from typing import Any

import counting_lab as lab
from pydantic import ValidationError

from edge.config.models import LineConfig, TrackingConfig


def _overrides(flag: str, items: list[str], allowed: list[str]) -> dict[str, Any]:
    """``SETTING=VALUE`` items as a mapping, each value read as JSON (``false``, ``0.3``,
    ``null``), else as a string; a setting not in ``allowed`` raises ``ValueError``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in allowed:
            raise ValueError(f"{flag} {item!r}: expected SETTING=VALUE with one of "
                             f"{', '.join(allowed)}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def counter_settings(overrides: list[str]) -> dict[str, Any]:
    """The line counter's defaults (:func:`counting_lab.default_counter`), with
    ``SETTING=VALUE`` overrides.

    Raises:
        ValueError: an override without ``=``, naming no counter setting, or with a bad
            value (named).
    """
    allowed = [k for k in LineConfig.model_fields if k not in ("id", "start", "end")]
    counter = {**lab.default_counter(), **_overrides("--counter", overrides, allowed)}
    try:
        LineConfig(id="x", start=(0, 0), end=(1, 1), **counter)
    except ValidationError as exc:
        raise ValueError("; ".join(f"--counter {e['loc'][0]}: {e['msg']}"
                                   for e in exc.errors())) from exc
    return counter


def tracking_settings(base: TrackingConfig, overrides: list[str]) -> TrackingConfig:
    """``base`` with ``SETTING=VALUE`` overrides.

    >>> tracking_settings(TrackingConfig(), ["predict_skipped=false"]).predict_skipped
    False

    Raises:
        ValueError: an override without ``=``, naming no tracker setting, or with a bad
            value (named).
    """
    data = base.model_dump()
    data.update(_overrides("--tracking", overrides, list(data)))
    try:
        return TrackingConfig.model_validate(data)
    except ValidationError as exc:
        raise ValueError("; ".join(f"--tracking {e['loc'][0]}: {e['msg']}"
                                   for e in exc.errors())) from exc
