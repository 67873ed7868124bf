"""Shared fixtures: paths to the repository, fetched models and demo media."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
MEDIA = ROOT / "var" / "media"
SHARED_DATA = Path(os.environ.get("EDGE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts folder on the path, for its imports)."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def require(path: Path, how: str) -> Path:
    """Fail (never skip) when a prerequisite that `make test` installs is missing."""
    if not path.exists():
        pytest.fail(f"{path} is missing: {how}")
    return path


@pytest.fixture(scope="session")
def person_model() -> Path:
    """The offline person detector (installed by `make models`)."""
    return require(MODELS / "person-yolov8s.pt", "run `make models`")


@pytest.fixture(scope="session")
def pose_model() -> Path:
    """The COCO-pose YOLO11n that re-draws the person model's boxes (`make models`)."""
    return require(MODELS / "person-pose-yolo11n.pt", "run `make models`")


@pytest.fixture(scope="session")
def bikes_video() -> Path:
    """The demo's bikes clip (installed by `make media`)."""
    return require(MEDIA / "bikes.mp4", "run `make media`")


@pytest.fixture(scope="session")
def pets_video() -> Path:
    """PETS 2009 S2L1 view 1 (installed by `make media`)."""
    return require(MEDIA / "vtest.avi", "run `make media`")


FACES = SHARED_DATA / "faces" / "images"


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    """The dlib face engine (loaded once; heavy)."""
    from edge.identity.faces import FaceEngine

    return FaceEngine()


def face_photo(name: str):  # type: ignore[no-untyped-def]
    """A photo of ../shared/data/faces/images as a BGR array."""
    import cv2

    img = cv2.imread(str(require(FACES / name, "../shared/data/faces is missing")))
    assert img is not None, f"{name}: not an image"
    return img

