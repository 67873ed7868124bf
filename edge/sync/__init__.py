"""Sync room: ship the outbox upstream (MQTT, HTTP), at least once, with backoff and a
backlog cap, losing nothing."""
