"""Configuration of upstream sync (outbox to MQTT / HTTP)."""

from __future__ import annotations

from pydantic import Field

from edge.config.base import Strict


class MqttSinkConfig(Strict):
    """MQTT upstream (see issue 7)."""

    host: str
    port: int = Field(8883, ge=1, le=65535)
    topic_template: str = "edge/{site}/{camera}/{type}"
    client_id: str | None = None
    username: str | None = None
    password_env: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


class HttpSinkConfig(Strict):
    """HTTP upstream (see issue 7)."""

    url: str
    token_env: str | None = None
    timeout_s: float = Field(10.0, gt=0)


class SyncConfig(Strict):
    """Upstream sinks; several may run together."""

    enabled: bool = False
    mqtt: MqttSinkConfig | None = None
    http: HttpSinkConfig | None = None
