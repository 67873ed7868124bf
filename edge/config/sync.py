"""Configuration of upstream sync (outbox to MQTT / HTTP).

Secrets never live in this file: passwords and tokens are read from the environment
variables named here (the service's EnvironmentFile).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from edge.config.base import Strict

_TEMPLATE_KEYS = {"site", "camera", "type"}


class MqttSinkConfig(Strict):
    """MQTT upstream: QoS 1, TLS with a CA and an optional client certificate (AWS IoT Core,
    EMQX, HiveMQ, mosquitto)."""

    host: str = Field(min_length=1)
    port: int = Field(8883, ge=1, le=65535)
    tls: bool = True
    """TLS on (``ca_file`` or the system CAs); off only for a broker on loopback or a VPN."""
    topic_template: str = "edge/{site}/{camera}/{type}"
    status_topic: str = "edge/{site}/status"
    """Retained ``online``; the broker publishes the last-will ``offline`` when we vanish."""
    client_id: str | None = None
    """Defaults to ``edge-<site>``; AWS IoT policies usually pin it to the thing name."""
    username: str | None = None
    password_env: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = Field(30, ge=5, le=3600)
    ack_timeout_s: float = Field(10.0, gt=0, le=300)
    """How long a batch may wait for its PUBACKs before it counts as failed."""

    @field_validator("topic_template", "status_topic")
    @classmethod
    def _known_keys(cls, v: str) -> str:
        import string

        keys = {name for _, name, _, _ in string.Formatter().parse(v) if name}
        unknown = keys - _TEMPLATE_KEYS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{site}}, "
                             f"{{camera}}, {{type}}")
        return v

    @model_validator(mode="after")
    def _cert_pair(self) -> MqttSinkConfig:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file go together")
        return self


class HttpSinkConfig(Strict):
    """HTTP upstream: JSON batches POSTed with a bearer token and an Idempotency-Key."""

    url: str = Field(pattern=r"^https?://")
    token_env: str | None = None
    timeout_s: float = Field(10.0, gt=0, le=300)


class SyncConfig(Strict):
    """Store-and-forward from the outbox to one or more sinks."""

    enabled: bool = False
    batch_size: int = Field(200, ge=1, le=10_000)
    poll_interval_s: float = Field(0.5, gt=0, le=60)
    """How often an idle worker looks for new outbox rows."""
    backoff_initial_s: float = Field(1.0, gt=0, le=600)
    backoff_max_s: float = Field(60.0, gt=0, le=3600)
    max_backlog_rows: int = Field(1_000_000, ge=100)
    """Unsent rows kept per the oldest-first cap (attendance and deny-list events excepted).
    Local tables keep every event; only the upstream copy is dropped."""
    max_backlog_age_days: float = Field(30.0, gt=0)
    """Unsent routine rows older than this are dropped. With sync disabled the whole outbox is
    kept this long (so enabling sync later sends recent history) and then pruned daily."""
    mqtt: MqttSinkConfig | None = None
    http: HttpSinkConfig | None = None

    @model_validator(mode="after")
    def _a_sink(self) -> SyncConfig:
        if self.enabled and self.mqtt is None and self.http is None:
            raise ValueError("sync is enabled but no sink (mqtt or http) is configured")
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be at least backoff_initial_s")
        return self
