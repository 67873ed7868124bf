"""Occupancy resets: set cameras' counts (and the site's) back, one event per camera.

Occupancy drifts: someone who leaves unseen stays "inside" until an operator, or the nightly
schedule, says the building is empty. :func:`reset_occupancy` changes pipeline state, so it
runs on the inference loop's thread between two passes; :func:`reset_on_loop` arranges that
from any other thread (console, control poller) and waits for the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, cast, get_args

from edge.events import Event, OccupancyReset, ResetSource
from edge.pipeline.step import CameraPipeline, SiteOccupancy
from edge.telemetry import metrics

if TYPE_CHECKING:
    from edge.pipeline.loop import InferenceLoop

SOURCES: tuple[str, ...] = get_args(ResetSource)
"""Who may ask for a reset: ``console``, ``cli``, ``schedule``."""


def reset_occupancy(pipelines: dict[str, CameraPipeline], site: SiteOccupancy,
                    camera_id: str | None, source: str, note: str = "", *,
                    idle: Collection[str] = ()) -> list[OccupancyReset]:
    """Reset one camera's occupancy (or every camera's) to 0; call on the loop thread.

    Resetting one camera lowers the site occupancy by that camera's previous count (never
    below 0); resetting all sets the site to 0. The cameras' ``edge_occupancy_people`` and the
    site's gauges follow at once; the pipelines write their next ``occupancy_logs`` row on
    their next frame.

    Args:
        pipelines: the loop's pipelines by camera id (cameras that have sent a frame).
        site: the shared site occupancy.
        camera_id: the camera to reset; ``None`` for every camera and the site.
        source: ``console``, ``cli`` or ``schedule``.
        note: why, who (stored with the event).
        idle: cameras configured but without a pipeline yet (no frame seen): their
            occupancy is 0, and a reset of one is recorded as 0 -> 0.

    Returns:
        One :class:`~edge.events.OccupancyReset` per camera reset (none when ``camera_id`` is
        ``None`` and no camera has a pipeline yet; the site is still set to 0).

    Raises:
        KeyError: ``camera_id`` is neither a pipeline nor an idle camera.
        ValueError: ``source`` is not one of :data:`SOURCES`.

    Example:
        >>> from edge.config.models import CameraConfig, TrackingConfig
        >>> site = SiteOccupancy()
        >>> pipe = CameraPipeline(CameraConfig(id="door", url="x"), TrackingConfig(), site)
        >>> pipe.occupancy.value = 3
        >>> [e.previous_occupancy for e in reset_occupancy({"door": pipe}, site, "door", "cli")]
        [3]
    """
    if source not in SOURCES:
        raise ValueError(f"reset source must be one of {', '.join(SOURCES)}, not {source!r}")
    src = cast(ResetSource, source)
    if camera_id is None:
        site.reset(0)
        events = []
        for cid in sorted(pipelines):
            previous = pipelines[cid].occupancy.reset(0)
            metrics.OCCUPANCY.labels(cid).set(0)
            events.append(OccupancyReset(camera_id=cid, previous_occupancy=previous,
                                         occupancy=0, site_occupancy=0, source=src,
                                         note=note))
        return events
    pipeline = pipelines.get(camera_id)
    if pipeline is None:
        if camera_id not in idle:
            known = ", ".join(sorted({*pipelines, *idle})) or "none"
            raise KeyError(f"no camera {camera_id!r} to reset (cameras: {known})")
        previous = 0
    else:
        previous = pipeline.occupancy.reset(0)
    metrics.OCCUPANCY.labels(camera_id).set(0)
    after = site.reset_by(previous)
    return [OccupancyReset(camera_id=camera_id, previous_occupancy=previous, occupancy=0,
                           site_occupancy=after, source=src, note=note)]


def describe_resets(events: Sequence[OccupancyReset], site_after: int | None = None) -> str:
    """One line saying what a reset did, e.g. ``door 3 -> 0; site occupancy now 1``."""
    if not events:
        site = "" if site_after is None else f"; site occupancy now {site_after}"
        return f"no camera has counted anyone yet{site}"
    parts = [f"{e.camera_id} {e.previous_occupancy} -> {e.occupancy}" for e in events]
    return f"{', '.join(parts)}; site occupancy now {events[-1].site_occupancy}"


def reset_on_loop(loop: InferenceLoop, site: SiteOccupancy,
                  emit: Callable[[list[Event]], None], camera_id: str | None, source: str,
                  note: str = "", *, idle: Collection[str] = (),
                  timeout: float = 5.0) -> list[OccupancyReset]:
    """Run :func:`reset_occupancy` on ``loop``'s thread between two passes, emit its events
    there (so they are queued before the next pass's occupancy rows) and return them.

    A reset the loop did not get to within ``timeout`` is cancelled, never applied late.

    Raises:
        RuntimeError: the loop is not running, or did not get to the reset in time.
        KeyError: unknown camera (see :func:`reset_occupancy`).
        ValueError: unknown source.
    """
    if source not in SOURCES:
        raise ValueError(f"reset source must be one of {', '.join(SOURCES)}, not {source!r}")
    if not loop.alive:
        raise RuntimeError("the inference loop is not running: nothing to reset")
    lock = threading.Lock()
    done = threading.Event()
    cancelled = False
    result: list[OccupancyReset] = []
    error: list[BaseException] = []

    def apply() -> None:
        with lock:
            if cancelled:
                return
            try:
                result.extend(reset_occupancy(loop.pipelines, site, camera_id, source, note,
                                              idle=idle))
                if result:
                    emit(list(result))
            except Exception as exc:  # handed to the caller's thread
                error.append(exc)
            finally:
                done.set()

    loop.call_between_passes(apply)
    if not done.wait(timeout):
        with lock:
            if not done.is_set():
                cancelled = True
                raise RuntimeError(f"the inference loop did not get to the occupancy reset "
                                   f"within {timeout:g}s; nothing was reset")
    if error:
        raise error[0]
    return result
