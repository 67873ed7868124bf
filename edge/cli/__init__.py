"""CLI room: typer commands, thin over the other rooms."""
