"""Which model artefact runs: fresh exports for the device, never stale ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edge.detect.formats import choose_artifact, export_model, export_path


def touch(path: Path, mtime: float, folder: bool = False) -> Path:
    if folder:
        path.mkdir()
    else:
        path.write_bytes(b"x")
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def pt(tmp_path: Path) -> Path:
    return touch(tmp_path / "person.pt", 1000)


def test_cpu_prefers_a_fresh_onnx_then_openvino(pt: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("edge.detect.formats._runtime_installed", lambda _fmt: True)
    assert choose_artifact(str(pt), "cpu") == (str(pt), "pytorch")
    touch(export_path(pt, "openvino"), 2000, folder=True)
    assert choose_artifact(str(pt), "cpu") == (str(pt.parent / "person_openvino_model"),
                                               "openvino")
    touch(export_path(pt, "onnx"), 2000)
    assert choose_artifact(str(pt), "cpu") == (str(pt.with_suffix(".onnx")), "onnx")
    assert choose_artifact(str(pt), "cpu", "pytorch") == (str(pt), "pytorch")


def test_a_stale_export_is_never_used(pt: Path) -> None:
    touch(export_path(pt, "onnx"), 500)  # older than the weights: made from other weights
    assert choose_artifact(str(pt), "cpu") == (str(pt), "pytorch")
    with pytest.raises(FileNotFoundError, match=r"older than person\.pt; run `edge model export"):
        choose_artifact(str(pt), "cpu", "onnx")


def test_cuda_wants_an_engine_and_ignores_cpu_exports(pt: Path) -> None:
    touch(export_path(pt, "onnx"), 2000)
    assert choose_artifact(str(pt), "cuda:0") == (str(pt), "pytorch")


def test_names_and_exports_pass_through(tmp_path: Path) -> None:
    assert choose_artifact("yolo11n.pt", "cpu") == ("yolo11n.pt", "pytorch")
    onnx = touch(tmp_path / "m.onnx", 1)
    assert choose_artifact(str(onnx), "cpu") == (str(onnx), "onnx")


def test_export_refuses_what_it_cannot_export(pt: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        export_model(pt, "tflite")
    with pytest.raises(ValueError, match=r"not a \.pt model file"):
        export_model(tmp_path / "missing.pt", "onnx")


def test_export_cli_refuses_an_unknown_format_and_skips_fresh_exports(tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from edge.cli.main import app

    touch(tmp_path / "p.pt", 1000)
    touch(tmp_path / "p.onnx", 2000)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models_dir": str(tmp_path), "api": {"enabled": True},
                                   "models": [{"name": "p", "source": "p.pt"}]}))
    run = CliRunner().invoke
    bad = run(app, ["model", "export", "--format", "tflite", "-c", str(cfg)])
    assert bad.exit_code == 2 and "must be onnx, onnx-int8, openvino or engine" in bad.output
    ok = run(app, ["model", "export", "--format", "onnx", "-c", str(cfg)])
    assert ok.exit_code == 0 and "p.onnx (up to date)" in ok.output
    missing = run(app, ["model", "export", "--format", "onnx", "--model", "q", "-c", str(cfg)])
    assert missing.exit_code == 2 and "unknown model(s) ['q']" in missing.output


def test_an_export_whose_runtime_is_missing_is_skipped(pt: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("edge.detect.formats._runtime_installed", lambda fmt: fmt != "openvino")
    touch(export_path(pt, "openvino"), 2000, folder=True)
    assert choose_artifact(str(pt), "cpu") == (str(pt), "pytorch")
    with pytest.raises(FileNotFoundError, match="needs the openvino package"):
        choose_artifact(str(pt), "cpu", "openvino")


def test_int8_runs_only_when_asked_for(pt: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh int8 export is never picked by ``auto`` (it counts less accurately)."""
    monkeypatch.setattr("edge.detect.formats._runtime_installed", lambda _fmt: True)
    int8 = touch(export_path(pt, "onnx-int8"), 2000)
    assert int8.name == "person-int8.onnx"
    assert choose_artifact(str(pt), "cpu") == (str(pt), "pytorch")
    assert choose_artifact(str(pt), "cpu", "onnx-int8") == (str(int8), "onnx-int8")
    assert choose_artifact(str(int8), "cpu") == (str(int8), "onnx-int8")


def test_int8_export_needs_calibration_frames(pt: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="calibration"):
        export_model(pt, "onnx-int8")
    with pytest.raises(ValueError, match="no such file"):
        export_model(pt, "onnx-int8", calibration=tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no readable frame"):
        export_model(pt, "onnx-int8", calibration=tmp_path / "empty")


def test_export_cli_exports_a_models_refiner_at_its_own_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from typer.testing import CliRunner

    from edge.cli.main import app

    touch(tmp_path / "p.pt", 1000)
    touch(tmp_path / "pose.pt", 1000)
    made: list[tuple[str, int]] = []

    def fake_export(pt: Path, fmt: str, *, imgsz: int = 640, **_kw: object) -> Path:
        made.append((pt.name, imgsz))
        return touch(export_path(pt, fmt), 2000)

    monkeypatch.setattr("edge.detect.formats.export_model", fake_export)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models_dir": str(tmp_path), "api": {"enabled": True},
                                   "models": [{"name": "p", "source": "p.pt", "refine": {
                                       "source": "pose.pt", "imgsz": 960}}]}))
    out = CliRunner().invoke(app, ["model", "export", "--format", "onnx", "-c", str(cfg)])
    assert out.exit_code == 0, out.output
    assert made == [("p.pt", 640), ("pose.pt", 960)]
    assert "ok  p.refine:" in out.output
    again = CliRunner().invoke(app, ["model", "export", "--format", "onnx", "-c", str(cfg)])
    assert "pose.onnx (up to date)" in again.output and len(made) == 2
