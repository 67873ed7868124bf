"""Round-trip edits of ``cameras.yaml`` that keep its comments and key order (ruamel.yaml).

Every edit is validated with the same pydantic models as the daemon before anything is
written, and the file is replaced atomically, so a bad edit never leaves a broken config.
"""

from __future__ import annotations

import contextlib
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
    try:
        doc = yaml.load(path.read_text())
    except Exception as exc:  # ruamel's parser and scanner errors share no public base
        raise ConfigEditError(f"{path}: not valid YAML: {exc}") from None
    if doc is None:
        doc = yaml.load("{}")
    if not isinstance(doc, dict):
        raise ConfigEditError(f"{path}: the top level must be a mapping")
    message = change(doc)
    plain = _plain(doc)
    try:
        validate_mapping(plain, str(path))
    except ConfigError as exc:
        raise ConfigEditError("\n".join(exc.errors)) from None
    buf = io.StringIO()
    yaml.dump(doc, buf)
    write_atomic(path, buf.getvalue())
    return message


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a crash leaves the old file or the new, never half.

    The new file keeps the old one's mode, owner and group: ``sudo edge camera add`` must not
    turn ``/etc/edge/cameras.yaml`` (root:edge 0640) into a root-only file that the service
    user can no longer read.
    """
    st = path.stat()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), st.st_mode & 0o7777)
            if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.geteuid(),
                                                                      os.getegid()):
                # not root: the file stays ours, with the old mode
                with contextlib.suppress(PermissionError):
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
