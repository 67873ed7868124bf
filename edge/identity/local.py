"""The offline identity backend: nearest enrolled face under a distance threshold."""

from __future__ import annotations

import numpy as np

from edge.identity.answer import Identification
from edge.identity.gallery import Gallery

DEFAULT_THRESHOLD = 0.55
"""Measured on ../shared/data/faces (scripts/eval_faces.py): same person at most 0.53 apart,
different people at least 0.63 apart."""


class LocalBackend:
    """Identifies embeddings against the local gallery."""

    def __init__(self, gallery: Gallery, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.gallery = gallery
        self.threshold = threshold

    def identify(self, embedding: np.ndarray) -> Identification:
        """Nearest enrolled face if it is closer than the threshold, else ``no_match``."""
        match = self.gallery.nearest(embedding)
        if match is None or match.distance > self.threshold:
            return Identification(None, "Unknown", 0.0,
                                  None if match is None else match.distance, "no_match")
        # A readable 0-100 score: 100 at distance 0, 50 at the threshold.
        confidence = round(100.0 * max(0.0, 1.0 - match.distance / (2 * self.threshold)), 2)
        return Identification(match.employee_id, match.name, confidence, match.distance,
                              "local")
