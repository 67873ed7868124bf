"""The operator console's vendored JavaScript (scripts/vendor_js.sh): every file in
edge/ui/static/vendor is listed in MANIFEST.json with the sha256 it was vendored with, and
each package's licence ships beside it."""

from __future__ import annotations

import hashlib
import json
from typing import TypedDict

import pytest

from tests.conftest import ROOT

VENDOR = ROOT / "edge" / "ui" / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"
LICENCE_FILES = ("LICENSE.htmx", "LICENSE.uplot")
FIELDS = {"file", "package", "version", "licence", "source", "tarball_sha512", "sha256"}


class Entry(TypedDict):
    file: str
    package: str
    version: str
    licence: str
    source: str
    tarball_sha512: str
    sha256: str


def manifest() -> list[Entry]:
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} missing: run `bash scripts/vendor_js.sh`", pytrace=False)
    entries: list[Entry] = json.loads(MANIFEST.read_text())
    assert isinstance(entries, list) and entries, "MANIFEST.json must be a non-empty list"
    return entries


ENTRIES = manifest()


def test_manifest_entries_are_complete() -> None:
    files = [entry["file"] for entry in ENTRIES]
    assert len(files) == len(set(files)), f"duplicate files in MANIFEST.json: {files}"
    for entry in ENTRIES:
        assert set(entry) == FIELDS, entry
        assert entry["source"].startswith(f"npm:{entry['package']}@{entry['version']}:")
        assert entry["tarball_sha512"].startswith("sha512-")
        assert entry["licence"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry["file"])
def test_vendored_file_matches_manifest(entry: Entry) -> None:
    path = VENDOR / entry["file"]
    assert path.is_file(), f"{path} missing: run `bash scripts/vendor_js.sh`"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], (
        f"{path} differs from what scripts/vendor_js.sh vendored"
    )


@pytest.mark.parametrize("name", LICENCE_FILES)
def test_licence_present(name: str) -> None:
    path = VENDOR / name
    assert path.is_file(), f"{path} missing: run `bash scripts/vendor_js.sh`"
    assert path.read_text().strip(), f"{path} is empty"
    assert name in {entry["file"] for entry in ENTRIES}


def test_every_vendored_file_is_in_manifest() -> None:
    listed = {entry["file"] for entry in ENTRIES}
    present = {
        p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file() and p != MANIFEST
    }
    assert present - listed == set(), f"not in MANIFEST.json: {sorted(present - listed)}"
