"""Config validation: good files pass, bad ones fail with exact, field-naming errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.cli.main import app
from edge.config import ConfigError, load_settings
from edge.config.loader import format_loc

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
models:
  - name: person
    source: person-yolov8s.pt
    classes: {Normal: person, Fall: person}
cameras:
  - id: cam1
    url: var/media/vtest.avi
    lines:
      - id: door
        start: [10, 20]
        end: [300, 20]
"""


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.parametrize("path", ["config/demo.yaml", "config/cameras.yaml"])
def test_shipped_configs_are_valid(path: str) -> None:
    settings = load_settings(ROOT / path)
    assert settings.cameras and settings.models


def test_good_minimal_file_gets_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD))
    line = s.cameras[0].lines[0]
    assert line.in_side == "right" and line.classes == ["person"]
    assert line.min_frames == 3 and line.band == 0.02 and line.smoothing == 0.3
    assert s.storage.occupancy_heartbeat_s == 60 and s.api.host == "127.0.0.1"
    assert s.identity.cache_ttl_s == 600


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (GOOD.replace("start: [10, 20]", "start: [10]"),
         "cameras[0].lines[0].start[1]: Field required"),
        (GOOD.replace("start: [10, 20]", "start: [abc, 20]"),
         "cameras[0].lines[0].start[0]: Input should be a valid integer, unable to parse "
         "string as an integer"),
        (GOOD.replace("end: [300, 20]", "end: [10, 20]"),
         "cameras[0].lines[0]: start and end are the same point"),
        (GOOD.replace("    url: var/media/vtest.avi\n",
                      "    url: var/media/vtest.avi\n    colour: red\n"),
         "cameras[0].colour: unknown field (not allowed here; check the spelling)"),
        (GOOD.replace("{Normal: person, Fall: person}", "{Normal: human}"),
         "models[0].classes.Normal: Input should be 'person', 'car', 'truck', 'bus', "
         "'motorcycle' or 'bicycle'"),
        (GOOD + "  - id: cam1\n    url: b.avi\n", "cameras: duplicate camera id(s): cam1"),
        (GOOD.replace("id: cam1", "id: 'cam 1'"),
         "cameras[0].id: String should match pattern '^[A-Za-z0-9_.-]+$'"),
        (GOOD + "inference:\n  batch_size: 0\n",
         "inference.batch_size: Input should be greater than or equal to 1"),
        (GOOD.replace("    source: person-yolov8s.pt\n",
                      "    source: person-yolov8s.pt\n    cameras: [nope]\n"),
         "<root>: model 'person' names unknown camera(s): ['nope']"),
        (GOOD.replace("    source: person-yolov8s.pt\n",
                      "    source: person-yolov8s.pt\n    imgsz: 650\n"),
         "models[0].imgsz: must be a multiple of 32, got 650"),
        (GOOD + "anpr:\n  recogniser: ppocrv9\n",
         "anpr.recogniser: Input should be 'ppocrv6' or 'ppocrv4'"),
    ],
)
def test_bad_files_name_file_and_field(tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = write(tmp_path, yaml_text)
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert f"{path}: {expected}" in exc.value.errors


def test_second_camera_error_path(tmp_path: Path) -> None:
    text = GOOD + textwrap.indent(textwrap.dedent("""\
        - id: cam2
          url: b.avi
          lines:
            - id: l
              start: [1, 2, 3]
              end: [4, 5]
        """), "  ")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert exc.value.errors == [f"{path}: cameras[1].lines[0].start: Tuple should have at most "
                                f"2 items after validation, not 3"]


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(tmp_path / "nope.yaml")
    assert exc.value.errors == [f"{tmp_path / 'nope.yaml'}: file not found"]
    bad = write(tmp_path, "cameras: [\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(bad)
    assert exc.value.errors[0].startswith(f"{bad}: line ")
    assert "invalid YAML" in exc.value.errors[0]
    scalar = write(tmp_path, "just a string\n", "s.yaml")
    with pytest.raises(ConfigError) as exc:
        load_settings(scalar)
    assert exc.value.errors == [f"{scalar}: <root>: expected a mapping at the top level, got str"]


def test_format_loc() -> None:
    assert format_loc(("cameras", 1, "lines", 0, "start")) == "cameras[1].lines[0].start"
    assert format_loc(()) == "<root>"


def test_cli_validate_ok_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["config", "validate", str(write(tmp_path, GOOD))])
    assert ok.exit_code == 0 and ok.output.strip() == "OK"
    bad_path = write(tmp_path, GOOD.replace("start: [10, 20]", "start: [10]"), "bad.yaml")
    bad = runner.invoke(app, ["config", "validate", str(bad_path)])
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        f"{bad_path}: cameras[0].lines[0].start[1]: Field required"]


def test_roi_must_be_a_proper_box(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    url: var/media/vtest.avi\n",
                                        "    url: var/media/vtest.avi\n    roi: [50, 0, 10, 20]\n"))
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert exc.value.errors == [f"{path}: cameras[0].roi: must be [x1, y1, x2, y2] with "
                                f"0 <= x1 < x2 and 0 <= y1 < y2"]


def test_cameras_may_be_empty_only_for_an_api_only_daemon(tmp_path: Path) -> None:
    no_cams = "models:\n  - name: m\n    source: yolo11n.pt\ncameras: []\n"
    path = write(tmp_path, no_cams)
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert exc.value.errors == [
        f"{path}: <root>: no cameras: configure at least one, or enable the api"]
    assert load_settings(write(tmp_path, no_cams + "api:\n  enabled: true\n", "y.yaml"))
