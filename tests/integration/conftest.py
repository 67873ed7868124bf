"""A real RTSP camera (GStreamer's RTSP server under Debian's python3) for capture tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtspServer:
    """Start, kill, pause and bring back ``scripts/rtsp_server.py`` on a fixed port."""

    def __init__(self, fps: int = 25, size: str = "320x240", header_fps: int = 0) -> None:
        self.port = free_port()
        self.fps = fps
        self.header_fps = header_fps
        """The rate the stream's header claims (0: ``fps``, the true one)."""
        self.size = size
        self.proc: subprocess.Popen[str] | None = None
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self, timeout: float = 15.0) -> float:
        """Start and wait for READY; return the monotonic time it became ready."""
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(ROOT / "scripts" / "rtsp_server.py"), "--port", str(self.port),
             "--fps", str(self.fps), "--size", self.size, "--bitrate", "500",
             "--header-fps", str(self.header_fps)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY "):
                assert line.split()[1] == self.url
                return time.monotonic()
            if self.proc.poll() is not None:
                break
        err = self.proc.stderr.read() if self.proc.stderr else ""
        pytest.fail(f"RTSP server did not start: {err[-2000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(5)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def rtsp_server() -> Iterator[RtspServer]:
    """A live 25 fps test pattern on a free loopback port, stopped after the test."""
    if not Path(SYSTEM_PYTHON).exists():
        pytest.fail("Debian python3 with GStreamer is missing: run scripts/test_services.sh")
    server = RtspServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rtsp_factory() -> Iterator[list[RtspServer]]:
    """Make extra servers; all are stopped after the test."""
    made: list[RtspServer] = []
    yield made
    for s in made:
        s.stop()
