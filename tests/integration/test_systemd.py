"""The systemd unit passes `systemd-analyze verify` silently and scores well on security;
the daemon tells a NOTIFY_SOCKET it is ready and stops pinging when its loop hangs."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from edge.app import App, RunOptions
from edge.config import validate_mapping
from edge.pipeline.services import Ticket
from tests.conftest import MODELS, ROOT


def unit_here(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's venv (verify checks the path)."""
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze is missing: run scripts/test_services.sh")
    text = (ROOT / "systemd" / "edge.service").read_text()
    out = tmp_path / "edge.service"
    out.write_text(text.replace("/opt/edge/.venv/bin/edge", str(ROOT / ".venv/bin/edge")))
    return out


def test_unit_verifies_without_a_single_warning(tmp_path: Path) -> None:
    res = subprocess.run(["systemd-analyze", "verify", str(unit_here(tmp_path))],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout == "" and res.stderr == "", res.stderr


def test_unit_security_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    res = subprocess.run(["systemd-analyze", "security", "--offline=true",
                          str(unit_here(tmp_path))], capture_output=True, text=True,
                         timeout=60)
    m = re.search(r"Overall exposure level for edge.service: ([0-9.]+)", res.stdout)
    assert m, res.stdout[-500:] + res.stderr
    assert float(m.group(1)) <= 2.5


def syscalls(names: list[str], seen: set[str] | None = None) -> set[str]:
    """The system calls of seccomp names (``@group`` or a call), groups expanded by
    ``systemd-analyze syscall-filter``, nested groups too."""
    seen = set() if seen is None else seen
    out: set[str] = set()
    for name in names:
        if not name.startswith("@"):
            out.add(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        res = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
                             text=True, timeout=60, check=True)
        members = [ln.strip() for ln in res.stdout.splitlines()[1:]
                   if ln.startswith("    ") and not ln.strip().startswith("#")]
        out |= syscalls(members, seen)
    return out


def test_the_unit_lets_workers_lower_their_priority_and_nothing_more() -> None:
    """``SystemCallFilter=`` lines in order (an allow list, ``~`` taking calls away, later
    lines winning): the plate workers' ``setpriority`` (``anpr.worker_nice``) is allowed, the
    rest of ``@resources`` is not."""
    allowed: set[str] = set()
    for line in (ROOT / "systemd" / "edge.service").read_text().splitlines():
        if line.startswith("SystemCallFilter="):
            value = line.split("=", 1)[1]
            if value.startswith("~"):
                allowed -= syscalls(value[1:].split())
            else:
                allowed |= syscalls(value.split())
    assert "read" in allowed and "mount" not in allowed and "reboot" not in allowed
    assert syscalls(["@resources"]) & allowed == {"setpriority"}


def test_ready_then_watchdog_pings_stop_when_the_loop_hangs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pets_video: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "n.sock"))
    sock.settimeout(0.2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "n.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.2 s
    monkeypatch.setattr("edge.app.STALL_S", 1.5)
    settings = validate_mapping({
        "models_dir": str(MODELS),
        "models": [{"name": "person", "source": "person-yolov8s.pt",
                    "classes": {"Normal": "person", "Fall": "person"}}],
        "cameras": [{"id": "cam", "url": str(pets_video)}],
        "storage": {"path": str(tmp_path / "w.db")}, "metrics": {"enabled": False}}, "t")
    app = App(settings, RunOptions(pace=True))
    app.start()
    hang = threading.Event()

    class Hung:
        name = "hung"

        def observe(self, *_args: object) -> Ticket:
            hang.wait(30)
            return Ticket()

    def received(seconds: float) -> list[str]:
        out, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            with contextlib.suppress(TimeoutError):
                out.append(sock.recv(200).decode())
        return out

    try:
        first = received(2.0)
        assert first[0] == "READY=1" and first[1].startswith("STATUS=")
        assert "WATCHDOG=1" in first
        assert app.loop is not None
        app.loop.services.append(Hung())  # type: ignore[arg-type]
        received(2.5)  # the loop hangs in the service; after 1.5 s the checks fail
        later = received(1.5)
        assert "WATCHDOG=1" not in later
        assert any("inference loop: no progress" in m for m in later)
    finally:
        hang.set()
        app.stop()
