"""Files taken out of Debian packages without root: ``apt-get download`` + ``dpkg -x``.

Used for the PETS 2009 demo video (``vtest.avi`` in ``opencv-doc``). Falls back to an
installed copy or a local data folder, and always checks the sha256.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edge.assets.catalog import FetchError, sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DebMember:
    """A file inside a Debian package, with known-good fallbacks."""

    name: str
    package: str
    member: str
    sha256: str
    fallbacks: tuple[str, ...] = ()


VTEST = DebMember(
    name="vtest.avi",
    package="opencv-doc",
    member="usr/share/doc/opencv-doc/examples/data/vtest.avi",
    sha256="45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
    fallbacks=("/usr/share/doc/opencv-doc/examples/data/vtest.avi",
               "../shared/data/counting/pets09_s2l1/vtest.avi"),
)


def _install_checked(src: Path, dest: Path, sha256: str) -> bool:
    if not src.is_file() or sha256_file(src) != sha256:
        return False
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return True


def fetch_deb_member(item: DebMember, target_dir: Path) -> Path:
    """Put ``item`` into ``target_dir`` (idempotent) and return its path.

    Raises:
        FetchError: no source gave a file with the expected digest.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    dest = target_dir / item.name
    if dest.is_file() and sha256_file(dest) == item.sha256:
        return dest
    for fallback in item.fallbacks:
        if _install_checked(Path(fallback), dest, item.sha256):
            log.info("copied %s from %s", item.name, fallback)
            return dest
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(["apt-get", "download", item.package], cwd=tmp,
                              capture_output=True, text=True, check=False)
        debs = list(Path(tmp).glob(f"{item.package}_*.deb"))
        if proc.returncode != 0 or not debs:
            errors.append(f"apt-get download {item.package}: {proc.stderr.strip()[-300:]}")
        else:
            out = Path(tmp) / "x"
            subprocess.run(["dpkg", "-x", str(debs[0]), str(out)], check=True)
            if _install_checked(out / item.member, dest, item.sha256):
                log.info("extracted %s from %s", item.name, debs[0].name)
                return dest
            errors.append(f"{debs[0].name}: {item.member} missing or wrong sha256")
    raise FetchError(f"could not obtain {item.name}: {'; '.join(errors)} "
                     f"(run `apt-get update` once if the package lists are empty)")
