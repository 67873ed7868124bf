"""`scripts/eval_edge_lines.py` on PETS: a camera's region of interest, lines along its
borders, the real detector; JSON alone on stdout, and the border on a track's path
(`border_crossing`) counting people the detector finds only inside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SHARED_DATA, require


def edge_lines(pets_video: Path, gt: Path, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_edge_lines.py"), "--config",
         str(ROOT / "config" / "demo.yaml"), "--model", "person", "--video", str(pets_video),
         "--gt", str(gt), "--roi", "150", "150", "620", "576", "--frames", "240",
         "--edge-lines", "4", "--min-true", "4", "--seed", "7", "--cache",
         str(ROOT / "var" / "cache"), "--json", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)  # nothing but JSON: library chatter went to stderr


def test_lines_near_a_regions_border_are_counted_with_the_border_on_the_path(
        tmp_path: Path, pets_video: Path) -> None:
    gt = require(SHARED_DATA / "counting" / "pets09_s2l1" / "gt.txt", "shared data missing")
    on = edge_lines(pets_video, gt, "--explain", str(tmp_path / "why"))
    off = edge_lines(pets_video, gt, "--counter", "border_crossing=false")
    assert on["counter"]["border_crossing"] is True
    assert off["counter"]["border_crossing"] is False
    (region,) = on["regions"]
    assert region["roi"] == [150, 150, 620, 576]
    lines = [r["line"] for r in region["report_lines"]]
    assert len(lines) == 2 == on["reported"]["lines"] == on["choosing"]["lines"]
    assert lines == [r["line"] for r in off["regions"][0]["report_lines"]]
    for x1, y1, x2, y2 in lines:  # both ends near the same border of the region
        near = [{"left": x - 150, "right": 620 - x, "top": y - 150, "bottom": 576 - y}
                for x, y in ((x1, y1), (x2, y2))]
        assert any(0 <= near[0][b] <= 60 and 0 <= near[1][b] <= 60 for b in near[0])
    for r in region["report_lines"]:
        assert r["true_in"] + r["true_out"] >= 4
    # On these lines today's counter misses people seen only inside the region, who walked
    # in past a line 10-40 px from its border; the border on their path counts them.
    both = on["choosing"]["lines"] + on["reported"]["lines"]
    total = on["choosing"]["mean"] * 2 + on["reported"]["mean"] * 2
    total_off = off["choosing"]["mean"] * 2 + off["reported"]["mean"] * 2
    assert both == 4 and total < total_off
    errors = [e for r in region["report_lines"] for e in r["errors"]]
    assert errors and {p.name for p in (tmp_path / "why").rglob("*.jpg")} == {
        f"line{e['line']}_{e['kind']}_f{e['frame']}_t{e['track']}_p{e['person']}.jpg"
        for e in errors}
