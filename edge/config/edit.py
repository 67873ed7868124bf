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

from edge.config.loader import ConfigError, validate_mapping


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


Change = Callable[[Any], str]
"""An edit of the parsed document; returns what it did, raises ConfigEditError to refuse."""


def _add(camera_id: str, key: str, kind: str, item: dict[str, Any],
         entry: Callable[[dict[str, Any]], dict[str, Any]] = dict) -> Change:
    """The edit that appends ``item`` to the camera's list ``key`` (``lines``, ``zones``)."""
    def change(doc: Any) -> str:
        items = find(doc.get("cameras") or [], camera_id, "camera").setdefault(key, [])
        if any(str(x.get("id")) == str(item.get("id")) for x in items):
            raise ConfigEditError(f"camera {camera_id!r} already has a {kind} "
                                  f"{item.get('id')!r}")
        items.append(entry(item))
        return f"added {kind} {item.get('id')} to {camera_id}"

    return change


def _replace(camera_id: str, key: str, kind: str, item_id: str, item: dict[str, Any],
             entry: Callable[[dict[str, Any]], dict[str, Any]] = dict) -> Change:
    """The edit that replaces entry ``item_id`` of the camera's list ``key`` by ``item``
    (it may be renamed); keys ``item`` does not name are kept, keys it sets to ``None`` are
    removed, comments beside the entry stay."""
    def change(doc: Any) -> str:
        items = find(doc.get("cameras") or [], camera_id, "camera").setdefault(key, [])
        old = find(items, item_id, kind)
        new_id = str(item.get("id", item_id))
        if new_id != item_id and any(str(x.get("id")) == new_id for x in items):
            raise ConfigEditError(f"camera {camera_id!r} already has a {kind} {new_id!r}")
        for name in [k for k, v in item.items() if v is None]:
            old.pop(name, None)
        old.update(entry({k: v for k, v in item.items() if v is not None}))
        return f"changed {kind} {item_id} of {camera_id}"

    return change


def _remove(camera_id: str, key: str, kind: str, item_id: str) -> Change:
    """The edit that removes entry ``item_id`` from the camera's list ``key`` (an empty
    list's key goes too)."""
    def change(doc: Any) -> str:
        cam = find(doc.get("cameras") or [], camera_id, "camera")
        items = cam.get(key) or []
        items.remove(find(items, item_id, kind))
        if not items and key in cam:
            del cam[key]
        return f"removed {kind} {item_id} from {camera_id}"

    return change


def add_line(camera_id: str, line: dict[str, Any]) -> Change:
    """The edit that appends ``line`` (a ``LineConfig``-shaped mapping) to a camera."""
    return _add(camera_id, "lines", "line", line)


def replace_line(camera_id: str, line_id: str, line: dict[str, Any]) -> Change:
    """The edit that replaces line ``line_id`` of a camera by ``line`` (it may be renamed).

    Keys of the old entry that ``line`` does not name (``min_frames``, ``band``) are kept, and
    so are the comments beside the entry.
    """
    return _replace(camera_id, "lines", "line", line_id, line)


def remove_line(camera_id: str, line_id: str) -> Change:
    """The edit that removes line ``line_id`` from a camera."""
    return _remove(camera_id, "lines", "line", line_id)


def _flow(points: Any) -> Any:
    """``[[x, y], ...]`` as one flow-style YAML line (``[[0, 288], [768, 288], ...]``)."""
    from ruamel.yaml.comments import CommentedSeq

    out = CommentedSeq()
    for point in points:
        pair = CommentedSeq(list(point))
        pair.fa.set_flow_style()
        out.append(pair)
    out.fa.set_flow_style()
    return out


def _zone_entry(zone: dict[str, Any]) -> dict[str, Any]:
    """``zone`` as written to the file: ``None`` values left out, the polygon and classes on
    one line each."""
    from ruamel.yaml.comments import CommentedSeq

    entry: dict[str, Any] = {}
    for key, value in zone.items():
        if value is None:
            continue
        if key == "polygon" and isinstance(value, list | tuple):
            value = _flow(value)
        elif key == "classes" and isinstance(value, list | tuple):
            value = CommentedSeq(list(value))
            value.fa.set_flow_style()
        entry[key] = value
    return entry


def add_zone(camera_id: str, zone: dict[str, Any]) -> Change:
    """The edit that appends ``zone`` (a ``ZoneConfig``-shaped mapping) to a camera.

    Keys whose value is ``None`` (``dwell_s``) are left out of the file.

    Example::

        edit_config(Path("cameras.yaml"), add_zone("pets", {
            "id": "plaza", "polygon": [[0, 288], [768, 288], [768, 576]], "dwell_s": 10}))
        # -> "added zone plaza to pets"
    """
    return _add(camera_id, "zones", "zone", zone, _zone_entry)


def replace_zone(camera_id: str, zone_id: str, zone: dict[str, Any]) -> Change:
    """The edit that replaces zone ``zone_id`` of a camera by ``zone`` (it may be renamed).

    Keys of the old entry that ``zone`` does not name (``exit_grace_s``, ``anchor``) are
    kept, and so are the comments beside the entry; a key whose new value is ``None``
    (``dwell_s``) is removed.
    """
    return _replace(camera_id, "zones", "zone", zone_id, zone, _zone_entry)


def remove_zone(camera_id: str, zone_id: str) -> Change:
    """The edit that removes zone ``zone_id`` from a camera (an empty ``zones:`` key goes
    too)."""
    return _remove(camera_id, "zones", "zone", zone_id)


def set_camera_key(camera_id: str, key: str, value: Any) -> Change:
    """The edit that sets one key of a camera; ``None`` removes it (optional keys only)."""
    def change(doc: Any) -> str:
        cam = find(doc.get("cameras") or [], camera_id, "camera")
        if value is None:
            cam.pop(key, None)
            return f"{camera_id}.{key} removed"
        cam[key] = value
        return f"{camera_id}.{key} = {value}"

    return change
