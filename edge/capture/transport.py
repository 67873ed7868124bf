"""FFmpeg reads the RTSP transport from one process-wide environment variable at open time.

:class:`TransportGate` lets any number of cameras open at once as long as they want the same
transport; a camera wanting the other one waits until those opens are done. So a camera whose
open hangs until its timeout never holds up cameras on the same transport.

:func:`tcp_probe` asks a stream's host whether it accepts connections at all, so a camera
that was healthy a moment ago can check every fraction of a second whether its server is
back without paying for a full open each time.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

ENV_VAR = "OPENCV_FFMPEG_CAPTURE_OPTIONS"


class TransportGate:
    """Serialises opens only between cameras that need different transports."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._current: str | None = None
        self._in_flight = 0

    @contextmanager
    def opening(self, transport: str) -> Iterator[None]:
        """Hold while constructing a capture that must see ``rtsp_transport=transport``."""
        with self._cond:
            while self._in_flight and self._current != transport:
                self._cond.wait()
            if self._current != transport:
                os.environ[ENV_VAR] = f"rtsp_transport;{transport}"
                self._current = transport
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()


GATE = TransportGate()


DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "rtmp": 1935}


def stream_address(url: str) -> tuple[str, int] | None:
    """(host, port) of a network stream URL, or None when it has none (files, pipes).

    >>> stream_address("rtsp://user:pw@10.0.0.5:8554/cam"), stream_address("a.mp4")
    (('10.0.0.5', 8554), None)
    """
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in DEFAULT_PORTS:
        return None
    try:
        return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:  # a port that is not a number
        return None


def tcp_probe(url: str, timeout_s: float) -> bool:
    """Whether the stream's host accepts a TCP connection now: a cheap check (a few
    milliseconds) before a full open, which takes up to the open timeout to fail. URLs
    without a host:port (files) always pass."""
    address = stream_address(url)
    if address is None:
        return True
    try:
        with socket.create_connection(address, timeout=timeout_s):
            return True
    except OSError:
        return False
