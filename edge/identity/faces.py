"""Face step: head crop from a person box, face detection, quality gate, embedding.

The offline engine is dlib through ``face_recognition`` (HOG detector, 128-d ResNet
embedding). Only crops that pass the gate are embedded or sent to a cloud backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from edge.config.identity import IdentityConfig


@dataclass(frozen=True)
class FaceBox:
    """A face in image coordinates (``top, right, bottom, left`` as dlib reports them)."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def size(self) -> int:
        """The shorter side in pixels."""
        return min(self.bottom - self.top, self.right - self.left)


SHARPNESS_SIDE = 128
"""Side in pixels the face box is resized to before its sharpness is measured."""
LIVE_MIN_SHARPNESS = 4.5
"""Default live threshold (``identity.min_sharpness``), chosen by scripts/eval_face_gate.py."""
ENROL_MIN_SHARPNESS = 12.0
"""Default enrolment threshold (``identity.enrol_min_sharpness``), from the same script."""


@dataclass(frozen=True)
class GateConfig:
    """What a crop must be to be worth identifying.

    Attributes:
        min_face_px: shortest side of the face box (Rekognition needs at least 40 px).
        min_sharpness: least ``face_sharpness`` (Laplacian variance of the face resized to
            ``SHARPNESS_SIDE``); lower is blurred. Enrolment asks for more than live frames.
        single_face: refuse crops with more than one face (whose face would it be?).
    """

    min_face_px: int = 40
    min_sharpness: float = LIVE_MIN_SHARPNESS
    single_face: bool = True

    @classmethod
    def live(cls, cfg: IdentityConfig) -> GateConfig:
        """The gate for camera crops: ``identity.min_face_px`` and ``identity.min_sharpness``."""
        return cls(min_face_px=cfg.min_face_px, min_sharpness=cfg.min_sharpness)

    @classmethod
    def enrolment(cls, cfg: IdentityConfig | None = None) -> GateConfig:
        """The stricter gate for enrolment photos (``identity.enrol_min_sharpness``); the
        defaults without a config."""
        if cfg is None:
            return cls(min_sharpness=ENROL_MIN_SHARPNESS)
        return cls(min_face_px=cfg.min_face_px, min_sharpness=cfg.enrol_min_sharpness)


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict; ``reason`` says why a crop was refused."""

    ok: bool
    reason: str = ""
    face: FaceBox | None = None


def head_box(person_xyxy: np.ndarray, share: float = 0.45) -> np.ndarray:
    """The head region of a person box: its top ``share``, widened by 15 % each side (same
    coordinates as the box; crop it with ``Frame.crop``, which clips to the picture)."""
    x1, y1, x2, y2 = (float(v) for v in person_xyxy)
    pad = 0.15 * (x2 - x1)
    return np.array([x1 - pad, y1, x2 + pad, y1 + share * (y2 - y1)])


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: a cheap, standard blur measure (depends on the scale)."""
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def face_sharpness(image_bgr: np.ndarray, face: FaceBox, side: int = SHARPNESS_SIDE) -> float:
    """Sharpness of a face whatever its size: the grey face box resized to ``side`` pixels.

    On the raw crop the Laplacian variance falls as a face gets larger (a sharp 600 px face
    is smooth at the pixel level), so the old measure refused the best portraits. At a fixed
    size it measures detail relative to the face, which is what the recogniser sees (dlib
    embeds a 150 px chip): small faces, enlarged, and blurred faces both score low.
    """
    h, w = image_bgr.shape[:2]
    crop = image_bgr[max(face.top, 0):min(face.bottom, h), max(face.left, 0):min(face.right, w)]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return 0.0
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    shrink = max(gray.shape) > side
    gray = cv2.resize(gray, (side, side),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return sharpness(gray)


class FaceEngine:
    """Face detection and embeddings with dlib (``face_recognition``)."""

    def __init__(self, upsample: int = 1) -> None:
        import face_recognition  # heavy; only when identity is enabled

        self._fr = face_recognition
        self.upsample = upsample

    def find(self, image_bgr: np.ndarray) -> list[FaceBox]:
        """Face boxes in a BGR image."""
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        return [FaceBox(*loc) for loc in self._fr.face_locations(
            rgb, number_of_times_to_upsample=self.upsample, model="hog")]

    def embed(self, image_bgr: np.ndarray, face: FaceBox) -> np.ndarray:
        """128-d embedding of one face (unit scale: same person < ~0.5 apart)."""
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        loc = (face.top, face.right, face.bottom, face.left)
        return np.asarray(self._fr.face_encodings(rgb, [loc], num_jitters=1)[0],
                          dtype=np.float32)

    def gate(self, image_bgr: np.ndarray, config: GateConfig) -> GateResult:
        """Detect faces and apply the quality gate."""
        faces = self.find(image_bgr)
        return check_quality(image_bgr, faces, config)


def check_quality(image_bgr: np.ndarray, faces: list[FaceBox], config: GateConfig) -> GateResult:
    """Apply the gate to already-detected faces."""
    if not faces:
        return GateResult(False, "no face found")
    if config.single_face and len(faces) > 1:
        return GateResult(False, f"{len(faces)} faces found; need exactly one")
    face = max(faces, key=lambda f: f.size)
    if face.size < config.min_face_px:
        return GateResult(False, f"face is {face.size} px, below the {config.min_face_px} px "
                                 f"minimum", face)
    sharp = face_sharpness(image_bgr, face)
    if sharp < config.min_sharpness:
        return GateResult(False, f"face too blurred (sharpness {sharp:.1f} < "
                                 f"{config.min_sharpness:g})", face)
    return GateResult(True, "", face)
