"""Read the running daemon's own metrics (for ``edge doctor``).

The daemon and the CLI are separate processes; the exporter on ``metrics.host:metrics.port``
is the one channel both already have, so the CLI scrapes it rather than growing another.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

SILENT_METRIC = "edge_vehicle_model_silent_seconds"
"""The gauge :class:`edge.pipeline.blindspot.BlindSpotTracker` exports."""
GAP_METRIC = "edge_camera_frame_gap"
"""The gauge the camera step exports: camera frames between two analysed ones."""
FPS_METRIC = "edge_camera_fps"
"""The gauge the capture thread exports: the frame rate the camera is timed by."""
DECODE_METRIC = "edge_camera_decode_fps"
"""The gauge the capture thread exports: frames it decoded a second, lately."""
STAMP_METRIC = "edge_camera_stamp_fps"
"""The gauge the capture thread exports: the rate its stream's timestamps say."""


class ScrapeError(RuntimeError):
    """Nothing (or nothing readable) answered on the metrics endpoint."""


@dataclass(frozen=True)
class ModelSilence:
    """One vehicle model on one camera, as the daemon reports it."""

    camera: str
    model: str
    silent_s: float
    """Seconds of changing picture since the model's last vehicle detection there."""


def metrics_url(host: str, port: int) -> str:
    """The URL to scrape for an exporter bound to ``host:port``.

    A wildcard bind (``0.0.0.0``, ``::``, empty) is reached on loopback, since the CLI runs
    on the same box.

    >>> metrics_url("0.0.0.0", 9108)
    'http://127.0.0.1:9108/metrics'
    >>> metrics_url("::", 9108)
    'http://[::1]:9108/metrics'
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a name such as localhost
    return f"http://{host}:{port}/metrics"


def scrape(url: str, timeout_s: float = 3.0) -> str:
    """GET the exposition text at ``url``.

    Raises:
        ScrapeError: connection refused, time-out, or a non-200 answer, said in words.
    """
    try:
        res = httpx.get(url, timeout=timeout_s)
    except httpx.ConnectError:
        raise ScrapeError(f"nothing answers on {url} (is `edge run` running?)") from None
    except httpx.TimeoutException:
        raise ScrapeError(f"{url} did not answer within {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise ScrapeError(f"{url}: {exc}") from None
    if res.status_code != 200:
        raise ScrapeError(f"{url} answered HTTP {res.status_code}, not metrics")
    return res.text


def _samples(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of every sample of ``metric`` in exposition ``text``.

    Raises:
        ScrapeError: the text is not Prometheus exposition format.
    """
    try:
        return [(sample.labels, float(sample.value))
                for family in text_string_to_metric_families(text) if family.name == metric
                for sample in family.samples if sample.name == metric]
    except ValueError as exc:
        raise ScrapeError(f"the metrics endpoint sent unreadable text: {exc}") from None


def model_silences(text: str) -> list[ModelSilence]:
    """The ``edge_vehicle_model_silent_seconds`` series in exposition ``text``.

    Raises:
        ScrapeError: the text is not Prometheus exposition format.
    """
    out = [ModelSilence(labels.get("camera", "?"), labels.get("model", "?"), value)
           for labels, value in _samples(text, SILENT_METRIC)]
    return sorted(out, key=lambda s: (s.camera, s.model))


def camera_gauge(text: str, metric: str) -> dict[str, float]:
    """``{camera: value}`` of the gauge ``metric`` in exposition ``text``.

    >>> camera_gauge('edge_camera_frame_gap{camera="gate"} 19.0\\n', GAP_METRIC)
    {'gate': 19.0}

    Raises:
        ScrapeError: the text is not Prometheus exposition format.
    """
    return {labels.get("camera", "?"): value for labels, value in _samples(text, metric)}
