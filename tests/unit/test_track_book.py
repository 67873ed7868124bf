"""What services share: full-frame crops whatever the ROI, and one per-track lifecycle."""

from __future__ import annotations

import numpy as np

from edge.capture.slot import Frame
from edge.pipeline.tracks import TrackBook


def test_a_crop_is_cut_from_the_whole_picture_even_when_the_detector_saw_a_roi() -> None:
    whole = np.zeros((100, 200, 3), np.uint8)
    whole[10:20, 150:170] = 255  # a face beside the ROI's edge
    roi = whole[0:100, 100:160]  # what the detector was given
    frame = Frame("cam", roi, 1, offset=(100, 0), full=whole)
    crop = frame.crop((150, 10, 170, 20))  # full-frame box, partly outside the ROI
    assert crop.shape == (10, 20, 3) and crop.min() == 255
    assert frame.crop((300, 300, 400, 400)).size == 0  # outside the picture: empty


def test_tracks_are_made_once_counted_per_frame_and_gone_after_the_wait() -> None:
    made: list[tuple[str, int]] = []
    book: TrackBook[str] = TrackBook(2.0, lambda key: made.append(key) or f"state{key[1]}")
    for now in (0.0, 0.5, 1.0):
        seen = book.see(("a", 1), now)
    book.see(("b", 1), 1.0)
    assert (seen.state, seen.frames, seen.first, seen.last) == ("state1", 3, 0.0, 1.0)
    assert made == [("a", 1), ("b", 1)]
    assert book.gone("a", 2.9) == []  # 1.9 s unseen: not yet
    assert book.gone("a", 3.1) == [(("a", 1), "state1")]
    assert [k for k, _ in book.clear()] == [("b", 1)] and len(book) == 0
