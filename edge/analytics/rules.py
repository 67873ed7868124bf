"""The per-camera rule seam: what the camera step calls with each frame's tracked objects.

A rule is built from a camera's configuration, gets every frame's tracked detections with the
frame's time, and returns the events it raises (and, for counting lines, the crossings that
move occupancy). The step (``edge.pipeline.step.CameraPipeline``) knows no rule by name: it
asks :func:`build_rules` for the camera's rules and calls each one.

Adding a rule is one module in ``edge/analytics`` that registers a builder with
:func:`rule`, plus its config model (a field of ``CameraConfig``) and its test: modules of
this package are imported by :func:`build_rules`, so no other file lists rules. Its events
are event types in ``edge.events`` (each declaring its table) with a row writer in
``edge.store.tables``. ``edge.analytics.zones`` is the worked example.

Example:
    >>> from edge.config.models import CameraConfig
    >>> camera = CameraConfig(id="door", url="x", lines=[{"id": "main", "start": [0, 5],
    ...                                                   "end": [10, 5]}])
    >>> [r.rule_id for r in build_rules(camera, RuleEnv())]
    ['line:main']
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import supervision as sv

from edge.config.models import CameraConfig
from edge.events import Event

if TYPE_CHECKING:
    from edge.analytics.lines import LineCrossing


@dataclass(frozen=True)
class RuleEnv:
    """What rules may need besides their own settings."""

    memory_frames: int = 30
    """Frames the tracker keeps a lost id (rules remember a vanished track as long)."""
    frame_gap: Callable[[], float] = lambda: 1.0
    """The typical gap between the camera's analysed frames now, in camera frames (2.0: the
    loop analyses every other frame; the camera step's tracker clock)."""
    frame_rate: Callable[[], float | None] = lambda: None
    """The camera's frame rate now (``tracking.frame_rate``, else the rate its capture is
    timed by: ``CameraHealth.frame_rate``); None when not known. It can change while the
    camera runs (its stream's timestamps tell a new rate)."""


@dataclass
class RuleOutput:
    """What a rule raised on one frame."""

    events: list[Event] = field(default_factory=list)
    crossings: list[LineCrossing] = field(default_factory=list)
    """Counted line crossings (occupancy follows those of occupancy lines)."""


class Rule(Protocol):
    """One rule instance on one camera."""

    rule_id: str
    """Unique on the camera: ``<kind>:<id>`` (``line:main``, ``zone:press-3``)."""
    config: Any
    """Its settings: an unchanged rule keeps its state across a reload."""

    def update(self, camera_id: str, ts: datetime, detections: sv.Detections) -> RuleOutput:
        """Look at one frame's tracked detections (full-frame ``xyxy``, ``tracker_id``)."""
        ...


RuleBuilder = Callable[[CameraConfig, RuleEnv], Sequence[Rule]]
_BUILDERS: dict[str, RuleBuilder] = {}


def rule(kind: str) -> Callable[[RuleBuilder], RuleBuilder]:
    """Register the builder of a kind of rule (a decorator).

    Example:
        ``@rule("zone")`` over ``def build(camera, env): return [ZoneRule(z) for z in
        camera.zones]``.
    """
    def register(builder: RuleBuilder) -> RuleBuilder:
        if _BUILDERS.get(kind, builder) is not builder:
            raise ValueError(f"rule kind {kind!r} registered twice")
        _BUILDERS[kind] = builder
        return builder
    return register


def rule_kinds() -> list[str]:
    """Every registered kind of rule (importing the package's modules first)."""
    _discover()
    return sorted(_BUILDERS)


def build_rules(camera: CameraConfig, env: RuleEnv,
                keep: Sequence[Rule] = ()) -> list[Rule]:
    """The camera's rules, in kind order; a rule of ``keep`` whose id and settings are
    unchanged is kept as it is (with its counts and track state)."""
    _discover()
    kept = {r.rule_id: r for r in keep}
    out: list[Rule] = []
    for kind in sorted(_BUILDERS):
        for new in _BUILDERS[kind](camera, env):
            old = kept.get(new.rule_id)
            out.append(old if old is not None and old.config == new.config else new)
    return out


_discovered = False


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    import edge.analytics as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _discovered = True
