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
