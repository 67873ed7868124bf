"""One-to-one matching of two sets of boxes by a score such as IoU."""

from __future__ import annotations

import numpy as np


def greedy_pairs(scores: np.ndarray, least: float) -> list[tuple[int, int]]:
    """Pairs (row, column) of ``scores``, highest score first, each row and each column used
    at most once, none scoring under ``least``.

    >>> greedy_pairs(np.array([[0.9, 0.6], [0.8, 0.1]]), 0.5)
    [(0, 0)]
    >>> greedy_pairs(np.array([[0.9, 0.6], [0.8, 0.7]]), 0.5)
    [(0, 0), (1, 1)]
    """
    pairs: list[tuple[int, int]] = []
    if scores.size == 0:
        return pairs
    rows: set[int] = set()
    cols: set[int] = set()
    for k in np.argsort(-scores, axis=None):
        i, j = (int(v) for v in np.unravel_index(k, scores.shape))
        if scores[i, j] < least:
            break
        if i not in rows and j not in cols:
            rows.add(i)
            cols.add(j)
            pairs.append((i, j))
    return pairs
