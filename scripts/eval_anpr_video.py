#!/usr/bin/env python3
"""Plates from video: the whole daemon on short vehicle clips, scored from ``vehicle_logs``.

Every clip of ``clips.csv`` (../shared/data/anpr_video) runs through the daemon's own App:
a file camera paced at the clip's fps in lockstep (every frame reaches inference), the
config's ``vehicle`` model, the tracker, the ANPR service (platedet, RapidOCR, voting) and the
SQLite store; the daemon stops when the file ends, as a live daemon stops. Each clip's one
labelled vehicle is then scored from its ``vehicle_logs`` rows:

* ``right``: a row's plate equals the label (dashes and spaces stripped on both sides);
* ``wrong``: no row is right but one has a plate;
* ``missing``: no row has a plate.

For ``wrong`` and ``missing`` the broken link of the chain is named (:mod:`anpr_video_diag`:
no vehicle box or no track, track too short, no plate box, plate too small or blurred, OCR
gave nothing plate-like, votes never reached a decision, OCR misread).

Every plate logged that is not the label counts as a wrong plate, background vehicles' too
(their plates are unreadable, README of the data set), so the target "no wrong plate" holds
only when nothing but the labelled plates is logged. Reads per vehicle are its
``plate_reads`` rows; the time to plate is video time from the vehicle's first frame to the
frame being processed when its plate was decided. Which frames get read depends on how fast
OCR keeps up (its interval is wall-clock time), so two runs may differ by a clip.

Clips are split deterministically: alternate rows of ``clips.csv`` are ``dev`` (even rows, used
to choose settings) and ``report`` (odd rows); a clip whose notes name a near-duplicate or the
same car goes to its partner's half.

Example:
    python scripts/eval_anpr_video.py --data ../shared/data/anpr_video --region none [--json]
    python scripts/eval_anpr_video.py --half dev --set min_votes=2   # try a setting on dev
    python scripts/eval_anpr_video.py --half dev --tracking vehicle_merge_overlap=0.7
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from anpr_video_diag import Trace, diagnose
from benchconfig import counting_only

from edge.app import App, RunOptions
from edge.config import ConfigError, load_settings, validate_mapping
from edge.config.anpr import AnprConfig
from edge.config.models import Settings
from edge.events import Event, VehicleSeen

PARTNER = re.compile(r"(?:near-duplicate footage of|same car as) (\S+?\.(?:avi|mp4))")
"""Notes that tie a clip to another one (both go to the same half)."""


def norm(plate: str | None) -> str:
    """``plate`` upper-cased, with everything but letters and digits dropped."""
    return re.sub(r"[^A-Z0-9]", "", (plate or "").upper())


def load_clips(data: Path) -> list[dict[str, str]]:
    """The rows of ``clips.csv``, each with its ``half`` (``dev`` or ``report``)."""
    path = data / "clips.csv"
    if not path.is_file():
        raise SystemExit(f"eval_anpr_video: {path}: no such file")
    rows = list(csv.DictReader(path.open()))
    half: dict[str, str] = {}
    for i, row in enumerate(rows):
        partners = PARTNER.findall(row["label_source"])
        earlier = [half[p] for p in partners if p in half]
        half[row["file"]] = earlier[0] if earlier else ("dev" if i % 2 == 0 else "report")
        row["half"] = half[row["file"]]
    return rows


@contextlib.contextmanager
def shared_models() -> Iterator[None]:
    """Load the vehicle model, the plate localiser and the OCR engine once for every clip
    (each clip's App would load them again: 4 s a clip). They hold no per-run state: the
    tracker and the votes are the App's and the service's own."""
    import edge.anpr.service as anpr_service
    import edge.app as app_module

    cache: dict[tuple[Any, ...], Any] = {}

    def once(make: Any, name: str) -> Any:
        def build(*args: Any, **kwargs: Any) -> Any:
            key = (name, *(a.model_dump_json() if hasattr(a, "model_dump_json") else str(a)
                           for a in args), *sorted((k, str(v)) for k, v in kwargs.items()))
            if key not in cache:
                cache[key] = make(*args, **kwargs)
            return cache[key]
        return build

    saved = (app_module.Detector, anpr_service.make_engine, anpr_service.PlateLocaliser)
    app_module.Detector = once(saved[0], "detector")  # type: ignore[misc]
    anpr_service.make_engine = once(saved[1], "engine")
    anpr_service.PlateLocaliser = once(saved[2], "localiser")  # type: ignore[misc]
    try:
        yield
    finally:
        app_module.Detector, anpr_service.make_engine, anpr_service.PlateLocaliser = saved  # type: ignore[misc]


def clip_settings(config: Path, clip: Path, db: Path, region: str | None,
                  anpr: dict[str, Any] | None = None,
                  tracking: dict[str, Any] | None = None) -> Settings:
    """The config's ``vehicle`` model, tracking and ``anpr`` section (``region``, ``anpr`` and
    ``tracking`` overrides applied), one camera for ``clip``, nothing else running."""
    data = counting_only(load_settings(config).model_dump(mode="json"))
    data["models"] = [m for m in data["models"] if m["name"] == "vehicle"]
    if not data["models"]:
        raise ConfigError([f"{config}: models: no model named 'vehicle'"])
    data["models"][0]["cameras"] = None
    data["cameras"] = [{"id": "clip", "url": str(clip), "loop": False}]
    data["tracking"].update(tracking or {})
    section = data["anpr"]
    section.update(enabled=True, store_plate_crops=False, **(anpr or {}))
    if region is not None:
        section["region"] = region
        for key in ("formats", "folds", "regions"):  # the region's own, not the dumped ones
            section.pop(key, None)
    if section.get("region") != "auto":
        section.pop("regions", None)  # only allowed with region: auto
    data["storage"]["path"] = str(db)
    data["metrics"]["enabled"] = False
    return validate_mapping(data, str(config))


@dataclass
class ClipResult:
    """One clip's outcome."""

    file: str
    half: str
    label: str
    outcome: str
    """``right``, ``wrong`` or ``missing``."""
    plate: str | None
    """The labelled vehicle's logged plate (or the wrong one logged)."""
    vehicles: int
    """``vehicle_logs`` rows of the clip."""
    reads: int
    """``plate_reads`` rows of the labelled vehicle (its row with the label, else the most
    read)."""
    decided_s: float | None
    """Video seconds from the vehicle's first frame to its plate's decision."""
    at_end: bool
    """The plate was decided only when the stream ended."""
    wrong_plates: list[str] = field(default_factory=list)
    """Every logged plate that is not the label (background vehicles' included)."""
    duplicates: int = 0
    """Rows beyond the first with the right plate (one vehicle logged as two tracks)."""
    queued_at_end: int = 0
    """Read jobs still queued when the stream ended (the service finishes them at stop)."""
    cause: str = ""
    """Why the labelled vehicle has no right plate (``missing`` and ``wrong``)."""


