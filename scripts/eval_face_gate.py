#!/usr/bin/env python3
"""Face quality gate under blur, JPEG and scale: what it lets through and what is recognised.

On ../shared/data/faces (labels.csv: file,person,role; people without an ``enrol`` row are
strangers) each probe and stranger photo is degraded in memory: Gaussian blur and JPEG on the
face resized to 120 px (a typical camera face), and rescaling so the face is 20 to 800 px.
Per level it reports rank-1 of the probes against the undegraded enrolment photos (at the
local backend's distance threshold), false accepts (strangers, and each probe against a
gallery without its own person), the face sharpness the gate measures, and what the live,
enrolment and old gates let through. A second table degrades the enrolment photos instead.

People are split deterministically (sorted names, alternating, enrolled people and strangers
separately): the thresholds are chosen on the "choose" half and the tables are for the
"report" half. Face boxes come from the detector on the degraded picture (the undegraded box
when it finds none, so recognition is still measured; the gate counts that as refused).

Example:
    python scripts/eval_face_gate.py --data ../shared/data/faces --json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.identity.faces import (
    FaceBox,
    FaceEngine,
    GateConfig,
    check_quality,
    face_sharpness,
    sharpness,
)
from edge.identity.local import DEFAULT_THRESHOLD

OLD_MIN_SHARPNESS = 10.0
"""The gate before issue 19: Laplacian variance of the raw face crop."""
BASE_FACE_PX = 120
LEVELS: list[tuple[str, str, float]] = (
    [("original", "original", 0)]
    + [("blur", f"blur sigma {s}", s) for s in (0, 1, 2, 3, 4, 6)]
    + [("jpeg", f"jpeg q{q}", q) for q in (90, 50, 30, 15, 8)]
    + [("size", f"face {p} px", p) for p in (20, 30, 40, 60, 80, 120, 160, 400, 800)])
"""(axis, name, value); blur and JPEG are applied to the face resized to ``BASE_FACE_PX``."""


@dataclass
class Photo:
    """A square crop twice the face's size around the face, and the face box in it."""

    file: str
    person: str
    role: str
    crop: np.ndarray
    box: FaceBox


@dataclass
class Sample:
    """One photo at one level: what the gate sees and the embedding of the face."""

    ok: bool  # exactly one face, at least min_face_px (the gate without sharpness)
    sharp: float
    old_sharp: float
    embedding: np.ndarray


def log(msg: str) -> None:
    """Progress on stderr (stdout carries only the results)."""
    print(f"eval_face_gate: {msg}", file=sys.stderr, flush=True)


def square_crop(image: np.ndarray, face: FaceBox) -> tuple[np.ndarray, FaceBox]:
    """A square of twice the face's size centred on it (edges replicated) and the box in it."""
    side = 2 * face.size
    y0 = (face.top + face.bottom) // 2 - face.size
    x0 = (face.left + face.right) // 2 - face.size
    h, w = image.shape[:2]
    pads = (max(0, -y0), max(0, y0 + side - h), max(0, -x0), max(0, x0 + side - w))
    big = cv2.copyMakeBorder(image, *pads, cv2.BORDER_REPLICATE)
    crop = big[y0 + pads[0]:y0 + pads[0] + side, x0 + pads[2]:x0 + pads[2] + side]
    return crop.copy(), FaceBox(face.top - y0, face.right - x0, face.bottom - y0, face.left - x0)


def rescale(crop: np.ndarray, box: FaceBox, face_px: float) -> tuple[np.ndarray, FaceBox]:
    """Resize so the face box is ``face_px`` (area when shrinking, cubic when enlarging)."""
    k = face_px / box.size
    out = cv2.resize(crop, None, fx=k, fy=k,
                     interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    return out, FaceBox(*(round(v * k) for v in (box.top, box.right, box.bottom, box.left)))


def degrade(photo: Photo, axis: str, value: float) -> tuple[np.ndarray, FaceBox]:
    """The photo's crop at one level."""
    if axis == "original":
        return photo.crop, photo.box
    if axis == "size":
        return rescale(photo.crop, photo.box, value)
    image, box = rescale(photo.crop, photo.box, BASE_FACE_PX)
    if axis == "blur":
        return (cv2.GaussianBlur(image, (0, 0), value) if value else image), box
    _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(value)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), box


