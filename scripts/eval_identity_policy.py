#!/usr/bin/env python3
"""Cloud calls per person track under identity cache policies, replayed on the PETS video.

The real detector and tracker run over the video (detections are cached on disk after the
first run); the identity service runs with its real per-track cache and policy, but with the
face gate relaxed (every head crop counts as a face) and a stand-in cloud backend that counts
calls. The stand-in knows who is who from the ground truth: each tracked box is matched to
the annotated box with the highest IoU (>= 0.3), and that person's id is painted into the
head region of a blank frame, where the backend reads it back from the crop it is sent.
A box that matches no annotated person (a false detection) gets ``no_match``. ``--miss-rate``
makes it also answer ``no_match`` for that share of crops (faces turned away), drawn per call;
that run is repeated over ``--seeds`` seeds and averaged. Overlapping people can hand the
backend the wrong id, as a real occlusion would; such names show up in the "wrong" column.

"tracks" are the person tracks the service was allowed to ask about (seen for at least
``min_track_frames`` frames); "people" the annotated persons they matched.

Example:
    python scripts/eval_identity_policy.py --config config/demo.yaml \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edge.config import load_settings
from edge.config.identity import BudgetConfig, IdentityConfig
from edge.config.models import CameraConfig
from edge.detect.detector import Detector
from edge.events import Event, IdentityResolved
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox, GateResult
from edge.identity.service import IdentityService
from edge.pipeline.step import PERSON_ID, CameraPipeline, SiteOccupancy

POLICIES: dict[str, dict[str, float]] = {
    "default (ttl 600 s, retry 2 s, 2 attempts, 1 confirmation)": {},
    "3 attempts": {"max_attempts": 3},
    "2 confirmations, 3 attempts": {"confirmations": 2, "max_attempts": 3},
    "retry 0.5 s, 10 attempts": {"retry_interval_s": 0.5, "max_attempts": 10},
    "seed-like: cache names only, no-match asked every frame": {
        "retry_interval_s": 0.0, "max_attempts": 100},
    "no cache: every frame": {"retry_interval_s": 0.0, "max_attempts": 100, "cache_ttl_s": 1e-6},
}


def detections(config: Path, model: str, video: Path, cache: Path) -> list[sv.Detections]:
    """Per-frame canonical detections of ``video`` (computed once, then read from ``cache``)."""
    key = f"{model}:{video.resolve()}:{video.stat().st_size}"
    if cache.exists():
        stored = pickle.loads(cache.read_bytes())
        if stored.get("key") == key:
            return stored["dets"]
    settings = load_settings(config)
    (model_cfg,) = [m for m in settings.models if m.name == model]
    detector = Detector(model_cfg, Path(settings.models_dir), settings.inference.device,
                        settings.inference.threads)
    cap = cv2.VideoCapture(str(video))
    dets: list[sv.Detections] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        dets.extend(detector.predict([frame]))
        if len(dets) % 100 == 0:
            print(f"  detected {len(dets)} frames", file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps({"key": key, "dets": dets}))
    return dets


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
           shape: tuple[int, int], fps: float, policy: dict[str, float], miss_rate: float,
           tracking: object, seed: int = 7) -> dict[str, object]:
    """Run tracker + identity service over the detections; count calls and names."""
    cfg = IdentityConfig(enabled=True, backend="rekognition", workers=1, queue_max=10_000,
                         budget=BudgetConfig(per_minute=None, per_day=None, per_month=None),
                         **policy)  # type: ignore[arg-type]
    backend = StandInCloud(miss_rate, seed)
    events: list[Event] = []
    service = IdentityService(cfg, relaxed_gate, backend, events.extend)
    service.start()
    pipeline = CameraPipeline(CameraConfig(id="pets", url="replay"), tracking, SiteOccupancy(),
                              fps=fps)  # type: ignore[arg-type]
    t0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    truth: dict[int, Counter[int]] = defaultdict(Counter)
    for i, det in enumerate(dets):
        result = pipeline.process(i, t0 + timedelta(seconds=i / fps), det)
        image = np.zeros((*shape, 3), np.uint8)
        tracked = result.detections
        order = np.argsort(tracked.xyxy[:, 3]) if len(tracked) else []
        for k in order:  # nearer people (lower feet) painted last, on top
            if tracked.class_id[k] != PERSON_ID or tracked.tracker_id[k] < 0:
                continue
            box = tracked.xyxy[k]
            person = _match(box, gt.get(i, []))
            if person is not None:
                truth[int(tracked.tracker_id[k])][person] += 1
            x1, y1, x2, y2 = (int(v) for v in box)
            image[max(y1, 0):max(y1 + int(0.45 * (y2 - y1)), 0), max(x1, 0):max(x2, 0), 0] = (
                0 if person is None else person + 1)
        service.observe(image, (0, 0), result)
        service.drain()
    service.stop()
    named: dict[int, Counter[str]] = defaultdict(Counter)
    for e in events:
        if isinstance(e, IdentityResolved) and e.employee_id:
            named[e.tracker_id][e.employee_id] += 1
    people = len({c.most_common(1)[0][0] for c in truth.values()})
    wrong = sum(1 for t, c in named.items()
                if t in truth and f"P{truth[t].most_common(1)[0][0]}" not in c)
    tracks = service.eligible_tracks
    return {"calls": backend.calls, "tracks": tracks, "calls_per_track":
            round(backend.calls / max(tracks, 1), 3), "people": people,
            "calls_per_person": round(backend.calls / max(people, 1), 2),
            "tracks_named": len(named), "tracks_wrongly_named": wrong}


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
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--fps", type=float, default=7.0, help="PETS is filmed at about 7 fps")
    ap.add_argument("--miss-rate", type=float, default=0.2)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("var/cache/pets_person_dets.pkl"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for p in (args.video, args.gt, args.config):
        if not p.exists():
            print(f"eval_identity_policy: {p}: no such file", file=sys.stderr)
            return 2
    dets = detections(args.config, args.model, args.video, args.cache)
    cap = cv2.VideoCapture(str(args.video))
    shape = (int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)))
    gt = load_gt(args.gt)
    tracking = load_settings(args.config).tracking
    runs = [(0.0, [0]), (args.miss_rate, list(range(args.seeds)))]
    table = []
    for miss, seeds in runs:
        for name, pol in POLICIES.items():
            results = [replay(dets, gt, shape, args.fps, pol, miss, tracking, seed)
                       for seed in seeds]
            mean = {k: round(float(np.mean([r[k] for r in results])), 3)  # type: ignore[misc]
                    for k in results[0]}
            table.append({"policy": name, "miss_rate": miss, "seeds": len(seeds), **mean})
    if args.json:
        print(json.dumps({"frames": len(dets), "fps": args.fps, "rows": table}, indent=2))
        return 0
    print(f"PETS S2L1, {len(dets)} frames at {args.fps:g} fps; gate relaxed; stand-in cloud")
    print("| policy | misses | calls | tracks | calls/track | people | calls/person | named "
          "| wrong |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        print(f"| {r['policy']} | {r['miss_rate']:.0%} (x{r['seeds']}) | {r['calls']:g} | "
              f"{r['tracks']:g} | {r['calls_per_track']:.2f} | {r['people']:g} | "
              f"{r['calls_per_person']:.2f} | {r['tracks_named']:g} | "
              f"{r['tracks_wrongly_named']:g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
