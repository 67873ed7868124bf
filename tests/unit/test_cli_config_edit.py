"""Camera and line edits through the CLI keep comments, validate first, and say what failed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edge.cli.main import app

CONFIG = """\
# Plant config: keep this comment
site:
  id: plant-1   # the site id
models:
  - name: m
    source: yolo11n.pt
cameras:
  # the main door
  - id: door
    url: rtsp://user:secret@10.0.0.5/stream1
"""


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_camera_and_line_edits_keep_comments_and_validate(tmp_path: Path) -> None:
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text(CONFIG)
    c = str(cfg)
    assert run("camera", "add", "dock2", "--url", "rtsp://10.0.0.12/s1", "--name", "Dock 2",
               "-c", c).output == "added camera dock2\n"
    assert run("line", "add", "dock2", "gate", "--start", "0", "400", "--end", "1280", "400",
               "-c", c).exit_code == 0
    assert run("camera", "set", "dock2", "fps_cap", "10", "-c", c).exit_code == 0
    text = cfg.read_text()
    assert "# Plant config: keep this comment" in text and "# the main door" in text
    assert "# the site id" in text
    assert text.index("id: door") < text.index("id: dock2")  # order kept
    listing = run("camera", "list", "-c", c).output
    assert "rtsp://***@10.0.0.5/stream1" in listing and "secret" not in listing
    assert "dock2" in listing and "1 line(s)" in listing
    assert run("line", "list", "dock2", "-c", c).output.startswith(
        "gate         [0, 400] -> [1280, 400]  in: right")

    before = cfg.read_text()
    bad = run("camera", "set", "dock2", "fps_cap", "0", "-c", c)
    assert bad.exit_code == 1 and "cameras[1].fps_cap" in bad.output
    dup = run("camera", "add", "dock2", "--url", "x.mp4", "-c", c)
    assert dup.exit_code == 1 and "exists" in dup.output
    same = run("line", "add", "dock2", "gate", "--start", "0", "0", "--end", "0", "0", "-c", c)
    assert same.exit_code == 1
    assert cfg.read_text() == before  # refused edits leave the file as it was

    assert run("line", "remove", "dock2", "gate", "-c", c).exit_code == 0
    assert run("camera", "remove", "dock2", "-c", c).exit_code == 0
    missing = run("camera", "remove", "dock2", "-c", c)
    assert missing.exit_code == 1 and "no camera with id 'dock2'" in missing.output
    assert "# the main door" in cfg.read_text()


def test_edits_keep_the_files_mode_and_refuse_bad_input(tmp_path: Path) -> None:
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text(CONFIG)
    cfg.chmod(0o640)  # /etc/edge/cameras.yaml is root:edge 0640
    c = str(cfg)
    assert run("camera", "set", "door", "name", "101", "-c", c).exit_code == 0
    assert "name: '101'" in cfg.read_text() or 'name: "101"' in cfg.read_text()
    assert run("camera", "set", "door", "roi", "[0, 100, 640, 480]", "-c", c).exit_code == 0
    assert run("camera", "set", "door", "fps_cap", "12.5", "-c", c).exit_code == 0
    assert "fps_cap: 12.5" in cfg.read_text()
    assert run("camera", "set", "door", "fps_cap", "null", "-c", c).output == \
        "door.fps_cap removed\n"
    assert "fps_cap" not in cfg.read_text()
    assert cfg.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cameras.yaml.")]

    before = cfg.read_text()
    res = run("camera", "set", "door", "colour", "red", "-c", c)
    assert res.exit_code == 2 and "'colour' cannot be set here" in res.output
    res = run("camera", "set", "door", "roi", "[10, 10, 5, 5]", "-c", c)
    assert res.exit_code == 1 and "cameras[0].roi" in res.output
    res = run("line", "add", "nope", "gate", "--start", "0", "0", "--end", "9", "9", "-c", c)
    assert res.exit_code == 1 and "no camera with id 'nope'" in res.output
    res = run("line", "add", "door", "g", "--start", "0", "0", "--end", "9", "9",
              "--in-side", "up", "-c", c)
    assert res.exit_code == 1 and "cameras[0].lines[0].in_side" in res.output
    assert cfg.read_text() == before

    broken = tmp_path / "broken.yaml"
    broken.write_text("cameras: [oops\n")
    res = run("camera", "add", "x", "--url", "x.mp4", "-c", str(broken))
    assert res.exit_code == 1 and "not valid YAML" in res.output
    res = run("camera", "add", "x", "--url", "x.mp4", "-c", str(tmp_path / "none.yaml"))
    assert res.exit_code == 1 and "no such file" in res.output


def test_a_file_without_cameras_gets_its_first_and_an_empty_one_says_what_is_missing(
        tmp_path: Path) -> None:
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text("# no cameras yet\nmodels:\n  - name: m\n    source: yolo11n.pt\n")
    assert run("camera", "add", "gate", "--url", "gate.mp4", "-c", str(cfg)).exit_code == 0
    assert run("camera", "list", "-c", str(cfg)).output.startswith("gate ")
    assert cfg.read_text().startswith("# no cameras yet\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    res = run("camera", "add", "gate", "--url", "gate.mp4", "-c", str(empty))
    assert res.exit_code == 1 and "models: Field required" in res.output
    assert empty.read_text() == "# nothing\n"
