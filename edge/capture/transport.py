"""FFmpeg reads the RTSP transport from one process-wide environment variable at open time.

:class:`TransportGate` lets any number of cameras open at once as long as they want the same
transport; a camera wanting the other one waits until those opens are done. So a camera whose
open hangs until its timeout never holds up cameras on the same transport.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
