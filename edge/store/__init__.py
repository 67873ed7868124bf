"""Store room: schema and migrations, how each event is stored, the single writer, direct
writes for the CLI, read queries and reports, retention."""
