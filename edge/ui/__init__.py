"""The operator console: pages served by the daemon, the annotated live view, editors that
call the same functions as the CLI."""
