"""sd_notify over a real datagram socket standing in for systemd's NOTIFY_SOCKET."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from edge.telemetry.notify import notify, reloading, under_systemd, watchdog_interval


def listener(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    return sock


def test_notify_sends_one_datagram_and_is_a_no_op_outside_systemd(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = listener(path)
    assert notify("READY=1", {"NOTIFY_SOCKET": path})
    assert sock.recv(100) == b"READY=1"
    assert notify("READY=1", {}) is False
    assert under_systemd({"NOTIFY_SOCKET": path}) and not under_systemd({})


def test_notify_reaches_an_abstract_socket() -> None:
    name = f"edge-test-{id(object())}"
    sock = listener("\0" + name)
    assert notify("STATUS=hello", {"NOTIFY_SOCKET": "@" + name})
    assert sock.recv(100) == b"STATUS=hello"


def test_a_vanished_socket_is_reported_not_raised(tmp_path: Path) -> None:
    assert notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


def test_reloading_carries_a_monotonic_timestamp(tmp_path: Path) -> None:
    path = str(tmp_path / "n.sock")
    sock = listener(path)
    assert reloading({"NOTIFY_SOCKET": path})
    first, second = sock.recv(200).decode().split("\n")
    assert first == "RELOADING=1" and second.startswith("MONOTONIC_USEC=")
    assert int(second.split("=")[1]) > 0


@pytest.mark.parametrize(("env", "expected"), [
    ({"WATCHDOG_USEC": "60000000"}, 30.0),
    ({"WATCHDOG_USEC": "400000"}, 0.2),
    ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}, None),  # someone else's watchdog
    ({}, None),
])
def test_watchdog_interval_is_half_the_period_and_only_for_this_pid(
        env: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(env) == expected
