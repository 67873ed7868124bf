"""`scripts/eval_counting.py` on PETS: JSON alone on stdout, random lines, explanations."""

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
         "--gt", str(gt), "--line", "384", "0", "384", "576", "--random-lines", "6",
         "--seed", "3", "--explain", str(tmp_path / "why"), "--cache",
         str(ROOT / "var" / "cache"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)  # nothing but JSON: library chatter went to stderr
    assert result["lines"] == 6 and len(result["report_lines"]) == 3
    fixed = result["fixed_lines"][0]
    assert (fixed["true_in"], fixed["true_out"]) == (18, 13)
    assert 0 <= result["reported"]["mean"] <= 1
    errors = [e for r in result["report_lines"] + result["fixed_lines"] for e in r["errors"]]
    for e in errors:
        assert e["kind"] in ("false", "missed") and e["cause"]
    strips = list((tmp_path / "why").rglob("*.jpg"))
    assert len(strips) == len(errors)
