#!/usr/bin/env python3
"""Cloud calls, wrong names and wrong attendance marks per identity policy, replayed on PETS.

The real detector and tracker run over the video (detections are cached on disk after the
first run); the identity service runs with its real per-track cache, policy and switch watch
(``identity.switches``), and the attendance book with the demo camera's lines, but with the
face gate relaxed (every head crop counts as a face) and a stand-in cloud backend that counts
calls. The stand-in knows who is who from the ground truth: each tracked box is matched to
the annotated box with the highest IoU (>= 0.3), and that person's id is painted into the top
quarter of the box (the head) on the real frame, where the backend reads it back from the
crop it is sent; the rest of the frame is the video's, so the colour check sees real bodies.
A box that matches no annotated person (a false detection) gets ``no_match``. ``--miss-rate``
makes it also answer ``no_match`` for that share of crops (faces turned away), drawn per call;
that run is repeated over ``--seeds`` seeds and averaged. Overlapping people can hand the
backend the wrong id, as a real occlusion would.

Columns: "tracks" are the person tracks the service was allowed to ask about (seen for at
least ``min_track_frames`` frames); "people" the annotated persons they matched; "named" the
tracks given a name; "wrong" the named tracks whose name, counted over the frames it was
served, is most often not their majority person; "never right" the named tracks never given
their majority person's name (the definition of earlier READMEs); "marks" the check-ins and
check-outs the attendance book holds at the end (crossings of the demo line), "wrong marks"
those attributed to someone other than the person the track followed at that moment;
"corrections" the ``AttendanceCorrected`` events.

Example:
    python scripts/eval_identity_policy.py --config config/demo.yaml \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import supervision as sv

from edge.analytics.attendance import AttendanceBook
from edge.capture.slot import Frame
from edge.config import load_settings
from edge.config.identity import AttendanceConfig, BudgetConfig, IdentityConfig
from edge.config.models import CameraConfig
from edge.events import AttendanceCorrected, Event, IdentityResolved
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox, GateResult
from edge.identity.service import CameraRole, IdentityService
from edge.pipeline.step import PERSON_ID, CameraPipeline, SiteOccupancy

OFF = {"switches": {"enabled": False}}
POLICIES: dict[str, dict[str, object]] = {
    "default (ttl 600 s, retry 2 s, 2 attempts, 1 confirmation, switch watch)": {},
    "switch watch, overlap from IoU 0.3": {"switches": {"overlap_iou": 0.3}},
    "switch watch, no colour check": {"switches": {"appearance": None}},
    "switch watch, 1 re-ask": {"switches": {"max_reasks": 1}},
    "switch watch, no re-ask after no_match": {"switches": {"reask_after_no_match": False}},
    "before: no switch watch": OFF,
    "before: 2 confirmations, 3 attempts": {"confirmations": 2, "max_attempts": 3, **OFF},
    "seed-like: cache names only, no-match asked every frame": {
        "retry_interval_s": 0.0, "max_attempts": 100, **OFF},
    "no cache: every frame": {"retry_interval_s": 0.0, "max_attempts": 100,
                              "cache_ttl_s": 1e-6, **OFF},
}


def detections(config: Path, model: str, video: Path, cache: Path) -> list[sv.Detections]:
    """Per-frame canonical detections of ``video`` by ``model`` of ``config``, from
    ``counting_lab``'s cache in the folder ``cache`` (the same boxes the counting
    evaluation replays; detected and cached on first use)."""
    import counting_lab as lab

    settings = load_settings(config)
    (model_cfg,) = [m for m in settings.models if m.name == model]
    return lab.cached_detections(settings, model_cfg, video, cache)


def load_gt(path: Path) -> dict[int, list[tuple[int, np.ndarray]]]:
    """Annotated boxes per 0-based frame: (person id, xyxy)."""
    out: dict[int, list[tuple[int, np.ndarray]]] = defaultdict(list)
    for row in path.read_text().splitlines():
        if row.strip():
            f, i, x, y, w, h = (float(v) for v in row.split(",")[:6])
            out[int(f) - 1].append((int(i), np.array([x, y, x + w, y + h], np.float32)))
    return out


class StandInCloud:
    """Counts calls; names the person whose id is painted in the crop's centre."""

    name = "stand-in"
    cloud = True

    def __init__(self, miss_rate: float, seed: int = 7) -> None:
        self.miss_rate = miss_rate
        self.rng = random.Random(seed)
        self.calls = 0

    def identify(self, crop: np.ndarray, face: FaceBox | None) -> Identification:
        self.calls += 1
        h, w = crop.shape[:2]
        person = int(crop[h // 2, w // 2, 0]) - 1
        if person < 0 or self.rng.random() < self.miss_rate:
            return Identification(None, "Unknown", 0.0, None, "no_match")
        return Identification(f"P{person}", f"P{person}", 99.0, None, "aws")


def relaxed_gate(crop: np.ndarray) -> GateResult:
    """Every crop is a good face: this replay measures the policy, not the gate."""
    h, w = crop.shape[:2]
    return GateResult(True, "", FaceBox(0, w, h, 0))


def replay(dets: list[sv.Detections], gt: dict[int, list[tuple[int, np.ndarray]]],
           video: Path, fps: float, policy: dict[str, object], miss_rate: float,
           camera: CameraConfig, tracking: object, seed: int = 7) -> dict[str, object]:
    """Run tracker, identity service and attendance over the video; count calls, names and
    attendance marks against the ground truth."""
    cfg = IdentityConfig(enabled=True, backend="rekognition", workers=1, queue_max=10_000,
                         budget=BudgetConfig(per_minute=None, per_day=None, per_month=None),
                         **policy)  # type: ignore[arg-type]
    backend = StandInCloud(miss_rate, seed)
    events: list[Event] = []
    book = AttendanceBook(AttendanceConfig(), ZoneInfo("UTC"))
    lines = frozenset(ln.id for ln in camera.lines if ln.counts_occupancy)
    role = CameraRole(attendance_lines=lines)
    service = IdentityService(cfg, relaxed_gate, backend, events.extend, attendance=book,
                              cameras={camera.id: role})
    service.start()
    pipeline = CameraPipeline(camera, tracking, SiteOccupancy(), fps=fps)  # type: ignore[arg-type]
    t0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    truth: dict[int, Counter[int]] = defaultdict(Counter)
    truth_at: dict[int, dict[int, int]] = defaultdict(dict)
    served: dict[int, Counter[str]] = defaultdict(Counter)
    cap = cv2.VideoCapture(str(video))
    for i, det in enumerate(dets):
        ok, image = cap.read()
        if not ok:
            raise SystemExit(f"eval_identity_policy: {video}: ended at frame {i}")
        result = pipeline.process(i, t0 + timedelta(seconds=i / fps), det)
        tracked = result.detections
        order = np.argsort(tracked.xyxy[:, 3]) if len(tracked) else []
        for k in order:  # nearer people (lower feet) painted last, on top
            if tracked.class_id[k] != PERSON_ID or tracked.tracker_id[k] < 0:
                continue
            box = tracked.xyxy[k]
            person = _match(box, gt.get(i, []))
            if person is not None:
                truth[int(tracked.tracker_id[k])][person] += 1
                truth_at[int(tracked.tracker_id[k])][i] = person
            x1, y1, x2, y2 = (int(v) for v in box)
            image[max(y1, 0):max(y1 + int(0.25 * (y2 - y1)), 0), max(x1, 0):max(x2, 0), 0] = (
                0 if person is None else person + 1)
        ticket = service.observe(Frame("cam", image, 0), result)
        service.drain()
        for answer in ticket.answers:
            if answer.answer.employee_id:
                served[answer.track_id][answer.answer.employee_id] += 1
    service.stop()
    named: dict[int, Counter[str]] = defaultdict(Counter)
    for e in events:
        if isinstance(e, IdentityResolved) and e.employee_id:
            named[e.tracker_id][e.employee_id] += 1
    major = {t: f"P{c.most_common(1)[0][0]}" for t, c in truth.items()}
    people = len(set(major.values()))
    never_right = sum(1 for t, c in named.items() if t in major and major[t] not in c)
    wrong = sum(1 for t, c in served.items() if t in major and c.most_common(1)[0][0] != major[t])
    marks = book.marks()
    wrong_marks = sum(1 for employee, _cam, track, _d, ts in marks
                      if _person_at(truth_at, major, track, (ts - t0).total_seconds() * fps)
                      not in (None, employee))
    tracks = service.eligible_tracks
    return {"calls": backend.calls, "tracks": tracks, "calls_per_track":
            round(backend.calls / max(tracks, 1), 3), "people": people,
            "calls_per_person": round(backend.calls / max(people, 1), 2),
            "tracks_named": len(set(named) | set(served)), "tracks_wrongly_named": wrong,
            "tracks_never_right": never_right, "marks": len(marks), "wrong_marks": wrong_marks,
            "corrections": sum(isinstance(e, AttendanceCorrected) for e in events),
            "reasks": service.cache.reasks, "namesakes": service.cache.namesakes,
            "stale_doubts": service.cache.stale_doubts, "inferred": service.cache.inferred}


def _person_at(truth_at: dict[int, dict[int, int]], major: dict[int, str], track: int | None,
               frame: float) -> str | None:
    """Who ``track`` followed at ``frame`` (nearest matched frame within 3), else its
    majority person."""
    if track is None:
        return None
    near = [(abs(f - frame), p) for f, p in truth_at.get(track, {}).items()
            if abs(f - frame) <= 3]
    if near:
        return f"P{min(near)[1]}"
    return major.get(track)


def _match(box: np.ndarray, annotated: list[tuple[int, np.ndarray]]) -> int | None:
    best, best_iou = None, 0.3
    for person, gt_box in annotated:
        ix = max(0.0, min(box[2], gt_box[2]) - max(box[0], gt_box[0]))
        iy = max(0.0, min(box[3], gt_box[3]) - max(box[1], gt_box[1]))
        inter = ix * iy
        union = ((box[2] - box[0]) * (box[3] - box[1])
                 + (gt_box[2] - gt_box[0]) * (gt_box[3] - gt_box[1]) - inter)
        iou = inter / union if union > 0 else 0.0
        if iou >= best_iou:
            best, best_iou = person, iou
    return best


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every policy, print the table (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    ap.add_argument("--model", default="person")
    ap.add_argument("--camera", default="pets", help="camera of --config whose lines count")
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--fps", type=float, default=7.0, help="PETS is filmed at about 7 fps")
    ap.add_argument("--miss-rate", type=float, default=0.2)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--policies", nargs="*", type=int, default=None,
                    help="row numbers of POLICIES to run (0-based; default all)")
    ap.add_argument("--cache", type=Path, default=Path("var/cache"),
                    help="where detections are cached (shared with eval_counting.py)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for p in (args.video, args.gt, args.config):
        if not p.exists():
            print(f"eval_identity_policy: {p}: no such file", file=sys.stderr)
            return 2
    settings = load_settings(args.config)
    cameras = {c.id: c for c in settings.cameras}
    if args.camera not in cameras:
        print(f"eval_identity_policy: --camera {args.camera!r}: not in {args.config} "
              f"(cameras: {', '.join(cameras)})", file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # model loading prints to stdout
        dets = detections(args.config, args.model, args.video, args.cache)
    gt = load_gt(args.gt)
    chosen = [(n, p) for k, (n, p) in enumerate(POLICIES.items())
              if args.policies is None or k in args.policies]
    runs = [(0.0, [0]), (args.miss_rate, list(range(args.seeds)))]
    runs = [(miss, seeds) for miss, seeds in runs if seeds]
    table = []
    for miss, seeds in runs:
        for name, pol in chosen:
            results = [replay(dets, gt, args.video, args.fps, pol, miss, cameras[args.camera],
                              settings.tracking, seed) for seed in seeds]
            mean = {k: round(float(np.mean([r[k] for r in results])), 3)  # type: ignore[misc]
                    for k in results[0]}
            table.append({"policy": name, "miss_rate": miss, "seeds": len(seeds), **mean})
            print(f"  {name} {miss:.0%}: {mean}", file=sys.stderr)
    if args.json:
        print(json.dumps({"frames": len(dets), "fps": args.fps, "rows": table}, indent=2))
        return 0
    print(f"PETS S2L1, {len(dets)} frames at {args.fps:g} fps; gate relaxed; stand-in cloud")
    print("| policy | misses | calls | tracks | calls/track | people | calls/person | named "
          "| wrong | never right | marks | wrong marks | corrections |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(f"| {r['policy']} | {r['miss_rate']:.0%} (x{r['seeds']}) | {r['calls']:g} | "
              f"{r['tracks']:g} | {r['calls_per_track']:.2f} | {r['people']:g} | "
              f"{r['calls_per_person']:.2f} | {r['tracks_named']:g} | "
              f"{r['tracks_wrongly_named']:g} | {r['tracks_never_right']:g} | "
              f"{r['marks']:g} | {r['wrong_marks']:g} | {r['corrections']:g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
