"""``edge camera ...``: probe a stream and take snapshots with the lines drawn."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import typer

from edge.capture.camera import is_file_source, open_capture
from edge.cli.camera_edit import camera_add, camera_list, camera_remove, camera_set
from edge.cli.common import camera_or_exit, config_option
from edge.config import CameraConfig

camera_app = typer.Typer(help="Check cameras and place lines.", no_args_is_help=True)

ConfigOpt = config_option()


def _camera(target: str, config: Path) -> CameraConfig:
    """The configured camera named ``target``, or an ad-hoc one when it is a URL/file."""
    if "://" in target or Path(target).suffix:
        return CameraConfig(id="adhoc", url=target)
    return camera_or_exit(config, target)


def _first_frame(cam: CameraConfig):  # type: ignore[no-untyped-def]
    url = cam.substream_url or cam.url
    t0 = time.monotonic()
    try:
        cap = open_capture(url, open_timeout_s=cam.open_timeout_s,
                           read_timeout_s=cam.read_timeout_s, transport=cam.transport)
    except FileNotFoundError as exc:
        typer.echo(f"FAIL {exc}", err=True)
        raise typer.Exit(1) from None
    if not cap.isOpened():
        typer.echo(f"FAIL cannot open {cam.id} within {cam.open_timeout_s:.0f}s", err=True)
        raise typer.Exit(1)
    ok, image = cap.read()
    ttff = time.monotonic() - t0
    if not ok or image is None:
        cap.release()
        typer.echo(f"FAIL {cam.id}: opened but no frame within {cam.read_timeout_s:.0f}s",
                   err=True)
        raise typer.Exit(1)
    return cap, image, ttff


@camera_app.command("test")
def camera_test(target: str = typer.Argument(..., help="Camera id in the config, or a URL."),
                config: Path = ConfigOpt) -> None:
    """Open a stream; print codec, resolution, fps and time to first frame.

    Example: edge camera test gate-main -c /etc/edge/cameras.yaml
             edge camera test rtsp://127.0.0.1:8554/cam
    """
    cam = _camera(target, config)
    cap, image, ttff = _first_frame(cam)
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") or "?"
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    kind = "file" if is_file_source(cam.url) else cam.transport
    typer.echo(f"OK {cam.id}: codec {codec}, {image.shape[1]}x{image.shape[0]}, "
               f"{fps:.1f} fps, first frame after {ttff * 1000:.0f} ms ({kind})")


@camera_app.command("snapshot")
def camera_snapshot(target: str = typer.Argument(..., help="Camera id in the config."),
                    output: Path = typer.Option(..., "-o", "--output", help="JPEG to write."),
                    config: Path = ConfigOpt) -> None:
    """Save one frame with the camera's lines and their IN/OUT sides drawn.

    Example: edge camera snapshot gate-main -o gate.jpg
    """
    from edge.analytics.overlay import draw_lines

    cam = _camera(target, config)
    cap, image, _ = _first_frame(cam)
    cap.release()
    output.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(output), draw_lines(image, cam.lines)):
        typer.echo(f"FAIL cannot write {output}", err=True)
        raise typer.Exit(1)
    typer.echo(f"wrote {output} ({image.shape[1]}x{image.shape[0]}, {len(cam.lines)} lines)")


# Config edits live in their own module; they are commands of the same group.
camera_app.command("add")(camera_add)
camera_app.command("list")(camera_list)
camera_app.command("remove")(camera_remove)
camera_app.command("set")(camera_set)
