"""Why a counted crossing has no true one: crossings the ground truth cannot contain
because the person's annotation starts past the line or ends before it
(`scripts/counting_explain.py`, `eval_counting.py --explain`)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import load_script

LINE = (0, 400, 768, 400)  # horizontal; "out" goes up the picture (y from > 400 to < 400)


@pytest.fixture(scope="module")
def ce() -> ModuleType:
    load_script("counting_lab")
    return load_script("counting_explain")


def walk(ys: dict[int, float], x: float = 700.0) -> dict[int, tuple[float, float]]:
    return {f: (x, y) for f, y in ys.items()}


def test_a_person_annotated_only_after_crossing_is_outside_the_annotation(
        ce: ModuleType) -> None:
    lab = load_script("counting_lab")
    # The track's feet are seen below the line from frame 12 (someone walking in at the
    # picture's edge); the annotation starts at frame 17, already above it.
    path = walk({f: 409.0 - 3 * (f - 12) for f in range(12, 30)})
    tracks = {11: [(f, 700.0, 395.0 - 2 * (f - 17)) for f in range(17, 40)]}
    counted = lab.Counted(19, 4, "out", 700.0, 391.0)
    assert ce.annotation_gap(counted, LINE, tracks, path) == 11
    cause = ce.classify_false(counted, LINE, [counted], {}, 11, {4: path}, False, tracks)
    assert cause == ce.OUTSIDE_ANNOTATION
    # Annotated from frame 10, below the line: the truth saw the person before the step,
    # so a count it lacks is a false one of another kind.
    seen = {11: [(f, 700.0, 415.0 - 2 * (f - 10)) for f in range(10, 40)]}
    assert ce.annotation_gap(counted, LINE, seen, path) is None
    assert ce.classify_false(counted, LINE, [counted], {}, 11, {4: path}, False,
                             seen) != ce.OUTSIDE_ANNOTATION
    # Another person's annotation starting far away explains nothing.
    far = {12: [(f, 100.0, 395.0) for f in range(17, 40)]}
    assert ce.annotation_gap(counted, LINE, far, path) is None


def test_a_person_whose_annotation_ends_before_the_line_is_outside_it(ce: ModuleType) -> None:
    lab = load_script("counting_lab")
    # Walking out of the picture downwards: the annotation stops at frame 50 at y 396, the
    # track goes on over the line and is counted "in" at frame 56.
    path = walk({f: 380.0 + 2 * (f - 40) for f in range(40, 60)})
    tracks = {5: [(f, 700.0, 380.0 + 2 * (f - 40)) for f in range(30, 49)]}
    counted = lab.Counted(56, 7, "in", 700.0, 412.0)
    assert ce.annotation_gap(counted, LINE, tracks, path) == 5
    # An annotation that ended long before the count is someone else's story.
    old = {5: [(f, 700.0, 396.0) for f in range(1, 20)]}
    assert ce.annotation_gap(counted, LINE, old, walk({f: 396.0 for f in range(1, 60)})) \
        is None
