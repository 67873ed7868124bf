"""Enrolment: one function for the CLI and the API route.

Each photo must hold exactly one good face; the first photo that does not is named in the
error and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.identity.faces import FaceEngine, GateConfig
from edge.identity.gallery import Gallery

EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


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
                    gate: GateConfig | None = None) -> EnrollResult:
    """Check every photo, then store one embedding per photo for ``employee_id``.

    Args:
        photos: (label, BGR image) pairs; the label names the photo in errors.

    Raises:
        EnrollmentError: bad id or name, no photos, or a photo without exactly one good face.
    """
    if not EMPLOYEE_ID.match(employee_id):
        raise EnrollmentError("employee_id must be 1-64 letters, digits, _ . or -")
    if not name.strip():
        raise EnrollmentError("employee_name must not be empty")
    if not photos:
        raise EnrollmentError("no photo given")
    gate = gate or GateConfig()
    embeddings = []
    for label, image in photos:
        verdict = engine.gate(image, gate)
        if not verdict.ok or verdict.face is None:
            raise EnrollmentError(f"{label}: {verdict.reason}")
        embeddings.append(engine.embed(image, verdict.face))
    total = gallery.enroll(employee_id, name.strip(), embeddings, group=group, source="enroll")
    return EnrollResult(employee_id, len(embeddings), total)
