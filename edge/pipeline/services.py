"""The contract between the per-camera step and the track services (identity, ANPR).

After each frame's step, the inference loop (and the API's single-frame path) hands the frame
and its :class:`~edge.pipeline.step.FrameResult` to every service. ``observe`` runs on the
inference thread, so it must return at once: crop what it needs, put a job on a bounded queue
(dropping and counting when full) and return a ticket. Workers do the slow part and emit
events through the callback they were built with. The API waits on the ticket, bounded, to
fill ``faces_recognized`` / ``vehicles_detected``; the live loop ignores tickets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from edge.capture.slot import Frame
from edge.pipeline.step import FrameResult
from edge.telemetry import metrics

log = logging.getLogger(__name__)


class Ticket:
    """Answers for the tracks of one frame, filled by a worker (or at once from a cache).

    ``answers`` is a list of service-specific answer objects; ``warning`` is set when the
    service could not do its job (backend down, queue full) and the answers are a fallback.
    """

    def __init__(self, answers: list[Any] | None = None, pending: int = 0) -> None:
        self.answers: list[Any] = list(answers or [])
        self.warning: str | None = None
        self._pending = pending
        self._lock = threading.Lock()
        self._done = threading.Event()
        if pending <= 0:
            self._done.set()

    def add(self, answer: Any) -> None:
        """Add an answer for one more track (from a worker)."""
        with self._lock:
            self.answers.append(answer)

    def finish_one(self) -> None:
        """Mark one pending job done; the ticket is complete when none remain."""
        with self._lock:
            self._pending -= 1
            if self._pending <= 0:
                self._done.set()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for every job; True when all answered."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        """True when every job of this frame has answered."""
        return self._done.is_set()


class TrackService(Protocol):
    """A service fed with tracked frames (identity, ANPR)."""

    name: str

    def observe(self, frame: Frame, result: FrameResult) -> Ticket:
        """Look at one processed frame; must not block.

        Args:
            frame: the decoded frame; ``frame.crop(xyxy)`` cuts a full-frame box out of the
                whole picture (whatever ROI the detector was given).
            result: the step's result: ``detections`` carry full-frame ``xyxy``,
                ``tracker_id``, canonical ``class_id`` and ``data["class_name"]``;
                ``crossings`` of this frame.
        """
        ...

    def start(self) -> None:
        """Start workers."""
        ...

    def stop(self) -> None:
        """Stop workers, finishing or dropping queued jobs (bounded time)."""
        ...


Emit = Callable[[list[Any]], None]
"""Where services send events (the store writer's ``submit_many``)."""


def observe_all(services: Sequence[TrackService], frame: Frame,
                result: FrameResult) -> dict[str, Ticket]:
    """Show a frame to every service; one failing service never stops the others or the loop.

    Returns:
        The tickets by service name (a failed service gets a done ticket with a warning).
    """
    tickets: dict[str, Ticket] = {}
    for svc in services:
        try:
            tickets[svc.name] = svc.observe(frame, result)
        except Exception as exc:
            metrics.SERVICE_ERRORS.labels(svc.name).inc()
            log.exception("%s service failed on %s frame %d", svc.name, result.camera_id,
                          result.frame_seq)
            ticket = Ticket()
            ticket.warning = f"{svc.name} service error: {exc}"
            tickets[svc.name] = ticket
    return tickets
