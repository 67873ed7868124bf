"""Serve the API with uvicorn on a thread inside the daemon process."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class ApiServer:
    """uvicorn on its own thread; ``port=0`` picks a free port (read ``port`` after start)."""

    def __init__(self, app: FastAPI, host: str, port: int, name: str = "API") -> None:
        self.host = host
        self.name = name
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.port = port

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises if the socket could not be bound in time."""
        self._thread = threading.Thread(target=self._server.run, name=self.name.lower(),
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} could not listen on {self.host}:{self.port}")
            time.sleep(0.02)
        sockets = [s for srv in self._server.servers for s in srv.sockets]
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("%s on http://%s:%d", self.name, self.host, self.port)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait briefly."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(3.0)