def run_clip(settings: Settings, clip: dict[str, str], data: Path,
             diagnose_misses: bool = True) -> ClipResult:
    """Run one clip through the daemon and score its ``vehicle_logs``."""
    fps = float(clip["fps"])
    trace = Trace()
    app = App(settings, RunOptions(pace=True, lockstep=True, loop_files=False),
              on_result=trace.on_result)
    decided: dict[str, tuple[int, bool]] = {}
    """Vehicle uid -> frames processed when its plate was decided, and whether the stream
    had ended by then."""
    emit, ended = app._emit, [False]

    def watch(events: list[Event]) -> None:
        for e in events:
            if isinstance(e, VehicleSeen) and e.plate_number and e.vehicle_uid not in decided:
                decided[e.vehicle_uid] = (trace.frames, ended[0])
        emit(events)

    app._emit = watch  # type: ignore[method-assign]  # services are built in start()
    app.start()
    trace.attach(next((s for s in app.services if s.name == "anpr"), None))
    app.wait_finished(120)
    ended[0] = True
    queued = trace.service.pool._queue.unfinished_tasks if trace.service is not None else 0
    app.stop()
    conn = sqlite3.connect(settings.storage.path)
    rows = conn.execute("SELECT vehicle_uid, track_id, plate_number FROM vehicle_logs").fetchall()
    reads = dict(conn.execute("SELECT vehicle_uid, COUNT(*) FROM plate_reads"
                              " GROUP BY vehicle_uid").fetchall())
    conn.close()
    label = norm(clip["plate_text"])
    right = [r for r in rows if norm(r[2]) == label]
    wrong = [r[2] for r in rows if r[2] and norm(r[2]) != label]
    main = right[0] if right else max(rows, key=lambda r: (bool(r[2]), reads.get(r[0], 0),
                                                           trace.seen.get(r[1], 0)),
                                      default=None)
    outcome = "right" if right else ("wrong" if wrong else "missing")
    uid = main[0] if main else None
    first = trace.first.get(main[1], 0) if main else 0
    when, at_end = decided.get(uid, (None, False)) if uid else (None, False)
    result = ClipResult(
        clip["file"], clip["half"], clip["plate_text"], outcome,
        main[2] if main and main[2] else (wrong[0] if wrong else None), len(rows),
        reads.get(uid, 0) if uid else 0,
        round((when - first) / fps, 2) if when is not None else None,
        at_end, wrong, max(0, len(right) - 1), queued)
    if outcome != "right" and diagnose_misses:
        result.cause = diagnose(trace, main[1] if main else None,
                                data / "clips" / clip["file"], settings)
    return result


