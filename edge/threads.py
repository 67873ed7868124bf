"""A named daemon thread that runs a component's ``_run`` until asked to stop.

The inference loop and the control poller share this start/stop/alive shape; ``_run`` loops
until ``self._stop`` is set (and may wait on it, so a stop ends a sleep at once).
"""

from __future__ import annotations

import threading


class BackgroundThread:
    """Base class: subclasses call ``super().__init__(name)`` and define ``_run``.

    Args:
        name: the thread's name (shown by ``py-spy``, logs and ``threading.enumerate``).
        stop_timeout_s: how long :meth:`stop` waits for the thread by default.
    """

    def __init__(self, name: str, stop_timeout_s: float = 5.0) -> None:
        self._thread_name = name
        self._stop_timeout_s = stop_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def start(self) -> None:
        """Start the thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop after its current pass and wait for it (bounded)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._stop_timeout_s if timeout is None else timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread is not None and self._thread.is_alive()
