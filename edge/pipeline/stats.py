"""Per-camera processing statistics, turned into a ``system_metrics`` row per interval."""

from __future__ import annotations

import threading
import time

import psutil

from edge.events import Event, FrameStats
from edge.telemetry import metrics


class ProcessSampler:
    """CPU percent of this process (100 = one core) and GPU memory in MB, sampled lazily."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)  # first call primes the counter
        self._lock = threading.Lock()
        self._last = (0.0, 0.0)
        self._last_at = 0.0

    def sample(self) -> tuple[float, float]:
        """(cpu_percent, gpu_memory_mb), refreshed at most once a second."""
        with self._lock:
            now = time.monotonic()
            if now - self._last_at >= 1.0:
                cpu = self._proc.cpu_percent(None)
                self._last = (cpu, _gpu_memory_mb())
                self._last_at = now
                metrics.PROCESS_CPU.set(cpu)
            return self._last


def _gpu_memory_mb() -> float:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.memory_allocated() / 1e6
    except ImportError:
        pass
    return 0.0


TALLY_FIELDS = ("faces_processed", "vehicles_processed", "aws_calls", "aws_cost_estimated",
                "cache_hits", "cache_misses")


class ServiceTally:
    """Per-camera counts from the track services for the ``system_metrics`` columns
    (faces and vehicles processed, cloud calls and cost, cache hits and misses)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, float]] = {}

    def add(self, camera_id: str, **counts: float) -> None:
        """Add to this camera's counts; names must be in ``TALLY_FIELDS``."""
        with self._lock:
            row = self._counts.setdefault(camera_id, dict.fromkeys(TALLY_FIELDS, 0.0))
            for name, value in counts.items():
                row[name] += value

    def take(self, camera_id: str) -> dict[str, float]:
        """This camera's counts since the last take (then zeroed)."""
        with self._lock:
            return self._counts.pop(camera_id, dict.fromkeys(TALLY_FIELDS, 0.0))


class CameraStats:
    """Accumulates one camera's frames and emits :class:`FrameStats` every ``interval_s``."""

    def __init__(self, camera_id: str, interval_s: float, sampler: ProcessSampler,
                 tally: ServiceTally | None = None) -> None:
        self.camera_id = camera_id
        self.interval_s = interval_s
        self.sampler = sampler
        self.tally = tally
        self._reset(time.monotonic())
        self.total_frames = 0
        self._last_seq = 0

    def _reset(self, now: float) -> None:
        self._window_start = now
        self._frames = 0
        self._processing_ms = 0.0

    def record(self, seq: int, processing_ms: float) -> list[Event]:
        """Count a processed frame (``processing_ms``: batch taken -> step done); return a
        stats event when the interval is over."""
        self._frames += 1
        self._last_seq = seq
        self.total_frames += 1
        self._processing_ms += processing_ms
        if time.monotonic() - self._window_start < self.interval_s:
            return []
        return self.flush()

    def flush(self) -> list[Event]:
        """Emit the current window now (at shutdown), or nothing if it is empty."""
        if not self._frames:
            return []
        now = time.monotonic()
        elapsed = max(now - self._window_start, 1e-6)
        cpu, gpu = self.sampler.sample()
        t = self.tally.take(self.camera_id) if self.tally else dict.fromkeys(TALLY_FIELDS, 0)
        event = FrameStats(
            camera_id=self.camera_id, frame_id=self._last_seq,
            processing_time_ms=self._processing_ms / self._frames,
            fps=self._frames / elapsed, frames=self._frames, cpu_usage=cpu,
            gpu_memory_used=gpu, faces_processed=int(t["faces_processed"]),
            vehicles_processed=int(t["vehicles_processed"]), aws_calls=int(t["aws_calls"]),
            aws_cost_estimated=round(float(t["aws_cost_estimated"]), 6),
            cache_hits=int(t["cache_hits"]), cache_misses=int(t["cache_misses"]))
        self._reset(now)
        return [event]
