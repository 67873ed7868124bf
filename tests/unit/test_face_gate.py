"""The face quality gate (issue 19): sharpness measured at a fixed face size, separate
thresholds for enrolment and live identification."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.config.identity import IdentityConfig
from edge.identity.enroll import enroll_employee
from edge.identity.faces import (
    ENROL_MIN_SHARPNESS,
    LIVE_MIN_SHARPNESS,
    FaceBox,
    FaceEngine,
    GateConfig,
    GateResult,
    check_quality,
    face_sharpness,
    sharpness,
)
from edge.identity.gallery import Gallery
from tests.conftest import face_photo, load_script

photo = face_photo


def face_of(engine: FaceEngine, img: np.ndarray) -> FaceBox:
    return max(engine.find(img), key=lambda f: f.size)


def portrait(engine: FaceEngine, name: str, side: int = 1200) -> np.ndarray:
    """A studio-style square portrait: the face about half the picture, enlarged (cubic)."""
    img = photo(name)
    face = face_of(engine, img)
    half = int(0.95 * face.size)
    cy, cx = (face.top + face.bottom) // 2, (face.left + face.right) // 2
    crop = cv2.copyMakeBorder(img, half, half, half, half, cv2.BORDER_REPLICATE)[
        cy:cy + 2 * half, cx:cx + 2 * half]
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)


def raw_sharpness(img: np.ndarray, face: FaceBox) -> float:
    """The measure before issue 19: Laplacian variance of the face crop as it is."""
    crop = img[max(face.top, 0):face.bottom, max(face.left, 0):face.right]
    return sharpness(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))


@pytest.mark.parametrize("name", ["kit_harington_a.jpg", "paul_allen_a.jpg"])
def test_a_large_smooth_sharp_portrait_is_accepted(engine: FaceEngine, name: str) -> None:
    big = portrait(engine, name)
    verdict = engine.gate(big, GateConfig.enrolment())
    assert verdict.ok, verdict.reason
    assert verdict.face is not None and verdict.face.size > 500
    # The old gate (raw Laplacian variance >= 10) refused exactly this photo.
    assert raw_sharpness(big, verdict.face) < 10
    assert face_sharpness(big, verdict.face) > 10 * ENROL_MIN_SHARPNESS


def test_sharpness_does_not_depend_on_the_face_size(engine: FaceEngine) -> None:
    img = photo("rose_leslie_a.jpg")
    face = face_of(engine, img)
    new, old = [], []
    for k in (0.5, 1.0, 2.0, 4.0):
        scaled = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC if k > 1
                            else cv2.INTER_AREA)
        box = FaceBox(*(round(v * k) for v in (face.top, face.right, face.bottom, face.left)))
        new.append(face_sharpness(scaled, box))
        old.append(raw_sharpness(scaled, box))
    assert max(new) / min(new) < 3
    assert max(old) / min(old) > 30


def blurred_face(sigma: float) -> tuple[np.ndarray, FaceBox]:
    """obama_a with the face at 120 px, blurred by ``sigma``; the face box found beforehand."""
    img = photo("obama_a.jpg")
    box = FaceBox(top=142, right=617, bottom=409, left=349)  # dlib's box on the photo (267 px)
    k = 120 / box.size
    small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    scaled = FaceBox(*(round(v * k) for v in (box.top, box.right, box.bottom, box.left)))
    return (cv2.GaussianBlur(small, (0, 0), sigma) if sigma else small), scaled


def test_the_face_box_used_above_is_dlibs(engine: FaceEngine) -> None:
    found = face_of(engine, photo("obama_a.jpg"))
    assert abs(found.top - 142) <= 3 and abs(found.left - 349) <= 3 and found.size == 267


def test_a_heavily_blurred_face_is_refused_by_both_gates() -> None:
    img, box = blurred_face(6)
    for gate in (GateConfig(), GateConfig.enrolment()):
        verdict = check_quality(img, [box], gate)
        assert not verdict.ok and verdict.reason.startswith("face too blurred")
    sharp, box = blurred_face(0)
    assert check_quality(sharp, [box], GateConfig.enrolment()).ok


def test_enrolment_and_live_thresholds_are_separate() -> None:
    defaults = IdentityConfig()
    assert defaults.min_sharpness == LIVE_MIN_SHARPNESS == GateConfig().min_sharpness
    assert defaults.enrol_min_sharpness == ENROL_MIN_SHARPNESS > LIVE_MIN_SHARPNESS
    cfg = IdentityConfig(min_sharpness=3, enrol_min_sharpness=20, min_face_px=50)
    assert GateConfig.live(cfg) == GateConfig(min_face_px=50, min_sharpness=3)
    assert GateConfig.enrolment(cfg) == GateConfig(min_face_px=50, min_sharpness=20)
    # A moderately blurred face is good enough to look up but not to enrol.
    for sigma in (1.5, 1.75, 2.0, 2.25, 2.5, 3.0):
        img, box = blurred_face(sigma)
        if LIVE_MIN_SHARPNESS <= face_sharpness(img, box) < ENROL_MIN_SHARPNESS:
            break
    else:
        pytest.fail("no blur level between the live and the enrolment threshold")
    assert check_quality(img, [box], GateConfig()).ok
    verdict = check_quality(img, [box], GateConfig.enrolment())
    assert not verdict.ok and "too blurred" in verdict.reason


def test_enrolment_uses_the_enrolment_gate_by_default(tmp_path: Path) -> None:
    seen: list[GateConfig] = []

    class Engine:
        def gate(self, image: np.ndarray, config: GateConfig) -> GateResult:
            seen.append(config)
            return GateResult(True, "", FaceBox(0, 10, 10, 0))

        def embed(self, image: np.ndarray, face: FaceBox) -> np.ndarray:
            return np.zeros(128, np.float32)

    img = np.zeros((10, 10, 3), np.uint8)
    enroll_employee(Engine(), Gallery(tmp_path / "g.db"), "E1", "A", [("a", img)])  # type: ignore[arg-type]
    assert seen == [GateConfig.enrolment()]


def test_old_yaml_keys_stay_valid() -> None:
    assert IdentityConfig.model_validate({"min_sharpness": 10}).min_sharpness == 10
    with pytest.raises(ValueError):
        IdentityConfig.model_validate({"enrol_min_sharpness": -1})


def test_eval_script_splits_people_and_rescales_faces() -> None:
    script = load_script("eval_face_gate")
    crop = np.zeros((200, 200, 3), np.uint8)
    people = [script.Photo(f"{n}.jpg", n, role, crop, FaceBox(50, 150, 150, 50))
              for n, role in (("b", "enrol"), ("a", "enrol"), ("c", "enrol"), ("z", "stranger"),
                              ("y", "stranger"), ("a", "probe"))]
    halves = script.split(people)
    assert halves == {"choose": {"a", "c", "y"}, "report": {"b", "z"}}
    for axis, _, value in script.LEVELS:
        image, box = script.degrade(people[0], axis, value)
        want = {"original": 100, "size": value}.get(axis, script.BASE_FACE_PX)
        assert abs(box.size - want) <= 1 and image.shape[0] == pytest.approx(2 * want, abs=2)
