"""HTTP sink against a local receiver: bearer token, Idempotency-Key, retries, give-ups."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from edge.config.sync import HttpSinkConfig
from edge.events import Crossing
from edge.store.outbox import Outbox
from edge.store.writer import StoreWriter
from edge.sync.sinks import HttpSink, SinkUnavailable


class Receiver:
    """Answers each POST with the next scripted status; records headers and bodies."""

    def __init__(self, script: list[int]) -> None:
        self.script = script
        self.requests: list[tuple[dict[str, str], dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), json.loads(body)))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{"error": "schema v2 required"}' if status == 400 else b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def rows(tmp_path: Path):  # type: ignore[no-untyped-def]
    w = StoreWriter(tmp_path / "h.db", "plant")
    w.start()
    w.submit_many([Crossing(camera_id="c", ts=datetime(2026, 11, 23, tzinfo=timezone.utc),
                            line_id="l", tracker_id=i, class_name="person", direction="entry")
                   for i in range(3)])
    w.flush()
    yield Outbox(tmp_path / "h.db", w.call).pending("x", 10)
    w.stop()


def test_retry_on_5xx_408_429_then_sent_with_the_same_idempotency_key(
        rows, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDGE_SYNC_TOKEN", "t0k3n")
    rx = Receiver([503, 408, 429, 200])
    sink = HttpSink(HttpSinkConfig(url=rx.url, token_env="EDGE_SYNC_TOKEN"), "plant")
    try:
        for status in ("503", "408", "429"):
            with pytest.raises(SinkUnavailable, match=f"HTTP {status}"):
                sink.publish(rows)
        result = sink.publish(rows)
    finally:
        sink.close()
        rx.close()
    assert len(result.sent) == 3 and not result.rejected
    keys = {h["Idempotency-Key"] for h, _ in rx.requests}
    assert len(keys) == 1 and len(keys.pop()) == 32  # a retried batch keeps its key
    headers, body = rx.requests[-1]
    assert headers["Authorization"] == "Bearer t0k3n"
    assert body["site"] == "plant"
    assert [e["tracker_id"] for e in body["events"]] == [0, 1, 2]


def test_other_4xx_gives_up_on_the_batch_and_says_why(rows) -> None:  # type: ignore[no-untyped-def]
    rx = Receiver([400])
    sink = HttpSink(HttpSinkConfig(url=rx.url), "plant")
    try:
        result = sink.publish(rows)
    finally:
        sink.close()
        rx.close()
    assert len(result.rejected) == 3 and not result.sent
    assert result.reason == 'HTTP 400: {"error": "schema v2 required"}'
    assert "Authorization" not in rx.requests[0][0]


def test_unreachable_or_slow_receiver_is_retried_later(rows) -> None:  # type: ignore[no-untyped-def]
    sink = HttpSink(HttpSinkConfig(url="http://127.0.0.1:9/ingest", timeout_s=1), "plant")
    with pytest.raises(SinkUnavailable, match="ConnectError"):
        sink.publish(rows)
    sink.close()
