"""Sync room: ship the outbox upstream (MQTT, HTTP), at least once, losing nothing."""
