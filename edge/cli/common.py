"""What every ``edge`` command shares: the ``--config`` option and loading the settings.

A configuration error ends the command the same way everywhere: one line per problem, each
naming the file and the field (``FILE: cameras[1].fps_cap: ...``), then exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from edge.config import CameraConfig, ConfigError, Settings, load_settings

DEFAULT_CONFIG = Path("config/cameras.yaml")


def config_option(help_text: str = "Path to cameras.yaml.") -> Any:
    """The ``--config`` / ``-c`` option, defaulting to ``config/cameras.yaml``.

    Example:
        ``ConfigOpt = config_option("Path to cameras.yaml (for the database path).")``
    """
    return typer.Option(DEFAULT_CONFIG, "--config", "-c", help=help_text)


def settings_or_exit(config: Path, *, err: bool = True, heading: str | None = None) -> Settings:
    """The settings in ``config``, or exit 1 after printing one line per error.

    Args:
        config: the YAML file.
        err: print to stderr (False: to stdout, for commands whose report is the output).
        heading: a line printed before the errors (``edge doctor``'s ``FAIL config``).

    Raises:
        typer.Exit: with status 1, when the file is missing, unreadable or invalid.
    """
    try:
        return load_settings(config)
    except ConfigError as exc:
        lines = [heading, *exc.errors] if heading else exc.errors
        typer.echo("\n".join(lines), err=err)
        raise typer.Exit(1) from None


def camera_or_exit(config: Path, camera_id: str) -> CameraConfig:
    """The camera ``camera_id`` of ``config``, or exit 1 saying what is wrong.

    Raises:
        typer.Exit: with status 1, on a configuration error or an unknown camera.
    """
    settings = settings_or_exit(config)
    try:
        return settings.camera(camera_id)
    except KeyError as exc:
        typer.echo(f"edge: {exc.args[0]} in {config}", err=True)
        raise typer.Exit(1) from None
