"""Telemetry room: every Prometheus metric (and reading them back for ``edge doctor``),
sd_notify and the systemd watchdog."""
