"""Plate text from a CTC recogniser's output: best path, and best path that fits a format.

A *lattice* is the recogniser's per-frame probabilities folded onto the plate alphabet:
shape ``(T, 1 + 36)``, column 0 the CTC blank, columns 1.. :data:`PLATE_CHARS`. Everything
the recogniser could say that is not a plate character (dashes, dots, spaces, a province's
Chinese character, an emblem read as a symbol) is counted as blank, so it can never become
part of a plate.

Position-aware correction then becomes a search instead of a substitution table: for a
template such as ``LLDDDLL`` the decoder finds the most probable CTC path whose characters fit
the template (a letter where it demands a letter, a digit where it demands a digit), using
the recogniser's own second choices. A read of ``BA2681M`` whose ``1`` was almost an ``I``
becomes ``BA268IM``, and an emblem between two groups read as ``8`` can be dropped if the
recogniser gave a blank there some weight. The caller compares the constrained path's log
probability with the free one's to decide whether the format fits at all.

Example:
    >>> lat = one_hot("KA01AB1234")
    >>> best_path(lat)[0]
    'KA01AB1234'
    >>> fit_template(lat, "LLDDLLDDDD")[0]
    'KA01AB1234'
"""

from __future__ import annotations

import numpy as np

PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""The plate alphabet, in lattice column order (after the blank)."""

_LETTERS = np.array([c.isalpha() for c in PLATE_CHARS])
_FLOOR = 1e-6
"""Smallest probability kept (log of zero would poison the sums)."""


def plate_columns(charset: list[str]) -> list[list[int]]:
    """For each plate character, the recogniser's classes that mean it (upper and lower case
    of a letter); ``charset[0]`` is the blank."""
    return [[i for i, c in enumerate(charset) if i and c.upper() == ch] for ch in PLATE_CHARS]


def fold(probs: np.ndarray, columns: list[list[int]]) -> np.ndarray:
    """A recogniser's ``(T, C)`` probabilities as a lattice (``columns`` from
    :func:`plate_columns`): all mass that is no plate character counts as blank."""
    probs = np.asarray(probs, np.float32)
    lat = np.zeros((probs.shape[0], 1 + len(PLATE_CHARS)), np.float32)
    for k, idx in enumerate(columns):
        if idx:
            lat[:, 1 + k] = probs[:, idx].sum(axis=1)
    lat[:, 0] = np.clip(1.0 - lat[:, 1:].sum(axis=1), 0.0, 1.0)
    return lat


def one_hot(text: str, repeat: int = 2, blank: float = 0.0) -> np.ndarray:
    """A lattice that says ``text`` with certainty (for tests and examples): each character
    for ``repeat`` frames, a blank frame between characters (``blank``: blank's share in the
    character frames)."""
    rows = []
    for ch in text:
        row = np.zeros(1 + len(PLATE_CHARS), np.float32)
        row[0], row[1 + PLATE_CHARS.index(ch)] = blank, 1.0 - blank
        rows.extend([row] * repeat)
        sep = np.zeros_like(row)
        sep[0] = 1.0
        rows.append(sep)
    return np.stack(rows)


def _log(lat: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(lat, _FLOOR))


def best_path(lat: np.ndarray) -> tuple[str, float, list[float]]:
    """The most probable path collapsed to text, its log probability, and each emitted
    character's probability (the frame that emitted it first)."""
    if lat.size == 0:
        return "", 0.0, []
    idx = lat.argmax(axis=1)
    text, confs, prev = [], [], 0
    for t, i in enumerate(idx):
        if i and i != prev:
            text.append(PLATE_CHARS[i - 1])
            confs.append(float(lat[t, i]))
        prev = i
    logp = float(_log(lat)[np.arange(len(idx)), idx].sum())
    return "".join(text), logp, confs


def template_mask(template: str) -> np.ndarray:
    """``(N, 36)`` booleans: which plate characters each template position allows
    (``L`` letter, ``D`` digit, ``X`` either, any other capital only itself)."""
    mask = np.zeros((len(template), len(PLATE_CHARS)), bool)
    for i, sym in enumerate(template):
        if sym == "L":
            mask[i] = _LETTERS
        elif sym == "D":
            mask[i] = ~_LETTERS
        elif sym == "X":
            mask[i] = True
        else:
            mask[i, PLATE_CHARS.index(sym)] = True
    return mask


def fit_template(lat: np.ndarray, template: str) -> tuple[str, float] | None:
    """The most probable CTC path whose text fits ``template``, and its log probability;
    None when the lattice has too few frames for it.

    Viterbi over states (position, character) and (position, blank); a character repeated in
    two neighbouring positions needs a blank between them, as CTC requires.
    """
    n, t_len, k = len(template), lat.shape[0], len(PLATE_CHARS)
    if n == 0 or t_len < n:
        return None
    lp = _log(lat)
    allowed = template_mask(template)
    neg = -np.inf
    # char[i, c]: best log prob of paths ending in character c at position i (rows 1..n;
    # row 0 unused); blank[i]: ending in a blank after position i (blank[0]: nothing yet).
    char = np.full((n + 1, k), neg)
    blank = np.full(n + 1, neg)
    blank[0] = lp[0, 0]
    char[1] = np.where(allowed[0], lp[0, 1:], neg)
    cols, rows = np.arange(k), np.arange(n)
    src_char = np.zeros((t_len, n + 1, k), np.int8)  # 0 same char, 1 blank, 2 other char
    from_char = np.zeros((t_len, n + 1, k), np.int8)  # that other char
    src_blank = np.zeros((t_len, n + 1), np.int8)  # 0 blank, 1 the row's best char
    best_of_row = np.zeros((t_len, n + 1), np.int8)
    for t in range(1, t_len):
        prev = char[:-1]
        order = np.argsort(prev, axis=1)
        top1, top2 = order[:, -1], order[:, -2]
        is_top = cols[None, :] == top1[:, None]
        other_val = np.where(is_top, prev[rows, top2][:, None], prev[rows, top1][:, None])
        other_idx = np.where(is_top, top2[:, None], top1[:, None])
        cand = np.stack([char[1:], np.broadcast_to(blank[:-1, None], (n, k)), other_val])
        src_char[t, 1:] = cand.argmax(axis=0)
        from_char[t, 1:] = other_idx
        new_char = np.full_like(char, neg)
        new_char[1:] = np.where(allowed, cand.max(axis=0) + lp[t, 1:][None, :], neg)
        best_c = char.argmax(axis=1)
        via_char = char[np.arange(n + 1), best_c]
        src_blank[t] = via_char > blank
        best_of_row[t] = best_c
        blank = np.maximum(blank, via_char) + lp[t, 0]
        char = new_char
    end_c = int(char[n].argmax())
    logp = float(max(char[n, end_c], blank[n]))
    if logp == neg:
        return None
    in_blank, i, c = bool(blank[n] >= char[n, end_c]), n, end_c
    out = [""] * n
    for t in range(t_len - 1, 0, -1):
        if in_blank:
            if src_blank[t, i]:
                in_blank, c = False, int(best_of_row[t, i])
            continue
        out[i - 1] = PLATE_CHARS[c]
        step = src_char[t, i, c]
        if step == 1:
            i, in_blank = i - 1, True
        elif step == 2:
            i, c = i - 1, int(from_char[t, i, c])
    if not in_blank:
        out[i - 1] = PLATE_CHARS[c]
    return "".join(out), logp
