"""Every CLI command explains itself with an example in --help."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from edge.cli.main import app


def commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    out: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(root, [])
    return out


def test_every_command_has_help_with_an_example() -> None:
    found = commands()
    assert len(found) >= 28
    missing = []
    for path in found:
        res = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
        if res.exit_code != 0 or "Example" not in res.output:
            missing.append(" ".join(path))
    assert not missing, f"no example in --help: {missing}"
