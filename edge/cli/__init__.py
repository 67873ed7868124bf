"""CLI room: typer commands, thin over the other rooms (the ``--config`` option and loading
the settings are shared in :mod:`edge.cli.common`)."""
