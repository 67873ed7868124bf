"""The daemon's /metrics passes `promtool check metrics`, and a real Prometheus scraping it
on loopback sees a frame rate above zero."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from edge.app import App, RunOptions
from edge.config import validate_mapping
from tests.conftest import MODELS
from tests.integration.conftest import free_port


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def test_metrics_are_lint_clean_and_prometheus_sees_frames(tmp_path: Path,
                                                          pets_video: Path) -> None:
    for tool in ("promtool", "prometheus"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/test_services.sh")
    settings = validate_mapping({
        "models_dir": str(MODELS),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        "cameras": [{"id": "pets", "url": str(pets_video),
                     "lines": [{"id": "mid", "start": [384, 576], "end": [384, 0]}]}],
        "storage": {"path": str(tmp_path / "m.db")},
        "metrics": {"host": "127.0.0.1", "port": 0}}, "t")
    app = App(settings, RunOptions(pace=True))
    app.start()
    prom = None
    try:
        target = f"127.0.0.1:{app.metrics_port}"
        time.sleep(2)
        text = get(f"http://{target}/metrics")
        lint = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                              capture_output=True, timeout=30)
        assert lint.returncode == 0 and not (lint.stdout + lint.stderr).strip(), \
            lint.stdout + lint.stderr
        assert 'edge_frames_processed_total{camera="pets"}' in text
        port = free_port()
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"scrape_configs:\n  - job_name: edge\n    static_configs:\n"
            f"      - targets: ['{target}']\n")
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        query = urllib.parse.quote('sum(rate(edge_frames_processed_total{job="edge"}[5s]))')
        rate = 0.0
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and rate <= 0:
            time.sleep(1)
            try:
                body = json.loads(get(f"http://127.0.0.1:{port}/api/v1/query?query={query}"))
            except OSError:
                continue
            result = body.get("data", {}).get("result", [])
            rate = float(result[0]["value"][1]) if result else 0.0
        assert rate > 0, "Prometheus saw no frames"
    finally:
        if prom is not None:
            prom.terminate()
            prom.wait(10)
        app.stop()


def test_every_series_the_daemon_can_export_is_lint_clean() -> None:
    """promtool on one series of every metric (labels filled in), not only those a short run
    happens to touch; then the scrape example passes `promtool check config`."""
    from prometheus_client import REGISTRY, generate_latest
    from prometheus_client.metrics import MetricWrapperBase

    from edge.telemetry import metrics

    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: run scripts/test_services.sh")
    touched = []
    for obj in vars(metrics).values():
        if isinstance(obj, MetricWrapperBase) and obj._labelnames:
            values = ["promtool-lint"] * len(obj._labelnames)
            obj.labels(*values)
            touched.append((obj, values))
    try:
        text = generate_latest(REGISTRY).decode()
    finally:
        for obj, values in touched:
            obj.remove(*values)
    edge_lines = "".join(ln + "\n" for ln in text.splitlines() if "edge_" in ln)
    for obj in vars(metrics).values():
        if isinstance(obj, MetricWrapperBase):
            assert f"# TYPE {obj._name}" in edge_lines, obj._name
    lint = subprocess.run(["promtool", "check", "metrics"], input=edge_lines, text=True,
                          capture_output=True, timeout=30)
    assert lint.returncode == 0 and not (lint.stdout + lint.stderr).strip(), \
        lint.stdout + lint.stderr
    from tests.conftest import ROOT

    check = subprocess.run(["promtool", "check", "config", str(ROOT / "docs/prometheus.yml")],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
