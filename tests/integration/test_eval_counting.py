"""`scripts/eval_counting.py` on PETS: JSON alone on stdout, random lines from several
seeds, explanations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SHARED_DATA, require


def test_random_lines_with_explanations_print_only_json(tmp_path: Path,
                                                        pets_video: Path) -> None:
    gt = require(SHARED_DATA / "counting" / "pets09_s2l1" / "gt.txt", "shared data missing")
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_counting.py"), "--config",
         str(ROOT / "config" / "demo.yaml"), "--model", "person", "--video", str(pets_video),
         "--gt", str(gt), "--line", "384", "0", "384", "576", "--random-lines", "4",
         "--seed", "3", "5", "--explain", str(tmp_path / "why"), "--cache",
         str(ROOT / "var" / "cache"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)  # nothing but JSON: library chatter went to stderr
    # Two draws of four: each draw's odd lines report, pooled and per seed.
    assert result["lines"] == 8 and len(result["report_lines"]) == 4
    assert sorted(result["reported_by_seed"]) == ["3", "5"]
    assert all(s["lines"] == 2 for s in result["reported_by_seed"].values())
    fixed = result["fixed_lines"][0]
    assert (fixed["true_in"], fixed["true_out"]) == (18, 13)
    assert 0 <= result["reported"]["mean"] <= 1
    errors = [e for r in result["report_lines"] + result["fixed_lines"] for e in r["errors"]]
    for e in errors:
        assert e["kind"] in ("false", "missed", "displaced") and e["cause"]
    for r in result["report_lines"] + result["fixed_lines"]:
        # What is left false or missed is the line's count error, never less.
        wrong = sum(e["kind"] != "displaced" for e in r["errors"])
        err = abs(r["in"] - r["true_in"]) + abs(r["out"] - r["true_out"])
        assert wrong >= err and (wrong - err) % 2 == 0
    # What the measurement can resolve: the detector's foot noise, and the annotated feet
    # counted with dead bands of 1 %, 2 % and that noise, on the same halves.
    floor = result["floor"]
    assert 0 < floor["foot_noise"]["median"] < floor["foot_noise"]["p90"] < 0.5
    assert {0.01, 0.02} <= {r["band"] for r in floor["bands"]}
    for row in floor["bands"]:
        assert row["chosen on"]["lines"] == 4 and row["reported on"]["lines"] == 4
        assert 0 <= row["reported on"]["mean"] <= row["reported on"]["worst"] <= 2
    strips = list((tmp_path / "why").rglob("*.jpg"))
    assert len(strips) == len(errors)