def summary(results: list[ClipResult]) -> dict[str, Any]:
    """Counts and rates of a group of clips."""
    n = len(results)
    times = sorted(r.decided_s for r in results if r.outcome == "right"
                   and r.decided_s is not None)
    return {
        "clips": n, "right": sum(r.outcome == "right" for r in results),
        "wrong": sum(r.outcome == "wrong" for r in results),
        "missing": sum(r.outcome == "missing" for r in results),
        "right_rate": round(sum(r.outcome == "right" for r in results) / max(n, 1), 4),
        "wrong_plates": sum(len(r.wrong_plates) for r in results),
        "duplicate_rows": sum(r.duplicates for r in results),
        "reads_mean": round(sum(r.reads for r in results) / max(n, 1), 2),
        "decided_s_median": times[len(times) // 2] if times else None,
        "decided_s_max": times[-1] if times else None,
        "decided_at_end": sum(r.at_end for r in results if r.outcome == "right"),
    }


def evaluate(config: Path, data: Path, region: str | None, files: list[str] | None = None,
             anpr: dict[str, Any] | None = None, diagnose_misses: bool = True,
             tracking: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the clips (``files``: only these) and score them, per half and all."""
    clips = [c for c in load_clips(data) if not files or c["file"] in files]
    results = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, shared_models():
        for i, clip in enumerate(clips):
            settings = clip_settings(config, data / "clips" / clip["file"],
                                     Path(tmp) / f"clip{i}.db", region, anpr, tracking)
            results.append(run_clip(settings, clip, data, diagnose_misses))
            r = results[-1]
            logging.getLogger("eval_anpr_video").info(
                "%s %s: %s %s (%d reads)", r.half, r.file, r.outcome, r.plate, r.reads)
    region_used = settings.anpr.region if clips else region
    return {
        "data": str(data), "region": region_used, "seconds": round(time.monotonic() - t0, 1),
        "anpr": {k: getattr(settings.anpr, k) for k in (
            "min_votes", "min_share", "read_interval_s", "max_reads_per_track",
            "track_gone_s")} if clips else {},
        "tracking": {k: v for k, v in settings.tracking.model_dump().items()
                     if k.startswith("vehicle_") or k.endswith("threshold")} if clips else {},
        "halves": {h: summary([r for r in results if r.half == h])
                   for h in ("dev", "report")},
        "all": summary(results), "clips": [asdict(r) for r in results],
    }


def print_table(result: dict[str, Any]) -> None:
    """The README's table, then each clip that is not right with its cause."""
    print(f"{result['data']}: region {result['region']}, anpr {result['anpr']}, "
          f"tracking {result['tracking']}, {result['seconds']} s")
    print("| clips | n | right | wrong | missing | wrong plates logged | right plate logged "
          "twice | reads/vehicle | time to plate (median / max) | decided at stream end |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, s in (("dev", result["halves"]["dev"]), ("report", result["halves"]["report"]),
                    ("all", result["all"])):
        if not s["clips"]:
            continue
        times = (f"{s['decided_s_median']} s / {s['decided_s_max']} s"
                 if s["decided_s_median"] is not None else "-")
        print(f"| {name} | {s['clips']} | {s['right']} ({s['right_rate']:.0%}) | {s['wrong']} "
              f"| {s['missing']} | {s['wrong_plates']} | {s['duplicate_rows']} "
              f"| {s['reads_mean']} | {times} | {s['decided_at_end']} |")
    for r in result["clips"]:
        if r["outcome"] != "right" or r["wrong_plates"]:
            print(f"{r['half']:<6} {r['file']:<28} {r['label']:<9} {r['outcome']:<7} "
                  f"logged {r['plate']} (other plates {r['wrong_plates']}), {r['reads']} "
                  f"reads: {r['cause'] or '-'}")


def key_values(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` arguments as settings (values read as YAML: ``0.7``, ``null``)."""
    return {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in items)}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/anpr_video"),
                    help="folder with clips.csv and clips/ (default: %(default)s)")
    ap.add_argument("--config", type=Path, default=Path("config/demo.yaml"),
                    help="its vehicle model, tracking and anpr section (default: %(default)s)")
    ap.add_argument("--region", default=AnprConfig.model_fields["region"].default,
                    help="anpr.region to read with (default: the product's default, "
                    "%(default)s); 'config' keeps the config file's")
    ap.add_argument("--clips", nargs="+", help="only these files of clips.csv")
    ap.add_argument("--half", choices=["dev", "report"], help="only this half of the clips")
    ap.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                    help="anpr settings to try, e.g. min_votes=2 (YAML values)")
    ap.add_argument("--tracking", nargs="+", default=[], metavar="KEY=VALUE",
                    help="tracking settings to try, e.g. vehicle_high_conf_threshold=0.3")
    ap.add_argument("--json", action="store_true", help="only JSON on stdout")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per clip on stderr")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.verbose:
        logging.getLogger("eval_anpr_video").setLevel(logging.INFO)
    try:
        # Libraries print progress ("Loading ...") on stdout; keep it for the result.
        with contextlib.redirect_stdout(sys.stderr):
            import ultralytics  # noqa: F401  (sets its logger up; quiet it after)

            logging.getLogger("ultralytics").setLevel(logging.WARNING)
            files = args.clips or ([c["file"] for c in load_clips(args.data)
                                    if c["half"] == args.half] if args.half else None)
            result = evaluate(args.config, args.data,
                              None if args.region == "config" else args.region, files,
                              anpr=key_values(args.set), tracking=key_values(args.tracking))
    except ConfigError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