def iou(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two face boxes."""
    ih = min(a.bottom, b.bottom) - max(a.top, b.top)
    iw = min(a.right, b.right) - max(a.left, b.left)
    inter = max(0, ih) * max(0, iw)
    area = ((a.bottom - a.top) * (a.right - a.left) + (b.bottom - b.top) * (b.right - b.left))
    return inter / max(area - inter, 1)


def measure(engine: FaceEngine, image: np.ndarray, known: FaceBox) -> Sample:
    """Detect, gate without the sharpness test, measure sharpness and embed the face."""
    faces = engine.find(image)
    verdict = check_quality(image, faces, GateConfig(min_sharpness=0.0))
    near = [f for f in faces if iou(f, known) >= 0.3]
    face = max(near, key=lambda f: iou(f, known)) if near else known
    h, w = image.shape[:2]
    raw = image[max(face.top, 0):min(face.bottom, h), max(face.left, 0):min(face.right, w)]
    old = sharpness(cv2.cvtColor(raw, cv2.COLOR_BGR2GRAY)) if raw.size else 0.0
    return Sample(verdict.ok and bool(near), face_sharpness(image, face), old,
                  engine.embed(image, face))


def load(engine: FaceEngine, data: Path) -> list[Photo]:
    """Enrolment, probe and stranger photos with their face found once, undegraded."""
    rows = list(csv.DictReader((data / "labels.csv").open()))
    enrolled = {r["person"] for r in rows if r["role"] == "enrol"}
    photos = []
    for r in rows:
        role = r["role"] if r["person"] in enrolled else "stranger"
        if role not in {"enrol", "probe", "stranger"} or "+" in r["person"]:
            continue
        image = cv2.imread(str(data / r["file"]))
        faces = engine.find(image) if image is not None else []
        if not faces:
            log(f"{r['file']}: no face found; left out")
            continue
        crop, box = square_crop(image, max(faces, key=lambda f: f.size))
        photos.append(Photo(r["file"], r["person"], role, crop, box))
    return photos


def split(photos: list[Photo]) -> dict[str, set[str]]:
    """Sorted names alternating, enrolled people and strangers separately."""
    enrolled = sorted({p.person for p in photos if p.role == "enrol"})
    strangers = sorted({p.person for p in photos if p.role == "stranger"})
    return {"choose": set(enrolled[0::2]) | set(strangers[0::2]),
            "report": set(enrolled[1::2]) | set(strangers[1::2])}


def nearest(gallery: np.ndarray, names: list[str], embedding: np.ndarray,
            without: str | None = None) -> tuple[str | None, float]:
    """Closest enrolled face (Euclidean, as ``Gallery.nearest``), optionally without a person."""
    dist = np.linalg.norm(gallery - embedding, axis=1)
    if without is not None:
        dist = np.where(np.array(names) == without, np.inf, dist)
    i = int(np.argmin(dist))
    return names[i], float(dist[i])


def stats(values: list[float]) -> list[float]:
    """10th percentile, median and 90th percentile."""
    return [round(float(np.percentile(values, q)), 1) for q in (10, 50, 90)] if values else []


def choose(records: list[dict], axis_ok: set[str]) -> tuple[float, float, list[dict]]:
    """Live and enrolment thresholds from the choose half's probe samples.

    Live: the most recognised faces let through minus unrecognised ones let through (ties go
    to the stricter value: a refused crop is retried on a later frame, a passed one costs a
    call). Enrolment: the least value above which no blurred or rescaled face that the gate
    would otherwise pass goes unrecognised (JPEG blocking raises the Laplacian, so JPEG
    failures cannot be seen by any sharpness threshold).
    """
    usable = [r for r in records if r["ok"]]
    curve = []
    for t in np.arange(0, 60.5, 0.5):
        passed = [r for r in usable if r["sharp"] >= t]
        good = sum(r["correct"] for r in passed)
        curve.append({"threshold": float(t), "recognised_passed": good,
                      "unrecognised_passed": len(passed) - good, "score": 2 * good - len(passed)})
    best = max(c["score"] for c in curve)
    live = max(c["threshold"] for c in curve if c["score"] == best)
    seen = [r["sharp"] for r in usable if not r["correct"] and r["axis"] in axis_ok]
    enrol = float(np.floor(max(seen)) + 1) if seen else live
    return live, max(enrol, live), curve


def run(args: argparse.Namespace) -> dict:
    """Measure every level and build the tables."""
    t0 = time.perf_counter()
    engine = FaceEngine()
    photos = load(engine, args.data)
    halves = split(photos)
    enrol = [p for p in photos if p.role == "enrol"]
    names = [p.person for p in enrol]
    gallery = np.stack([measure(engine, p.crop, p.box).embedding for p in enrol])
    log(f"{len(photos)} photos, {len(enrol)} enrolled ({time.perf_counter() - t0:.0f} s)")
    records: list[dict] = []
    enrol_levels: dict[str, dict[str, Sample]] = {}
    originals: dict[str, np.ndarray] = {}
    for axis, name, value in LEVELS:
        for p in photos:
            s = measure(engine, *degrade(p, axis, value))
            if p.role == "enrol":
                enrol_levels.setdefault(name, {})[p.person] = s
                continue
            if axis == "original":
                originals[p.file] = s.embedding
            who, dist = nearest(gallery, names, s.embedding)
            rec = {"file": p.file, "person": p.person, "role": p.role, "level": name,
                   "axis": axis, "ok": s.ok, "sharp": round(s.sharp, 2),
                   "old_sharp": round(s.old_sharp, 2),
                   "correct": p.role == "probe" and who == p.person and dist <= args.threshold,
                   "false_accept": p.role == "stranger" and dist <= args.threshold}
            if p.role == "probe":  # the same face against a gallery without this person
                rec["loo_accept"] = nearest(gallery, names, s.embedding, p.person)[1] \
                    <= args.threshold
            records.append(rec)
        log(f"{name} done ({time.perf_counter() - t0:.0f} s)")
    choosing = [r for r in records if r["person"] in halves["choose"] and r["role"] == "probe"]
    live, enrol_t, curve = choose(choosing, {"blur", "size"})
    tables = {h: table(records, enrol_levels, originals, halves[h], names, (live, enrol_t),
                       args.threshold) for h in halves}
    return {"threshold": args.threshold, "halves": {h: sorted(v) for h, v in halves.items()},
            "chosen_on": "choose", "reported_on": "report",
            "live_min_sharpness": live, "enrol_min_sharpness": enrol_t,
            "old_min_sharpness": OLD_MIN_SHARPNESS, "tables": tables, "curve": curve,
            "seconds": round(time.perf_counter() - t0, 1)}


def table(records: list[dict], enrol_levels: dict[str, dict[str, Sample]],
          originals: dict[str, np.ndarray], half: set[str], names: list[str],
          thresholds: tuple[float, float], threshold: float) -> dict[str, list[dict]]:
    """Per-level rows for one half: probes degraded, and enrolment photos degraded.

    Args:
        originals: embeddings of the undegraded probes, by file.
        thresholds: live and enrolment sharpness thresholds.
        threshold: the backend's distance threshold.
    """
    live, enrol_t = thresholds
    probes_rows, enrol_rows = [], []
    for _, name, _ in LEVELS:
        at = [r for r in records if r["level"] == name and r["person"] in half]
        probes = [r for r in at if r["role"] == "probe"]
        trials = [r["false_accept"] for r in at if r["role"] == "stranger"] + [
            r["loo_accept"] for r in probes]
        passed = [r for r in probes if r["ok"] and r["sharp"] >= live]
        probes_rows.append({
            "level": name, "probes": len(probes), "one_face": sum(r["ok"] for r in probes),
            "rank1": sum(r["correct"] for r in probes), "stranger_trials": len(trials),
            "false_accepts": sum(trials), "sharpness_p10_p50_p90": stats(
                [r["sharp"] for r in probes]),
            "live_passed": len(passed), "rank1_of_passed": sum(r["correct"] for r in passed),
            "enrol_passed": sum(r["ok"] and r["sharp"] >= enrol_t for r in probes),
            "old_passed": sum(r["ok"] and r["old_sharp"] >= OLD_MIN_SHARPNESS for r in probes)})
        # Enrolment from this level's photos; the half's probes undegraded.
        samples = enrol_levels[name]
        degraded = np.stack([samples[n].embedding for n in names])
        mine_probes = [r for r in records if r["level"] == "original" and r["person"] in half
                       and r["role"] == "probe"]
        correct = 0
        for r in mine_probes:
            who, dist = nearest(degraded, names, originals[r["file"]])
            correct += who == r["person"] and dist <= threshold
        mine = [samples[n] for n in names if n in half]
        enrol_rows.append({
            "level": name, "enrolled": len(mine), "rank1": correct, "probes": len(mine_probes),
            "sharpness_p10_p50_p90": stats([s.sharp for s in mine]),
            "enrol_passed": sum(s.ok and s.sharp >= enrol_t for s in mine),
            "old_passed": sum(s.ok and s.old_sharp >= OLD_MIN_SHARPNESS for s in mine)})
    return {"probes_degraded": probes_rows, "enrolment_degraded": enrol_rows}


def frac(k: int, n: int) -> str:
    """``k/n (pct)``."""
    return f"{k}/{n} ({k / n:.0%})" if n else "-"


def render(result: dict) -> str:
    """The report half's tables as Markdown, with the chosen thresholds."""
    rows = result["tables"]["report"]
    live, enrol = result["live_min_sharpness"], result["enrol_min_sharpness"]
    out = [f"Thresholds chosen on the 'choose' half ({', '.join(result['halves']['choose'])}): "
           f"live min_sharpness {live:g}, enrol_min_sharpness {enrol:g}.",
           f"Tables on the 'report' half ({', '.join(result['halves']['report'])}); distance "
           f"threshold {result['threshold']}; blur and JPEG on the face at {BASE_FACE_PX} px.",
           "", "Probes degraded, enrolment photos as taken",
           "| level | one face >= 40 px | rank-1 | false accepts | sharpness p10 / p50 / p90 "
           f"| live gate (>= {live:g}) passes | rank-1 of passed | enrol gate (>= {enrol:g}) "
           f"passes | old gate (raw >= {OLD_MIN_SHARPNESS:g}) passes |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows["probes_degraded"]:
        n = r["probes"]
        out.append(" | ".join([
            f"| {r['level']}", frac(r["one_face"], n), frac(r["rank1"], n),
            frac(r["false_accepts"], r["stranger_trials"]),
            " / ".join(f"{v:g}" for v in r["sharpness_p10_p50_p90"]),
            frac(r["live_passed"], n), frac(r["rank1_of_passed"], r["live_passed"]),
            frac(r["enrol_passed"], n), frac(r["old_passed"], n)]) + " |")
    out += ["", "Enrolment photos degraded, probes as taken",
            "| level | rank-1 of probes | enrolment sharpness p10 / p50 / p90 | enrol gate "
            "passes | old gate passes |", "| --- | --- | --- | --- | --- |"]
    for r in rows["enrolment_degraded"]:
        out.append(" | ".join([
            f"| {r['level']}", frac(r["rank1"], r["probes"]),
            " / ".join(f"{v:g}" for v in r["sharpness_p10_p50_p90"]),
            frac(r["enrol_passed"], r["enrolled"]), frac(r["old_passed"], r["enrolled"])]) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                    help="distance threshold of the local backend")
    ap.add_argument("--json", action="store_true", help="print only JSON on stdout")
    args = ap.parse_args(argv)
    if not (args.data / "labels.csv").is_file():
        log(f"{args.data / 'labels.csv'} not found")
        return 2
    result = run(args)
    log(f"done in {result['seconds']} s")
    print(json.dumps(result) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
