"""`edge doctor` against a real model and a real (file) camera: every line OK but the clock,
which depends on the machine."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from edge.cli.main import app
from tests.conftest import MODELS


def test_doctor_times_a_real_inference_and_reads_a_real_camera(tmp_path: Path,
                                                              pets_video: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({
        "models_dir": str(MODELS),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        "cameras": [{"id": "pets", "url": str(pets_video)},
                    {"id": "gone", "url": "rtsp://127.0.0.1:9/none", "open_timeout_s": 2}],
        "storage": {"path": str(tmp_path / "d.db")}}))
    res = CliRunner().invoke(app, ["doctor", "-c", str(cfg)])
    lines = res.output.splitlines()
    assert res.exit_code == 1  # the unreachable camera fails the run
    model = next(ln for ln in lines if ln.startswith(("OK   model person", "FAIL model")))
    assert re.match(r"OK   model person: (onnx|pytorch), one inference \d+ ms$", model), \
        res.output
    assert int(model.split("inference ")[1].split(" ms")[0]) > 0
    assert "OK   camera pets: 768x576 after" in res.output
    assert any(ln.startswith("FAIL camera gone: ") for ln in lines)
    assert any(ln.startswith(("OK   torch and device: torch ", "FAIL torch")) for ln in lines)
    assert any(ln.startswith(("OK   clock: ", "FAIL clock: ")) for ln in lines)
    assert not any(ln.startswith("Loading ") for ln in lines)  # ultralytics kept quiet


def test_doctor_reads_a_plate_and_names_a_missing_recogniser(tmp_path: Path,
                                                            pets_video: Path) -> None:
    def run(models_dir: Path) -> str:
        cfg = tmp_path / "c.yaml"
        cfg.write_text(yaml.safe_dump({
            "models_dir": str(models_dir),
            "models": [{"name": "person", "source": str(MODELS / "person-yolov8s.pt"),
                        "classes": {"Normal": "person", "Fall": "person"}}],
            "cameras": [{"id": "pets", "url": str(pets_video)}],
            "anpr": {"enabled": True}, "storage": {"path": str(tmp_path / "d.db")}}))
        res = CliRunner().invoke(app, ["doctor", "-c", str(cfg), "--skip-cameras"])
        return next(ln for ln in res.output.splitlines() if " anpr: " in ln)

    assert re.match(r"OK   anpr: rapidocr \(ppocrv6\), one plate read \d+ ms$", run(MODELS))
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run(empty)
    assert missing.startswith("FAIL anpr: recogniser ppocrv6: "), missing
    assert "ppocrv6-rec.onnx not found; run `edge model fetch`" in missing
