"""Store room: schema, the single writer, read queries."""
