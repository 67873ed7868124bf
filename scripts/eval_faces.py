#!/usr/bin/env python3
"""Local face identity on ../shared/data/faces: enrol the `enrol` photos, identify the rest.

Reports rank-1 accuracy on `probe` photos, whether unenrolled people are rejected, the
distance margins that justify the threshold, and what the gate says about multi-face photos.

Example:
    python scripts/eval_faces.py --data ../shared/data/faces --json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2

from edge.identity.enroll import EnrollmentError, enroll_employee
from edge.identity.faces import FaceEngine, GateConfig, check_quality
from edge.identity.gallery import Gallery
from edge.identity.local import DEFAULT_THRESHOLD, LocalBackend


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    labels = args.data / "labels.csv"
    if not labels.is_file():
        print(f"eval_faces: {labels} not found", file=sys.stderr)
        return 2
    rows = list(csv.DictReader(labels.open()))
    engine = FaceEngine()
    gate = GateConfig.enrolment()
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        gallery = Gallery(Path(tmp) / "faces.db")
        backend = LocalBackend(gallery, args.threshold)
        t0 = time.perf_counter()
        for r in rows:
            if r["role"] == "enrol":
                img = cv2.imread(str(args.data / r["file"]))
                enroll_employee(engine, gallery, r["person"], r["person"], [(r["file"], img)],
                                gate=gate)
        enrol_s = time.perf_counter() - t0
        for r in rows:
            if r["role"] == "enrol":
                continue
            img = cv2.imread(str(args.data / r["file"]))
            t1 = time.perf_counter()
            faces = sorted(engine.find(img), key=lambda f: -f.size)
            # The gate's verdict is reported, but identity is measured on the faces themselves
            # (the largest one, or all of them in multi-face photos) so a gate refusal can
            # never pass for a correct rejection.
            verdict = check_quality(img, faces, GateConfig(single_face=r["role"] != "multi"))
            answers = []
            for face in faces if r["role"] == "multi" else faces[:1]:
                ident = backend.identify(engine.embed(img, face))
                answers.append({"name": ident.employee_id or "no_match",
                                "distance": round(ident.distance or -1, 3)})
            results.append({"file": r["file"], "person": r["person"], "role": r["role"],
                            "gate": verdict.reason or "ok", "answers": answers,
                            "ms": round((time.perf_counter() - t1) * 1000, 1)})
    probes = [x for x in results if x["role"] in {"probe", "crop_of_obama_a"}]
    correct = [x for x in probes if x["answers"] and x["answers"][0]["name"] == x["person"]]
    strangers = [x for x in results if x["role"] in {"impostor_unenrolled", "single"}]
    gated = [x for x in results if x["gate"] != "ok" and x["role"] != "multi"]
    rejected = [x for x in strangers
                if x["answers"] and all(a["name"] == "no_match" for a in x["answers"])]
    same = [a["distance"] for x in correct for a in x["answers"][:1]]
    summary = {
        "threshold": args.threshold, "enrolled": sum(r["role"] == "enrol" for r in rows),
        "enrol_seconds": round(enrol_s, 1),
        "rank1": f"{len(correct)}/{len(probes)}",
        "rank1_accuracy": round(len(correct) / max(len(probes), 1), 4),
        "unenrolled_rejected": f"{len(rejected)}/{len(strangers)}",
        "max_same_person_distance": max(same) if same else None,
        "gate_refused": [f"{x['file']}: {x['gate']}" for x in gated],
        "results": results,
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{'file':<34} {'role':<20} {'gate':<28} answer")
    for x in results:
        ans = ", ".join(f"{a['name']} ({a['distance']})" for a in x["answers"]) or "-"
        print(f"{x['file']:<34} {x['role']:<20} {str(x['gate'])[:28]:<28} {ans}")
    print(f"rank-1 {summary['rank1']} ({summary['rank1_accuracy']:.1%}); unenrolled rejected "
          f"{summary['unenrolled_rejected']}; threshold {args.threshold}; largest same-person "
          f"distance {summary['max_same_person_distance']}")
    for line in summary["gate_refused"]:  # type: ignore[union-attr]
        print(f"gate refused {line}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EnrollmentError as exc:
        print(f"eval_faces: enrolment failed: {exc}", file=sys.stderr)
        sys.exit(1)
