"""Moments when a person track's cached name may stop being true.

A tracker can hand one person's id to another where two people cross, where one occludes the
other, or when a lost track is re-found on somebody else. The name cached for that id then
follows the wrong person. :class:`SwitchWatch` looks at each camera's person tracks frame by
frame and names the tracks whose identity is in doubt, and why:

* ``overlap`` — the box overlapped another person's box by at least ``overlap_iou`` and,
  once the two are apart again (below ``clear_iou``), the track's body colours look more like
  what the *other* track looked like before the overlap than like its own (by ``swap_margin``):
  the ids were probably swapped (the other track is reported as its swap ``partner``). When
  the other track was never seen clear before the overlap (it appeared inside it, as a
  person stepping out from behind another or a detection split off a group does), there is
  nothing to compare with: the track is in doubt only if its own colours moved
  ``appearance_confirm`` away, as after a gap. Without colours (no picture, ``appearance``
  off) every such overlap puts both names in doubt. Overlapping tracks are never asked about
  while they overlap: a face crop would show two people;
* ``refound`` — the track was missing for at least ``gap_frames`` frames and came back;
* ``jump`` — the box's foot point moved more than ``jump`` box heights in one frame, or its
  height changed by more than ``size_ratio`` times;
  (both only when the body's colours also moved ``appearance_confirm`` away from the track's
  average, or when there are no colours to tell: detections flicker and boxes of partly
  hidden people jump all the time;)
* ``appearance`` — the colour of the body (an HSV histogram of the box below the head)
  drifted more than ``appearance`` (Bhattacharyya distance) from the track's running average.

It is cheap: box arithmetic for every track, and one small histogram per track per frame.

Example:
    >>> import numpy as np
    >>> watch = SwitchWatch(SwitchConfig())
    >>> boxes = np.array([[0, 0, 50, 400], [10, 0, 60, 400]], float)
    >>> for _ in range(2):
    ...     view = watch.update("cam", [1, 2], boxes)
    >>> view.overlapping == {1, 2}
    True
    >>> boxes[1] += [100, 0, 100, 0]  # apart; no picture, no colours to tell: both in doubt
    >>> sorted(watch.update("cam", [1, 2], boxes).suspects.items())
    [(1, 'overlap'), (2, 'overlap')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.config.identity import SwitchConfig


@dataclass
class _Track:
    box: np.ndarray
    frame: int
    hist: np.ndarray | None = None
    hist_frames: int = 0
    overlapped: bool = False
    pairs: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = field(
        default_factory=dict)
    """Tracks overlapped since last clear: (my colours before, theirs before)."""
    pending: str = ""
    """A gap or a jump waiting to be judged by the colours of the next clear frames."""
    since: float = 0.0
    """When the first event now waiting to be judged happened."""
    last: float = 0.0
    """When the latest one happened (the last frame the track overlapped someone)."""
    probe: list[np.ndarray] = field(default_factory=list)
    """Colours of the clear frames since that event."""


@dataclass
class SwitchView:
    """One frame's verdict for one camera."""

    suspects: dict[int, str] = field(default_factory=dict)
    """Track id -> why its name is in doubt (first reason found this frame)."""
    since: dict[int, float] = field(default_factory=dict)
    """Track id -> when the event that put it in doubt happened (the ``now`` of that
    frame's :meth:`SwitchWatch.update`)."""
    last: dict[int, float] = field(default_factory=dict)
    """Track id -> when the latest event behind the doubt happened: a name given from a face
    seen at or after this time already belongs to the person the track follows now."""
    partners: dict[int, int] = field(default_factory=dict)
    """Track id -> the track it seems to have swapped ids with (``overlap`` doubts only: its
    colours now look like how that track looked before the overlap)."""
    overlapping: set[int] = field(default_factory=set)
    """Tracks overlapping another person now: their face crops would show two people."""


