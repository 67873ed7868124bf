"""sd_notify over a real datagram socket standing in for systemd, and the watchdog policy."""

from __future__ import annotations

import socket
from pathlib import Path

from edge.telemetry.notify import Watchdog, notify, progress_check, watchdog_interval


def listener(tmp_path: Path) -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(2)
    return sock, path


def test_notify_sends_one_datagram_and_is_a_no_op_outside_systemd(tmp_path: Path) -> None:
    sock, path = listener(tmp_path)
    assert notify("READY=1", {"NOTIFY_SOCKET": path})
    assert sock.recv(100) == b"READY=1"
    assert notify("READY=1", {}) is False


def test_watchdog_interval_is_half_the_period_and_only_for_this_pid() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def test_watchdog_pings_only_while_every_check_passes() -> None:
    sent: list[str] = []
    clock = [100.0]
    loop_progress = [100.0]
    dog = Watchdog({"inference loop": progress_check(lambda: loop_progress[0], 30,
                                                     clock=lambda: clock[0])},
                   lambda: "2/2 cameras up", 1.0, send=lambda m: sent.append(m) or True)
    assert dog.tick() and sent == ["STATUS=2/2 cameras up", "WATCHDOG=1"]
    clock[0] = 140.0  # the loop made no progress for 40 s
    sent.clear()
    assert not dog.tick()
    assert sent == ["STATUS=inference loop: no progress for 40s"]
    loop_progress[0] = 139.0
    assert dog.tick() and sent[-1] == "WATCHDOG=1"
