"""A real mosquitto broker on loopback (with persistence, so it can be stopped and brought
back) and a consumer that records what arrives, for the sync tests."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.integration.conftest import free_port


class Broker:
    """``mosquitto`` on 127.0.0.1 with on-disk persistence (queued QoS 1 messages survive)."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            pytest.fail("mosquitto is missing: run scripts/test_services.sh (make test does)")
        self.exe = exe
        self.port = free_port()
        self.dir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {workdir}/\nautosave_interval 1\nmax_queued_messages 0\n"
            f"max_inflight_messages 0\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("mosquitto did not start")

    def pause(self) -> None:
        """SIGSTOP: the broker stops answering; its sockets and memory stay as they are."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.proc.wait(10)


class Consumer:
    """Subscribes to ``edge/#`` at QoS 1 with a persistent session; keeps arrival order."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.status: list[str] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="upstream",
                                  clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe("edge/#", qos=1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c, _u, msg) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            if msg.topic.endswith("/status"):
                self.status.append(msg.payload.decode())
            else:
                self.messages.append((msg.topic, json.loads(msg.payload)))

    def events(self) -> list[dict]:
        """Every event payload received so far (duplicates included), in arrival order."""
        with self.lock:
            return [p for _t, p in self.messages]

    def unique(self) -> dict[str, dict]:
        """First arrival of each event id."""
        out: dict[str, dict] = {}
        for p in self.events():
            out.setdefault(p["event_id"], p)
        return out

    def wait_for(self, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.unique()) >= n:
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
