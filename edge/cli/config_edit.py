"""Round-trip edits of ``cameras.yaml`` that keep its comments and key order (ruamel.yaml).

Every edit is validated with the same pydantic models as the daemon before anything is
written, and the file is replaced atomically, so a bad edit never leaves a broken config.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.config import ConfigError, validate_mapping


class ConfigEditError(ValueError):
    """The edit cannot be made (unknown id, duplicate, or the result is invalid)."""


def _yaml():  # type: ignore[no-untyped-def]
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def edit_config(path: Path, change: Callable[[Any], str]) -> str:
    """Load ``path``, apply ``change(document)``, validate, write back; return its message.

    Raises:
        ConfigEditError: the file is missing, the change refused, or the result invalid
            (the message lists every field error, naming the file).
    """
    if not path.exists():
        raise ConfigEditError(f"{path}: no such file")
    yaml = _yaml()
    doc = yaml.load(path.read_text())
    message = change(doc)
    plain = _plain(doc)
    try:
        validate_mapping(plain, str(path))
    except ConfigError as exc:
        raise ConfigEditError("\n".join(exc.errors)) from None
    buf = io.StringIO()
    yaml.dump(doc, buf)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return message


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for validation)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def find(items: list[Any], ident: str, kind: str) -> Any:
    """The item with ``id == ident`` in a YAML list, or ConfigEditError naming it."""
    for item in items:
        if str(item.get("id")) == ident:
            return item
    raise ConfigEditError(f"no {kind} with id {ident!r}")
