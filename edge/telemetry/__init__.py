"""Telemetry room: Prometheus metrics, logging, sd_notify."""
