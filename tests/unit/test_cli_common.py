"""Every command ends the same way on a bad config: one line per problem naming the file and
the field, exit 1 (on stdout only where the report is the output: validate, doctor)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.cli.main import app


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("models: [{name: m, source: x.pt}]\ncameras:\n  - {id: a, url: a.mp4, "
                   "fps_cap: -1}\n")
    return cfg


@pytest.mark.parametrize(("args", "stdout", "heading"), [
    (["config", "validate"], True, None),
    (["doctor", "-c"], True, "FAIL config"),
    (["camera", "list", "-c"], False, None),
    (["line", "list", "a", "-c"], False, None),
    (["db", "stats", "-c"], False, None),
    (["occupancy", "show", "-c"], False, None),
    (["plates", "list", "-c"], False, None),
    (["sync", "status", "-c"], False, None),
    (["employee", "list", "-c"], False, None),
])
def test_a_bad_config_names_file_and_field_and_exits_1(bad: Path, args: list[str],
                                                       stdout: bool,
                                                       heading: str | None) -> None:
    res = CliRunner().invoke(app, [*args, str(bad)])
    assert res.exit_code == 1
    said = (res.stdout if stdout else res.stderr).splitlines()
    assert said == [*([heading] if heading else []),
                    f"{bad}: cameras[0].fps_cap: Input should be greater than 0"]


def test_an_unknown_camera_is_named_with_its_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("models: [{name: m, source: x.pt}]\ncameras: [{id: a, url: a.mp4}]\n")
    res = CliRunner().invoke(app, ["line", "list", "zz", "-c", str(cfg)])
    assert res.exit_code == 1 and res.stderr == f"edge: no camera with id 'zz' in {cfg}\n"
