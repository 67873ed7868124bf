"""The files an installer uses: the unit has what the issue asks for, the environment example
names every secret the config refers to, the Grafana dashboard only queries metrics that
exist, install.sh parses."""

from __future__ import annotations

import json
import re
import subprocess

from prometheus_client.metrics import Counter, Histogram, MetricWrapperBase

from edge.config.models import ApiConfig
from edge.telemetry import metrics
from tests.conftest import ROOT


def unit() -> dict[str, list[str]]:
    """[Service] keys -> every value given (systemd allows repeats)."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in (ROOT / "systemd/edge.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_unit_has_the_service_contract_and_the_hardening() -> None:
    u = unit()
    expected = {"Type": "notify", "Restart": "on-failure", "NotifyAccess": "main",
                "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                "NoNewPrivileges": "yes", "StateDirectory": "edge",
                "ConfigurationDirectory": "edge", "User": "edge", "DevicePolicy": "closed",
                "CapabilityBoundingSet": "", "EnvironmentFile": "-/etc/edge/edge.env"}
    for key, value in expected.items():
        assert u.get(key) == [value], key
    assert int(u["WatchdogSec"][0]) >= 30
    assert "@system-service" in u["SystemCallFilter"]
    assert set(u["RestrictAddressFamilies"][0].split()) <= {"AF_UNIX", "AF_INET", "AF_INET6",
                                                            "AF_NETLINK"}
    assert "char-video4linux rw" in u["DeviceAllow"]
    assert "SupplementaryGroups" not in u  # a group missing on the box would stop the unit
    assert u["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_env_example_names_the_secrets_the_config_reads() -> None:
    text = (ROOT / "systemd/edge.env.example").read_text()
    names = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", text, re.M))
    wanted = {ApiConfig().token_env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
              "AWS_REGION"}
    template = (ROOT / "config/cameras.yaml").read_text()  # sync secrets named there
    wanted |= set(re.findall(r"(?:password_env|token_env):\s*([A-Z_][A-Z0-9_]*)", template))
    assert wanted <= names, wanted - names


def test_dashboard_queries_only_metrics_that_exist() -> None:
    board = json.loads((ROOT / "docs/grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    known: set[str] = set()
    for obj in vars(metrics).values():
        if not isinstance(obj, MetricWrapperBase):
            continue
        if isinstance(obj, Counter):
            known.add(obj._name + "_total")
        elif isinstance(obj, Histogram):
            known |= {obj._name + s for s in ("_bucket", "_sum", "_count")}
        else:
            known.add(obj._name)
    used = {n for e in exprs for n in re.findall(r"\bedge_[a-z0-9_]+", e)}
    assert used and used <= known, sorted(used - known)


def test_install_script_parses() -> None:
    res = subprocess.run(["bash", "-n", str(ROOT / "scripts/install.sh")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
