"""Upstream sinks: MQTT (paho-mqtt 2, QoS 1) and HTTP (JSON batches).

A sink's ``publish`` returns only when the sink acknowledged the rows (PUBACK, 2xx), raises
:class:`SinkUnavailable` when trying again later may work (disconnected, timeout, 5xx, 408,
429), and returns rows as *rejected* when the receiver refused them for good (other 4xx):
holding those would block everything behind them forever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from edge.config.sync import HttpSinkConfig, MqttSinkConfig
from edge.store.outbox import OutboxRow

log = logging.getLogger(__name__)


class SinkUnavailable(RuntimeError):
    """The sink cannot take rows now; retry after a backoff."""


@dataclass
class PublishResult:
    """Rows the sink acknowledged, and rows it refused for good (with the reason)."""

    sent: list[OutboxRow] = field(default_factory=list)
    rejected: list[OutboxRow] = field(default_factory=list)
    reason: str = ""


class Sink(Protocol):
    """An upstream destination."""

    name: str

    def start(self) -> None: ...

    def publish(self, rows: Sequence[OutboxRow]) -> PublishResult: ...

    def close(self) -> None: ...


class MqttSink:
    """QoS 1 publishes with a retained ``online`` status and an ``offline`` last will.

    paho's network loop runs on its own thread and reconnects by itself; ``publish`` waits
    for every PUBACK of the batch up to ``ack_timeout_s``.
    """

    def __init__(self, cfg: MqttSinkConfig, site: str) -> None:
        self.cfg = cfg
        self.site = site
        self.name = f"mqtt:{cfg.host}:{cfg.port}"
        self.status_topic = cfg.status_topic.format(site=site, camera="", type="")
        self._connected = threading.Event()
        self._client = self._make_client()

    def _make_client(self):  # type: ignore[no-untyped-def]
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=self.cfg.client_id or f"edge-{self.site}",
                             clean_session=True)
        client.max_queued_messages_set(0)
        client.max_inflight_messages_set(100)
        if self.cfg.username:
            password = os.environ.get(self.cfg.password_env) if self.cfg.password_env else None
            client.username_pw_set(self.cfg.username, password)
        if self.cfg.tls:
            for field in ("ca_file", "cert_file", "key_file"):
                path = getattr(self.cfg, field)
                if path and not os.access(path, os.R_OK):
                    raise FileNotFoundError(
                        f"sync.mqtt.{field}: {path} is missing or not readable")
            client.tls_set(ca_certs=self.cfg.ca_file, certfile=self.cfg.cert_file,
                           keyfile=self.cfg.key_file, cert_reqs=ssl.CERT_REQUIRED,
                           tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.will_set(self.status_topic, "offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.warning("%s refused the connection: %s", self.name, reason_code)
            return
        client.publish(self.status_topic, "online", qos=1, retain=True)
        self._connected.set()
        log.info("%s connected", self.name)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:  # type: ignore[no-untyped-def]
        self._connected.clear()
        log.warning("%s disconnected: %s", self.name, reason_code)

    def start(self) -> None:
        """Connect in the background (never blocks on an unreachable broker)."""
        self._client.connect_async(self.cfg.host, self.cfg.port, self.cfg.keepalive_s)
        self._client.loop_start()

    def publish(self, rows: Sequence[OutboxRow]) -> PublishResult:
        """Publish ``rows`` at QoS 1 and wait for their PUBACKs."""
        if not self._connected.is_set():
            raise SinkUnavailable(f"{self.name}: not connected")
        try:
            self._publish_all(rows)
        except SinkUnavailable:
            # paho keeps unacknowledged messages and sends them again after it reconnects,
            # ahead of the batch the worker will retry; that would break the order per
            # camera. A fresh client starts with an empty queue.
            self._restart()
            raise
        return PublishResult(sent=list(rows))

    def _publish_all(self, rows: Sequence[OutboxRow]) -> None:
        import paho.mqtt.client as mqtt

        infos = []
        for row in rows:
            topic = self.cfg.topic_template.format(site=self.site, camera=row.camera_id,
                                                   type=row.type)
            info = self._client.publish(topic, row.payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise SinkUnavailable(f"{self.name}: publish failed "
                                      f"({mqtt.error_string(info.rc)})")
            infos.append(info)
        deadline = time.monotonic() + self.cfg.ack_timeout_s
        for info in infos:
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError) as exc:
                raise SinkUnavailable(f"{self.name}: {exc}") from exc
            if not info.is_published():
                raise SinkUnavailable(f"{self.name}: no PUBACK within "
                                      f"{self.cfg.ack_timeout_s:g}s")

    def _restart(self) -> None:
        old = self._client
        self._connected.clear()
        old.on_connect = old.on_disconnect = None
        try:
            old.disconnect()
        finally:
            old.loop_stop()
        self._client = self._make_client()
        self.start()

    def close(self) -> None:
        """Say ``offline`` (retained) and disconnect cleanly."""
        if self._connected.is_set():
            info = self._client.publish(self.status_topic, "offline", qos=1, retain=True)
            info.wait_for_publish(2)
        self._client.disconnect()
        self._client.loop_stop()


class HttpSink:
    """POSTs ``{"site", "events": [...]}`` with a bearer token and an ``Idempotency-Key``
    (a hash of the batch's event ids, so a retried batch carries the same key)."""

    RETRY = frozenset({408, 429})

    def __init__(self, cfg: HttpSinkConfig, site: str) -> None:
        import httpx

        self.cfg = cfg
        self.site = site
        self.name = f"http:{cfg.url}"
        token = os.environ.get(cfg.token_env) if cfg.token_env else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=cfg.timeout_s, headers=headers)

    def start(self) -> None:
        """Nothing to start: a request opens its connection."""

    def publish(self, rows: Sequence[OutboxRow]) -> PublishResult:
        """POST one batch; sent on 2xx, retry later on 5xx/408/429/timeouts, rejected on
        any other 4xx (the body's first 200 characters say why)."""
        import httpx

        ids = "\n".join(r.event_id for r in rows)
        body = json.dumps({"site": self.site,
                           "events": [json.loads(r.payload) for r in rows]})
        key = hashlib.sha256(ids.encode()).hexdigest()[:32]
        try:
            resp = self._client.post(self.cfg.url, content=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": key})
        except httpx.HTTPError as exc:
            raise SinkUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if resp.is_success:
            return PublishResult(sent=list(rows))
        if resp.status_code >= 500 or resp.status_code in self.RETRY:
            raise SinkUnavailable(f"{self.name}: HTTP {resp.status_code}")
        reason = f"HTTP {resp.status_code}: {resp.text[:200]}"
        log.error("%s refused a batch of %d events for good: %s", self.name, len(rows), reason)
        return PublishResult(rejected=list(rows), reason=reason)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
