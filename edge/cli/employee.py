"""``edge employee ...``: enrol, list and remove employees in the local face gallery."""

from __future__ import annotations

from pathlib import Path

import cv2
import typer

from edge.cli.common import config_option, settings_or_exit

employee_app = typer.Typer(help="Enrol, list and remove employees (local face gallery).",
                           no_args_is_help=True)

ConfigOpt = config_option("Path to cameras.yaml (for the database path).")


def _gallery(config: Path):  # type: ignore[no-untyped-def]
    from edge.identity.gallery import Gallery

    return Gallery(settings_or_exit(config).storage.path)


def _cloud(config: Path):  # type: ignore[no-untyped-def]
    """The Rekognition collection when the config's identity backend is ``rekognition``."""
    settings = settings_or_exit(config)
    if settings.identity.backend != "rekognition":
        return None
    from edge.identity.rekognition import RekognitionBackend

    backend = RekognitionBackend(settings.identity.rekognition)
    backend.ensure_collection()
    return backend


@employee_app.command("enroll")
def enroll(photos: list[Path] = typer.Argument(..., help="Photos with exactly one face each."),
           employee_id: str = typer.Option(..., "--id", help="Employee id (letters, digits)."),
           name: str = typer.Option(..., "--name", help="Display name."),
           group: str = typer.Option("default", help="Shift group for attendance."),
           config: Path = ConfigOpt) -> None:
    """Enrol an employee from one or more photos (each must show exactly one face).

    Example: edge employee enroll --id E042 --name "Asha Rao" asha1.jpg asha2.jpg
    """
    from edge.identity.enroll import EnrollmentError, enroll_employee
    from edge.identity.faces import FaceEngine, GateConfig

    images = []
    for p in photos:
        img = cv2.imread(str(p))
        if img is None:
            typer.echo(f"edge: {p}: not a readable image", err=True)
            raise typer.Exit(1)
        images.append((str(p), img))
    try:
        res = enroll_employee(FaceEngine(), _gallery(config), employee_id, name, images,
                              group=group, cloud=_cloud(config),
                              gate=GateConfig.enrolment(settings_or_exit(config).identity))
    except (EnrollmentError, RuntimeError) as exc:
        typer.echo(f"edge: not enrolled: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"enrolled {res.employee_id}: {res.faces_added} face(s) added, "
               f"{res.faces_total} in the gallery")


@employee_app.command("list")
def list_(config: Path = ConfigOpt) -> None:
    """List enrolled employees and how many faces each has.

    Example: edge employee list
    """
    people = _gallery(config).employees()
    for e in people:
        typer.echo(f"{e.employee_id:<16} {e.name:<28} {e.group:<12} {e.faces} face(s)  "
                   f"since {e.created_at[:10]}")
    if not people:
        typer.echo("no employees enrolled")


@employee_app.command("remove")
def remove(employee_id: str = typer.Argument(...), config: Path = ConfigOpt) -> None:
    """Remove an employee and delete all of their face data (and from Rekognition, when
    that is the configured backend).

    Example: edge employee remove E042
    """
    from edge.identity.enroll import remove_employee

    try:
        removed = remove_employee(_gallery(config), employee_id, _cloud(config))
    except RuntimeError as exc:  # BackendUnavailable: nothing was deleted locally
        typer.echo(f"edge: not removed: {exc}", err=True)
        raise typer.Exit(1) from None
    if not removed:
        typer.echo(f"edge: no employee {employee_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"removed {employee_id} and their face data")
