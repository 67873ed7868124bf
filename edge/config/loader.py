"""Load and validate ``cameras.yaml`` with errors that name the file and the field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from edge.config.models import Settings


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid.

    ``errors`` holds one line per problem, each ``FILE: field.path: message``.
    """

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def format_loc(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into ``cameras[1].lines[0].start``.

    >>> format_loc(("cameras", 1, "lines", 0, "start"))
    'cameras[1].lines[0].start'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def _friendly(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (not allowed here; check the spelling)"
    return msg


def validate_mapping(data: Any, source: str) -> Settings:
    """Validate already-parsed YAML ``data``; ``source`` names it in error lines."""
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: <root>: expected a mapping at the top level, "
                           f"got {type(data).__name__}"])
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            lines.append(f"{source}: {format_loc(loc)}: {_friendly(err)}")
        raise ConfigError(lines) from None


def load_settings(path: str | Path) -> Settings:
    """Read and validate a configuration file.

    Raises:
        ConfigError: naming the file and, for each problem, the field path.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{p}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: cannot read: {exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{p}: {where}invalid YAML: {problem}"]) from None
    return validate_mapping(data, str(p))
