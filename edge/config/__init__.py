"""Configuration room: pydantic models of ``cameras.yaml`` (one per concern), the loader whose
errors name the file and the field, and round-trip edits that keep the file's comments."""

from edge.config.loader import ConfigError, load_settings, validate_mapping
from edge.config.models import (
    CANONICAL_CLASSES,
    VEHICLE_CLASSES,
    CameraConfig,
    LineConfig,
    ModelConfig,
    Settings,
)

__all__ = [
    "CANONICAL_CLASSES",
    "VEHICLE_CLASSES",
    "CameraConfig",
    "ConfigError",
    "LineConfig",
    "ModelConfig",
    "Settings",
    "load_settings",
    "validate_mapping",
]