class SwitchWatch:
    """Per-camera bookkeeping of person boxes; see the module docstring."""

    def __init__(self, cfg: SwitchConfig) -> None:
        self.cfg = cfg
        self._tracks: dict[str, dict[int, _Track]] = {}
        self._frames: dict[str, int] = {}

    def update(self, camera_id: str, track_ids: Sequence[int], boxes: np.ndarray,
               image: np.ndarray | None = None, now: float = 0.0) -> SwitchView:
        """Look at this frame's person tracks (full-frame ``xyxy`` boxes); ``image`` (BGR,
        same coordinates) enables the colour checks; ``now`` is the frame's time."""
        view = SwitchView()
        if not self.cfg.enabled:
            return view
        frame = self._frames[camera_id] = self._frames.get(camera_id, 0) + 1
        known = self._tracks.setdefault(camera_id, {})
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        ids = [int(t) for t in track_ids]
        self._overlaps(ids, boxes, known, view, now)
        colours = image is not None and self.cfg.appearance is not None
        for tid, box in zip(ids, boxes, strict=True):
            state = known.get(tid)
            hidden = tid in view.overlapping  # an occluded body is not its own colour
            hist = body_histogram(image, box) if colours and not hidden else None
            if state is None:
                known[tid] = _Track(box.copy(), frame, hist, int(hist is not None))
                continue
            reason = self._motion(state, box, frame)
            state.box, state.frame = box.copy(), frame
            if reason:
                state.last = now
            if reason and not state.pending:
                state.pending, state.probe = reason, []
                state.since = state.since if state.pairs else now
            if hidden or not (state.pending or state.pairs):
                self._appearance(state, hist, tid, view, now)
                continue
            if colours and hist is None:
                continue  # too small to see this frame
            if hist is not None:
                state.probe.append(hist)
                if len(state.probe) < self.cfg.confirm_frames:
                    continue
            verdict, partner = self._judge(state)
            if verdict and tid not in view.suspects:
                view.suspects[tid], view.since[tid], view.last[tid] = (
                    verdict, state.since, state.last)
                if partner is not None:
                    view.partners[tid] = partner
            if state.probe:
                state.hist = np.mean(state.probe, axis=0).astype(np.float32)
                state.hist_frames = len(state.probe)
            state.pending, state.pairs, state.probe = "", {}, []
        return view

    def forget(self, camera_id: str, track_ids: Iterable[int]) -> None:
        """Drop ended tracks."""
        known = self._tracks.get(camera_id, {})
        for tid in track_ids:
            known.pop(tid, None)

    def _overlaps(self, ids: list[int], boxes: np.ndarray, known: dict[int, _Track],
                  view: SwitchView, now: float) -> None:
        if len(ids) < 2:
            for tid in ids:
                if tid in known:
                    known[tid].overlapped = False
            return
        iou = _iou_matrix(boxes)
        np.fill_diagonal(iou, 0.0)
        worst = iou.max(axis=1)
        for k, tid in enumerate(ids):
            state = known.get(tid)
            if worst[k] >= self.cfg.overlap_iou:
                view.overlapping.add(tid)
                if state is None:
                    continue
                state.overlapped, state.last = True, now
                if not (state.pairs or state.pending):
                    state.since, state.probe = now, []
                for j in np.flatnonzero(iou[k] >= self.cfg.overlap_iou):
                    other = known.get(ids[j])
                    if ids[j] not in state.pairs:
                        state.pairs[ids[j]] = (state.hist, other.hist if other else None)
            elif worst[k] >= self.cfg.clear_iou and state is not None and state.overlapped:
                view.overlapping.add(tid)  # not yet clear of the other person
                state.last = now
            elif state is not None:
                state.overlapped = False

    def _judge(self, state: _Track) -> tuple[str, int | None]:
        """The reason to doubt a track's name after a gap, a jump or overlaps, judged by the
        colours of its clear frames since (``state.probe``), and the track it seems to have
        swapped with (the one whose earlier colours it now has; without colours, the only
        one it overlapped); ("", None) when they look like the same person. Against a track
        never seen clear before the overlap (it appeared inside it), the track is judged by
        its own colours, as after a gap. Without colours to compare, the event alone is the
        reason."""
        now = np.mean(state.probe, axis=0).astype(np.float32) if state.probe else None
        only = next(iter(state.pairs)) if len(state.pairs) == 1 else None
        for other, (mine, theirs) in state.pairs.items():
            if now is None or mine is None:
                return "overlap", only
            same = float(cv2.compareHist(mine, now, cv2.HISTCMP_BHATTACHARYYA))
            if theirs is None:  # never seen clear before: did this track stay itself?
                if same > self.cfg.appearance_confirm:
                    return "overlap", other
                continue
            cross = float(cv2.compareHist(theirs, now, cv2.HISTCMP_BHATTACHARYYA))
            if cross + self.cfg.swap_margin < same:
                return "overlap", other
        if state.pending:
            if now is None or state.hist is None:
                return state.pending, None
            drift = float(cv2.compareHist(state.hist, now, cv2.HISTCMP_BHATTACHARYYA))
            if drift > self.cfg.appearance_confirm:
                return state.pending, None
        return "", None

    def _motion(self, state: _Track, box: np.ndarray, frame: int) -> str:
        cfg = self.cfg
        if frame - state.frame >= cfg.gap_frames:
            return "refound"
        height = max(state.box[3] - state.box[1], 1.0)
        new_height = max(box[3] - box[1], 1.0)
        foot = np.array([(box[0] + box[2]) / 2, box[3]])
        old_foot = np.array([(state.box[0] + state.box[2]) / 2, state.box[3]])
        steps = max(frame - state.frame, 1)
        if float(np.linalg.norm(foot - old_foot)) / height / steps > cfg.jump:
            return "jump"
        ratio = new_height / height
        if ratio > cfg.size_ratio or ratio < 1.0 / cfg.size_ratio:
            return "jump"
        return ""

    def _appearance(self, state: _Track, hist: np.ndarray | None, tid: int,
                    view: SwitchView, now: float) -> None:
        if hist is None:
            return
        if state.hist is None:
            state.hist, state.hist_frames = hist, 1
            return
        if state.hist_frames >= self.cfg.appearance_warmup and self.cfg.appearance is not None:
            drift = float(cv2.compareHist(state.hist, hist, cv2.HISTCMP_BHATTACHARYYA))
            if drift > self.cfg.appearance:
                if tid not in view.suspects:
                    view.suspects[tid], view.since[tid], view.last[tid] = (
                        "appearance", now, now)
                state.hist, state.hist_frames = hist, 1  # a new person: start again
                return
        rate = 1.0 / min(state.hist_frames + 1, 10)
        state.hist = ((1 - rate) * state.hist + rate * hist).astype(np.float32)
        state.hist_frames += 1


def body_histogram(image: np.ndarray, box: np.ndarray, bins: tuple[int, int] = (12, 6)
                   ) -> np.ndarray | None:
    """Normalised hue-saturation histogram of a person box below the head (from 25 % to
    90 % of its height, middle 60 % of its width), or None when that is under 8x8 px."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    left, right = max(int(x1 + 0.2 * bw), 0), min(int(x2 - 0.2 * bw), w)
    top, bottom = max(int(y1 + 0.25 * bh), 0), min(int(y1 + 0.9 * bh), h)
    if right - left < 8 or bottom - top < 8:
        return None
    hsv = cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(bins), [0, 180, 0, 256])
    total = float(hist.sum())
    return (hist / total).astype(np.float32) if total > 0 else None


def _iou_matrix(boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area[:, None] + area[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
