"""Enrolment: one function for the CLI and the API route.

Each photo must hold exactly one good face; the first photo that does not is named in the
error and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from edge.identity.faces import FaceEngine, GateConfig
from edge.identity.gallery import Gallery

EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class CloudCollection(Protocol):
    """A cloud face collection (``RekognitionBackend``)."""

    def index_face(self, employee_id: str, crop_bgr: np.ndarray, face: Any = None) -> str: ...

    def delete_employee(self, employee_id: str) -> int: ...


class EnrollmentError(ValueError):
    """A photo or the employee fields cannot be enrolled; the message says which and why."""


@dataclass(frozen=True)
class EnrollResult:
    """What enrolment stored."""

    employee_id: str
    faces_added: int
    faces_total: int


def enroll_employee(engine: FaceEngine, gallery: Gallery, employee_id: str, name: str,
                    photos: Sequence[tuple[str, np.ndarray]], *, group: str = "default",
                    gate: GateConfig | None = None,
                    cloud: CloudCollection | None = None) -> EnrollResult:
    """Check every photo, then store one embedding per photo for ``employee_id``.

    With a cloud collection the faces are indexed there first (``ExternalImageId`` = the
    employee id); if the cloud refuses one, the employee is removed from it again and
    nothing is stored locally.

    Args:
        photos: (label, BGR image) pairs; the label names the photo in errors.
        gate: the quality gate; by default the enrolment gate (``GateConfig.enrolment``).
        cloud: also index the faces in this collection (Rekognition backend).

    Raises:
        EnrollmentError: bad id or name, no photos, or a photo without exactly one good face.
    """
    if not EMPLOYEE_ID.match(employee_id):
        raise EnrollmentError("employee_id must be 1-64 letters, digits, _ . or -")
    if not name.strip():
        raise EnrollmentError("employee_name must not be empty")
    if not photos:
        raise EnrollmentError("no photo given")
    gate = gate or GateConfig.enrolment()
    embeddings = []
    faces: list[tuple[str, np.ndarray, Any]] = []
    for label, image in photos:
        verdict = engine.gate(image, gate)
        if not verdict.ok or verdict.face is None:
            raise EnrollmentError(f"{label}: {verdict.reason}")
        embeddings.append(engine.embed(image, verdict.face))
        faces.append((label, image, verdict.face))
    if cloud is not None:
        for label, image, face in faces:
            try:
                cloud.index_face(employee_id, image, face)
            except Exception as exc:
                try:
                    cloud.delete_employee(employee_id)
                except Exception as cleanup:  # say so; the local gallery is untouched
                    exc = RuntimeError(f"{exc}; cleaning up also failed: {cleanup}")
                raise EnrollmentError(f"{label}: the cloud collection refused it: {exc}") from exc
    total = gallery.enroll(employee_id, name.strip(), embeddings, group=group, source="enroll")
    return EnrollResult(employee_id, len(embeddings), total)


def remove_employee(gallery: Gallery, employee_id: str,
                    cloud: CloudCollection | None = None) -> bool:
    """Delete an employee's face data locally and, when configured, from the cloud collection.

    Returns:
        False when the employee was enrolled in neither place.
    """
    removed_cloud = cloud.delete_employee(employee_id) if cloud is not None else 0
    return gallery.remove(employee_id) or removed_cloud > 0
