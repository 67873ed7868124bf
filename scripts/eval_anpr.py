#!/usr/bin/env python3
"""Plate reading accuracy and latency on ../shared/data/anpr, per engine x localiser.

Each image is read with the plate formats of a configuration: ``default`` is ``AnprConfig()``
(Indian formats; a read that fits none is kept as read), whatever the photo's country,
``regional`` the built-in region a deployment there would set (``anpr.region: eu`` for the
European photos, ``us`` for the American ones: the label's region before any ``-``), and
``auto`` is ``anpr.region: auto`` with its default list of regions. After the full table a
summary gives each region's accuracy per configuration side by side, and how far the
default falls below the region set.

Full car photos are read as the service reads a vehicle (``PlateReader.read_picture``: the
next plate box when the best reads as nothing, a box widened when the text runs off it),
with the whole photo as the scene: a localiser (``platedet`` model, falling back to the text
detector on the whole photo when it finds no plate; or ``text``: the OCR engine's own text
detector on the whole photo) and then the plate reader of the configuration (OCR at several
heights until two reads agree); cropped plates go straight to the reader. A read counts when,
after normalisation and format correction, it equals the label exactly. ``O=0`` also counts
a read that differs from the label only by O versus 0: many US states print both with one
glyph and the labels mix them (e.g. ``IDAH0HI``), so no reader can tell; it is shown beside,
never instead. Nothing is tuned per file.

Example:
    python scripts/eval_anpr.py --data ../shared/data/anpr --engines rapidocr easyocr \\
        --localisers platedet text [--configs default regional auto] [--limit 50] [--json] \
        [--misses misses.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2

from edge.anpr.formats import apply_folds
from edge.anpr.localise import PlateLocaliser
from edge.anpr.ocr import RECOGNISERS, make_engine
from edge.anpr.reader import PlateReader
from edge.config.anpr import REGIONS, AnprConfig


def load(data: Path, limit: int | None) -> list[dict[str, str]]:
    """Rows of labels.csv (a fixed-seed sample of ``limit`` per kind when given)."""
    path = data / "labels.csv"
    if not path.exists():
        raise SystemExit(f"eval_anpr: {path}: no such file")
    rows = list(csv.DictReader(path.open()))
    if limit:
        random.Random(0).shuffle(rows)
        by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in rows:
            if len(by_kind[r["kind"]]) < limit:
                by_kind[r["kind"]].append(r)
        rows = [r for v in by_kind.values() for r in v]
    return rows


def fold_o0(text: str) -> str:
    """``text`` with every letter O written as digit 0."""
    return apply_folds(text, {"O": "0"})


CONFIGS = ("default", "regional", "auto")


def config_for(config: str, region: str) -> AnprConfig:
    """The configuration ``config`` (one of :data:`CONFIGS`) for photos of ``region``."""
    if config == "default":
        return AnprConfig()
    if config == "auto":
        return AnprConfig(region="auto")
    if region not in REGIONS:
        raise SystemExit(f"eval_anpr: labels.csv region {region!r} is no built-in region "
                         f"({', '.join(REGIONS)})")
    return AnprConfig(region=region)


def summary(table: list[dict]) -> list[dict]:
    """Per engine, localiser, kind and region: accuracy of each configuration side by side,
    and ``gap``: default minus regional, in points (negative: the default reads fewer)."""
    out: dict[tuple, dict] = {}
    for t in table:
        key = (t["engine"], t["localiser"], t["kind"], t["region"])
        row = out.setdefault(key, {"engine": t["engine"], "localiser": t["localiser"],
                                   "kind": t["kind"], "region": t["region"], "n": t["n"]})
        row[t["config"]] = t["accuracy"]
    for row in out.values():
        if "default" in row and "regional" in row:
            row["gap"] = round((row["default"] - row["regional"]) * 100, 1)
    return list(out.values())


def main(argv: list[str] | None = None) -> int:
    """Run every engine x localiser and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/anpr"))
    ap.add_argument("--engines", nargs="+", default=["rapidocr", "easyocr"])
    ap.add_argument("--localisers", nargs="+", default=["platedet", "text"])
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    ap.add_argument("--recognisers", nargs="+", default=[AnprConfig().recogniser],
                    choices=["ppocrv4", *RECOGNISERS], help="RapidOCR recognisers to measure")
    ap.add_argument("--models-dir", type=Path, default=Path("models"))
    ap.add_argument("--limit", type=int, default=None, help="sample this many per kind")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--misses", type=Path, default=None,
                    help="write every wrong read (CSV: engine, config, localiser, file, "
                         "label, read, raw) to this file")
    args = ap.parse_args(argv)
    rows = load(args.data, args.limit)
    platedet = PlateLocaliser()
    table = []
    misses: list[dict[str, str]] = []
    cfg = AnprConfig()
    engines = {}
    for name in args.engines:
        for spec in args.recognisers if name == "rapidocr" else [""]:
            label = f"{name} {spec}".strip()
            engines[label] = make_engine(name, spec or "ppocrv4", args.models_dir)
    regions = sorted({r["region"].split("-")[0] for r in rows})
    for engine_name, config in ((e, c) for e in engines for c in args.configs):
        readers = {region: PlateReader.from_config(engines[engine_name], config_for(config, region))
                   for region in regions}
        for loc in args.localisers:
            stats: dict[tuple[str, str], list[tuple[bool, bool, float]]] = defaultdict(list)
            for r in rows:
                img = cv2.imread(str(args.data / r["file"]))
                if img is None:
                    raise SystemExit(f"eval_anpr: {r['file']}: not readable")
                full = r["kind"] == "full_image"
                if not full and loc != args.localisers[0]:
                    continue  # crops need no localiser: measured once per engine
                region = r["region"].split("-")[0]
                reader = readers[region]
                t0 = time.perf_counter()
                if full:  # as the service reads a vehicle, but the whole photo is the scene
                    read, _ = reader.read_picture(
                        img, platedet if loc == "platedet" else None,
                        text_fallback=cfg.text_fallback, vehicle=False)
                else:
                    read = reader.read(img)
                ms = (time.perf_counter() - t0) * 1000
                got, want = (read.plate if read else ""), r["plate_text"]
                ok, ok_o0 = got == want, fold_o0(got) == fold_o0(want)
                kind = "full" if full else "crop"
                if not ok:
                    misses.append({"engine": engine_name, "config": config,
                                   "localiser": loc if full else "(crop)", "file": r["file"],
                                   "label": want, "read": got, "raw": read.raw if read else ""})
                stats[(kind, region)].append((ok, ok_o0, ms))
                stats[(kind, "all")].append((ok, ok_o0, ms))
            for (kind, region), res in sorted(stats.items()):
                table.append({"engine": engine_name, "config": config,
                              "localiser": loc if kind == "full" else "(crop)",
                              "kind": kind, "region": region, "n": len(res),
                              "exact": sum(r[0] for r in res),
                              "accuracy": round(sum(r[0] for r in res) / len(res), 3),
                              "accuracy_o0": round(sum(r[1] for r in res) / len(res), 3),
                              "median_ms": round(statistics.median(r[2] for r in res))})
    if args.misses:
        with args.misses.open("w", newline="") as fh:
            out = csv.DictWriter(fh, ["engine", "config", "localiser", "file", "label", "read",
                                      "raw"])
            out.writeheader()
            out.writerows(misses)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print_table(table, args.configs)
    return 0


def print_table(table: list[dict], configs: list[str]) -> None:
    """The full table, then the per-region summary (Markdown)."""
    print("| engine | config | localiser | images | region | exact | accuracy | O=0 | median ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in table:
        print(f"| {t['engine']} | {t['config']} | {t['localiser']} | {t['kind']} | {t['region']} | "
              f"{t['exact']}/{t['n']} | {t['accuracy']:.1%} | {t['accuracy_o0']:.1%} | "
              f"{t['median_ms']} |")
    print()
    print(f"| localiser | images | region | n | {' | '.join(configs)} | default - regional |")
    print("| --- | --- | --- | --- |" + " --- |" * len(configs) + " --- |")
    for r in summary(table):
        gap = f"{r['gap']:+.1f}" if "gap" in r else "-"
        accs = " | ".join(f"{r[c]:.1%}" if c in r else "-" for c in configs)
        print(f"| {r['localiser']} | {r['kind']} | {r['region']} | {r['n']} | {accs} | {gap} |")


if __name__ == "__main__":
    sys.exit(main())
