#!/usr/bin/env python3
"""Counting accuracy of the real pipeline against MOT ground truth.

Runs the daemon's own App (capture thread in lockstep so every frame is processed, the
configured detector, tracker and line counters) on one video, then compares each line's
entries/exits with the true crossings of the ground-truth tracks.

Each ``--line x1 y1 x2 y2`` is configured with ``in_side: right``, so walking from the left
to the right of the directed line (cross product negative -> positive) is ``in``.

Example:
    python scripts/eval_counting.py --config config/demo.yaml \\
        --video ../shared/data/counting/pets09_s2l1/vtest.avi \\
        --gt ../shared/data/counting/pets09_s2l1/gt.txt --line 384 0 384 576 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench_live import apply_variant
from benchconfig import beside_the_rest, counting_only, settings_changes, wait_for_the_video
from counting_floor import floor, foot_noise
from counting_lab import count_error
from counting_settings import counter_settings, tracking_settings

from edge.analytics.groundtruth import (
    count_true_crossings,
    load_mot,
    load_mot_heights,
    sequence_fps,
    true_crossing_events,
)
from edge.app import App, RunOptions
from edge.config import ConfigError, load_settings, validate_mapping
from edge.config.models import TrackingConfig


def build_settings(config: Path, video: Path, lines: list[list[int]], db: Path,
                   model: str | None, fmt: str | None = None, motion: bool = False,
                   fps: float | None = None, counter: dict | None = None,
                   rest: str | None = None, changes: dict | None = None) -> object:
    """The config's models, tracking and inference settings, with one camera for ``video``
    (every model run as ``fmt`` when given; with the motion gate when ``motion``; at
    ``fps`` when its header is wrong; ``counter``: line settings on every line).

    With ``rest``, a camera of the config: the video takes its place and the rest of the
    config runs beside it (:func:`benchconfig.beside_the_rest`); ``changes``: settings
    changed by dotted path (``bench_live.apply_variant``)."""
    base = load_settings(config).model_dump(mode="json")
    if changes:
        base = apply_variant(base, changes)
    camera = {"id": "eval", "url": str(video), "loop": False, "motion": {"enabled": motion},
              "fps": fps,
              "lines": [{"id": f"line{i}", "start": ln[:2], "end": ln[2:], "in_side": "right",
                         **(counter or {})} for i, ln in enumerate(lines)]}
    if rest:
        try:
            data = beside_the_rest(base, rest, camera)
        except ValueError as exc:
            raise ConfigError([f"{config}: --with-rest: {exc}"]) from exc
        data["storage"]["path"] = str(db)
        data["metrics"]["enabled"] = False
        return validate_mapping(data, str(config))
    data = counting_only(base)
    if model:
        data["models"] = [m for m in data["models"] if m["name"] == model]
        if not data["models"]:
            raise ConfigError([f"{config}: models: no model named {model!r}"])
    for m in data["models"]:
        m["cameras"] = None
        if fmt:
            m["format"] = fmt
    data["cameras"] = [camera]
    data["storage"]["path"] = str(db)
    data["metrics"]["enabled"] = False
    return validate_mapping(data, str(config))


def evaluate(args: argparse.Namespace) -> dict[str, object]:
    """Run the pipeline on the video and score every line.

    With ``--realtime`` the file plays at its rate and the loop analyses what it keeps up
    with (the capture thread keeps the newest frame, as for a live camera), and with
    ``--random-lines`` the reported half of the draws is counted as well."""
    import counting_lab as lab

    tracks = load_mot(args.gt)
    realtime = getattr(args, "realtime", False)
    fixed = [list(ln) for ln in args.line or []]
    drawn: list[list[int]] = []
    choosing: list[list[int]] = []
    width, height, header_fps, total = lab.video_info(args.video) if realtime else (0, 0, 0.0, 0)
    if realtime and args.random_lines:
        draws = [lab.random_lines(tracks, args.random_lines, seed, width, height)
                 for seed in args.seed]
        drawn = [list(ln) for d in draws for ln in d[1::2]]
        choosing = [list(ln) for d in draws for ln in d[0::2]]
    lines = fixed + drawn + choosing
    with tempfile.TemporaryDirectory() as tmp:
        settings = build_settings(args.config, args.video, lines, Path(tmp) / "eval.db",
                                  args.model, getattr(args, "format", None),
                                  getattr(args, "motion", False),
                                  lab.known_rate(args.gt, getattr(args, "fps", None)),
                                  counter_settings(getattr(args, "counter", None) or []),
                                  getattr(args, "with_rest", None),
                                  settings_changes(getattr(args, "set", None) or []))
        if getattr(args, "tracking", None):
            settings = settings.model_copy(update={"tracking": tracking_settings(  # type: ignore[attr-defined]
                settings.tracking, args.tracking)})  # type: ignore[attr-defined]
        rest = getattr(args, "with_rest", None)
        # The rest of the config loops its files as the daemon does; the video plays once.
        app = App(settings, RunOptions(pace=realtime, lockstep=not realtime,  # type: ignore[arg-type]
                                       loop_files=None if rest else False))
        t0 = time.monotonic()
        app.start()
        if rest:
            wait_for_the_video(app, 4.0 * total / max(header_fps, 1.0) + 120.0)
        else:
            app.wait_finished()
        elapsed = time.monotonic() - t0
        # The video's camera's own frames (with --with-rest the loop analyses others too).
        frames = app.stats["eval"].total_frames
        pipeline = app.loop.pipelines["eval"] if app.loop else None
        app.stop()
    assert pipeline is not None
    counts = pipeline.line_counts()
    rows = []
    for i, ln in enumerate(lines):
        truth = count_true_crossings(tracks, tuple(float(v) for v in ln))  # type: ignore[arg-type]
        got_in, got_out = counts[f"line{i}"]
        err = count_error(truth.left_to_right, truth.right_to_left, got_in, got_out)
        rows.append({"line": ln, "true_in": truth.left_to_right, "true_out": truth.right_to_left,
                     "in": got_in, "out": got_out, "error": round(err, 4)})
    out: dict[str, object] = {
        "video": str(args.video), "frames": frames, "seconds": round(elapsed, 1),
        "fps": round(frames / max(elapsed, 1e-6), 2), "lines": rows[:len(fixed)],
        "error": round(sum(r["error"] for r in rows[:len(fixed)]) / max(len(fixed), 1), 4),  # type: ignore[misc]
    }
    if realtime:
        out["realtime"] = {"video_frames": total, "mean_gap": round(total / max(frames, 1), 2),
                           "last_gap": pipeline.frame_gap}
    if drawn:
        report = rows[len(fixed):len(fixed) + len(drawn)]
        out["report_lines"] = report
        out["reported"] = lab.summary([r["error"] for r in report])  # type: ignore[misc]
        # the other half too: a setting for live counting is chosen on it
        out["choosing"] = lab.summary([r["error"] for r in rows[len(fixed) + len(drawn):]])  # type: ignore[misc]
    return out


def lab_run(args: argparse.Namespace) -> dict[str, object]:
    """Random lines: choose settings on one half, report on the other (and on ``--line``);
    explain every error of the reported lines when asked."""
    import counting_lab as lab
    from counting_explain import causes, score_lines

    settings = build_settings(args.config, args.video, [], Path(args.cache) / "unused.db",
                              args.model)
    if args.tracking:
        settings = settings.model_copy(update={"tracking": tracking_settings(  # type: ignore[attr-defined]
            settings.tracking, args.tracking)})  # type: ignore[attr-defined]
    tracks = load_mot(args.gt)
    # Colour signatures only when a replay can compare colours: the search tries weights
    # above 0, or the config sets one.
    colours = bool(args.choose) or settings.tracking.appearance_weight > 0  # type: ignore[attr-defined]
    detections = lab.cached_detections(settings, settings.models[0], args.video,  # type: ignore[attr-defined]
                                       Path(args.cache), signatures=colours)
    width, height, _fps, _n = lab.video_info(args.video)
    fps = lab.frame_rate(args.video, args.gt, args.fps)
    draws = [lab.random_lines(tracks, args.random_lines, seed, width, height)
             for seed in args.seed]
    # Each draw's even lines choose, its odd lines report; several seeds pool their halves.
    choosing = [ln for d in draws for ln in d[0::2]]
    reporting = [ln for d in draws for ln in d[1::2]]
    lines = [ln for d in draws for ln in d]
    truth = {ln: true_crossing_events(tracks, tuple(map(float, ln))) for ln in
             [*lines, *map(tuple, args.line or [])]}
    counter = counter_settings(args.counter or [])
    tracking: dict[str, object] = {}
    trials: list[dict[str, object]] = []
    if args.choose:
        counter, tracking, trials = lab.choose(
            detections, choosing, [truth[ln] for ln in choosing], settings, fps,  # type: ignore[arg-type]
            counter, (0, 0, width, height), gaps=args.gaps, every=args.camera_every)
    run_settings = settings.model_copy(update={"tracking": settings.tracking.model_copy(  # type: ignore[attr-defined]
        update=tracking)})

    def score(group: list[tuple[int, ...]], explain: Path | None = None) -> list[dict]:
        return score_lines(detections, group, truth, run_settings, fps, counter,  # type: ignore[arg-type]
                           (0, 0, width, height), tracks, args.video, explain,
                           args.gaps, args.camera_every)

    explain_dir = Path(args.explain) if args.explain else None
    report = score(reporting, explain_dir / "reported" if explain_dir else None)
    fixed = score([tuple(ln) for ln in args.line], explain_dir / "fixed" if explain_dir
                  else None) if args.line else []
    chosen_rows = score(choosing)
    resolution = measurement_floor(args.gt, tracks, detections, choosing, reporting)
    half = args.random_lines // 2
    per_seed = {str(seed): lab.summary([r["error"] for r in report[i * half:(i + 1) * half]])
                for i, seed in enumerate(args.seed)} if len(args.seed) > 1 else {}
    return {"video": str(args.video), "seed": args.seed, "gaps": args.gaps,
            "camera_every": args.camera_every, "fps": fps,
            "lines": len(lines),
            "counter": counter, "tracking": tracking, "chosen_on": [list(x) for x in choosing],
            "choosing": lab.summary([r["error"] for r in chosen_rows]),
            "reported": lab.summary([r["error"] for r in report]), "report_lines": report,
            "reported_by_seed": per_seed,
            "fixed_lines": fixed, "trials": len(trials),
            "causes": causes(report + fixed) if explain_dir else {},
            "reported_within_annotation": lab.summary(
                [r["error_within_annotation"] for r in report]) if explain_dir else {},
            "floor": resolution}


FLOOR_BANDS = (0.01, 0.02)
"""Dead bands (box heights) the resolution floor is shown for, beside the detector's own
measured foot noise."""


def measurement_floor(gt: Path, tracks: dict, detections: list, choosing: list,
                      reporting: list) -> dict[str, object]:
    """The detector's foot noise against the annotated feet, and the error of the annotated
    feet themselves counted with a dead band of 1 %, 2 % and that noise (README, "What the
    measurement can resolve")."""
    noise = foot_noise(detections, gt)
    bands = sorted({*FLOOR_BANDS, round(noise["median"], 3)})
    return {"foot_noise": noise, "bands": floor(
        tracks, load_mot_heights(gt), {"chosen on": choosing, "reported on": reporting},
        bands)}


def print_lab(result: dict) -> None:
    """The README's table and the chosen settings, in plain text."""
    seeds = ", ".join(map(str, result["seed"]))
    print(f"{result['video']}: {result['lines']} random lines (seeds {seeds}), "
          f"each crossed 8+ times; settings chosen on half of them, reported on the other"
          + (f"; analysed frames {'/'.join(map(str, result['gaps']))} frames apart"
             if result.get("gaps", [1]) != [1] else "")
          + (f"; a camera of every {result['camera_every']}th frame"
             if result.get("camera_every", 1) != 1 else ""))
    print(f"counter: {result['counter']}; tracker changes: {result['tracking'] or 'none'}")
    print("| lines | n | mean | median | 90th pct | worst |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, key in (("chosen on", "choosing"), ("reported on (not used to choose)",
                                                   "reported")):
        s = result[key]
        print(f"| {name} | {s['lines']} | {s['mean']:.1%} | {s['median']:.1%} | "
              f"{s['p90']:.1%} | {s['worst']:.1%} |")
    for seed, s in result["reported_by_seed"].items():
        print(f"| reported on, seed {seed} | {s['lines']} | {s['mean']:.1%} | "
              f"{s['median']:.1%} | {s['p90']:.1%} | {s['worst']:.1%} |")
    w = result.get("reported_within_annotation")
    if w:
        print(f"| reported on, crossings outside the annotation left out | {w['lines']} | "
              f"{w['mean']:.1%} | {w['median']:.1%} | {w['p90']:.1%} | {w['worst']:.1%} |")
    for r in result["fixed_lines"]:
        within = (f" ({r['error_within_annotation']:.1%} with crossings outside the "
                  "annotation left out)" if "error_within_annotation" in r else "")
        print(f"fixed line {' '.join(map(str, r['line']))}: true {r['true_in']}/"
              f"{r['true_out']}, counted {r['in']}/{r['out']}, error {r['error']:.1%}{within}")
    fl = result.get("floor")
    if fl:
        n = fl["foot_noise"]
        print(f"detected feet off the annotated ones (each person's offset removed), in box "
              f"heights: median {n['median']:.1%}, 75th pct {n['p75']:.1%}, 90th pct "
              f"{n['p90']:.1%} ({n['matches']} boxes)")
        print("resolution floor: the annotated feet counted with a dead band, against the "
              "strict truth")
        print("| dead band | lines | mean | median | 90th pct | worst | lines > 8 % | "
              "lines > 15 % |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in fl["bands"]:
            for name in ("chosen on", "reported on"):
                s = row[name]
                print(f"| {row['band']:.1%} | {name} | {s['mean']:.1%} | {s['median']:.1%} | "
                      f"{s['p90']:.1%} | {s['worst']:.1%} | {s['over_8pct']} | "
                      f"{s['over_15pct']} |")
    for cause, n in result["causes"].items():
        print(f"{n:4d}  {cause}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    import counting_lab as lab

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    lab.add_line_arguments(ap)
    ap.add_argument("--model", help="Use only this model of the config (default: all).")
    ap.add_argument("--format", help="Run the models as this format (e.g. onnx-int8).")
    ap.add_argument("--choose", action="store_true", help="with --random-lines: choose the "
                    "counter and tracker settings on half the lines, report on the rest")
    ap.add_argument("--explain", metavar="DIR", help="with --random-lines: list every false "
                    "and missed crossing with its cause, and write picture strips to DIR")
    ap.add_argument("--gaps", type=int, nargs="+", default=[1], metavar="K",
                    help="with --random-lines: analyse only some frames, each after the last "
                    "by one of these gaps (drawn the same way every run), as a box whose "
                    "inference cannot keep up with the camera; the truth stays at full rate")
    ap.add_argument("--realtime", action="store_true",
                    help="play the video at its rate and analyse what the box keeps up with "
                    "(the loop skips frames as for a live camera; with --random-lines, the "
                    "reported half of the draws is counted too)")
    ap.add_argument("--with-rest", metavar="CAMERA",
                    help="with --realtime: the video takes the place of this camera of the "
                    "config, and the config's other cameras, models and modules (face "
                    "identity, plate reading) run beside it, as in the daemon")
    ap.add_argument("--set", action="append", metavar="SETTING=VALUE",
                    help="with --with-rest: a config setting changed by dotted path (repeat), "
                    "e.g. anpr.worker_nice=0")
    ap.add_argument("--fps", type=float, metavar="F",
                    help="the video's frame rate, where its header is wrong (default: "
                    "frameRate of the seqinfo.ini beside --gt, else the header's)")
    ap.add_argument("--camera-every", type=int, default=1, metavar="K",
                    help="with --random-lines: a slower camera, which delivers only every "
                    "K-th frame of the video at its fps / K (the truth stays at full rate)")
    ap.add_argument("--counter", action="append", metavar="SETTING=VALUE",
                    help="with --random-lines: a line counter setting other than its default "
                    "(repeat), e.g. gap_scaled=false")
    ap.add_argument("--tracking", action="append", metavar="SETTING=VALUE",
                    help="with --random-lines: a tracker setting other than the config's "
                    "(repeat), e.g. predict_skipped=false")
    args = ap.parse_args(argv)
    if not args.line and not args.random_lines:
        ap.error("give --line at least once, or --random-lines N")
    if args.realtime and (args.choose or args.explain or args.gaps != [1]
                          or args.camera_every != 1):
        ap.error("--realtime plays the video as a camera: no --choose, --explain, --gaps "
                 "or --camera-every")
    if min(args.gaps) < 1 or (args.gaps != [1] and not args.random_lines):
        ap.error("--gaps needs whole numbers of frames, 1 or more, and --random-lines")
    if args.fps is not None and not 0 < args.fps <= 240:
        ap.error(f"--fps {args.fps}: a frame rate between 0 and 240")
    if args.camera_every < 1 or (args.camera_every != 1 and not args.random_lines):
        ap.error("--camera-every needs a whole number of frames, 1 or more, and --random-lines")
    if (args.with_rest or args.set) and not (args.realtime and args.with_rest
                                             and not args.model):
        ap.error("--with-rest needs --realtime and runs every model of the config (no "
                 "--model); --set needs --with-rest")
    if (args.tracking or args.counter) and not (args.random_lines or args.realtime):
        ap.error("--counter and --tracking need --random-lines or --realtime")
    try:
        counter_settings(args.counter or [])
        tracking_settings(TrackingConfig(), args.tracking or [])
        settings_changes(args.set or [])
        if args.gt.is_file():
            sequence_fps(args.gt)
    except ValueError as exc:
        ap.error(str(exc))
    rc, result = lab.run_quietly("eval_counting", args,
                                 lambda a: lab_run(a) if a.random_lines and not a.realtime
                                 else evaluate(a))
    if result is None:
        return rc
    if args.json:
        print(json.dumps(result, default=float))  # numpy scalars in explanations
        return 0
    if args.random_lines and not args.realtime:
        print_lab(result)
        return 0
    print(f"{result['video']}: {result['frames']} frames in {result['seconds']} s "
          f"({result['fps']} fps)")
    if "realtime" in result:
        rt = result["realtime"]
        print(f"played at its rate: {result['frames']} of {rt['video_frames']} frames "  # type: ignore[index]
              f"analysed, 1 in {rt['mean_gap']} on average (last usual gap {rt['last_gap']:g})")  # type: ignore[index]
    for half in ("reported", "choosing"):
        if half in result:
            s = result[half]
            print(f"{s['lines']} {half} random lines: mean {s['mean'] * 100:.1f} %, median "  # type: ignore[index]
                  f"{s['median'] * 100:.1f} %, 90th pct {s['p90'] * 100:.1f} %, worst "  # type: ignore[index]
                  f"{s['worst'] * 100:.1f} %")  # type: ignore[index]
    print(f"{'line':<22} {'true_in':>7} {'true_out':>8} {'in':>4} {'out':>4} {'error':>7}")
    for r in result["lines"]:  # type: ignore[union-attr]
        print(f"{' '.join(map(str, r['line'])):<22} {r['true_in']:>7} {r['true_out']:>8} "
              f"{r['in']:>4} {r['out']:>4} {r['error'] * 100:>6.1f}%")
    if result["lines"]:
        print(f"mean error {result['error'] * 100:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
