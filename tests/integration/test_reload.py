"""SIGHUP re-reads the YAML: a line added with `edge line add` starts counting, a camera is
added, all without a restart; a broken file is refused and the running config kept."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from edge.cli.main import app as cli
from tests.conftest import MODELS, ROOT


def test_sighup_adds_a_line_and_a_camera_without_a_restart(tmp_path: Path,
                                                           pets_video: Path) -> None:
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text(
        f"# reload test\nmodels_dir: {MODELS}\nmodels:\n  - name: person\n"
        f"    source: person-yolov8s.pt\n    classes: {{Normal: person, Fall: person}}\n"
        f"cameras:\n  - id: pets\n    url: {pets_video}\n"
        f"storage:\n  path: {tmp_path / 'r.db'}\n  occupancy_heartbeat_s: 1\n"
        f"metrics:\n  enabled: false\n")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # stands in for systemd
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.2)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/edge"), "run", "-c", str(cfg),
                             "--status-every", "0"], stderr=subprocess.PIPE, text=True,
                            env=env)
    log: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: log.extend(iter(proc.stderr.readline, "")),
                              daemon=True)
    reader.start()

    def wait_for(text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in log):
                return True
            time.sleep(0.2)
        return False

    try:
        assert wait_for("inference loop:", 60), "".join(log)[-2000:]
        pid_before = proc.pid
        res = CliRunner().invoke(cli, ["line", "add", "pets", "mid", "--start", "384", "576",
                                       "--end", "384", "0", "-c", str(cfg)])
        assert res.exit_code == 0, res.output
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for("reload: camera pets: lines now mid", 20), "".join(log)[-2000:]
        said = notifications(sock)
        assert said[0] == "READY=1" and said[1].startswith("STATUS=")
        reload_at = next(i for i, m in enumerate(said) if m.startswith("RELOADING=1\n"))
        assert "READY=1" in said[reload_at + 1:]
        res = CliRunner().invoke(cli, ["camera", "add", "pets2", "--url", str(pets_video),
                                       "-c", str(cfg)])
        assert res.exit_code == 0
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for("reload: camera pets2 added", 20)
        res = CliRunner().invoke(cli, ["camera", "add", "pets3", "--url", str(pets_video),
                                       "-c", str(cfg)])
        assert res.exit_code == 0, res.output
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for("reload: camera pets3 added", 20)
        res = CliRunner().invoke(cli, ["camera", "remove", "pets3", "-c", str(cfg)])
        assert res.exit_code == 0
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for("reload: camera pets3 removed", 20)
        text = cfg.read_text()
        cfg.write_text(text.replace("cameras:", "cameras: [oops"))
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for("reload refused, running config kept", 20)
        deadline = time.monotonic() + 90
        counted = seen2 = 0
        while time.monotonic() < deadline and not (counted and seen2):
            time.sleep(2)
            conn = sqlite3.connect(tmp_path / "r.db")
            counted = conn.execute("SELECT COUNT(*) FROM line_crossings WHERE line_id = 'mid'"
                                   ).fetchone()[0]
            seen2 = conn.execute("SELECT COUNT(*) FROM occupancy_logs WHERE camera_id = "
                                 "'pets2'").fetchone()[0]
            conn.close()
        assert counted > 0, "the added line never counted"
        assert seen2 > 0, "the added camera never ran"
        assert proc.poll() is None and proc.pid == pid_before  # never restarted
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def notifications(sock: socket.socket) -> list[str]:
    """Every datagram the daemon has sent so far."""
    out = []
    while True:
        try:
            out.append(sock.recv(500).decode())
        except TimeoutError:
            return out
