"""Watchdog policy: WATCHDOG=1 only while the loop, the writer and the supervisor progress."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import pytest

from edge.telemetry.notify import notify
from edge.telemetry.watchdog import Watchdog, progress_check, progress_checks


class Worker:
    """Stands in for InferenceLoop / StoreWriter / CaptureSupervisor."""

    def __init__(self, last: float, alive: bool = True) -> None:
        self.last_progress = last
        self.alive = alive


def recorder() -> tuple[list[str], object]:
    sent: list[str] = []

    def send(message: str) -> bool:
        sent.append(message)
        return True

    return sent, send


def test_pings_only_while_every_worker_makes_progress() -> None:
    clock = [100.0]
    loop, writer, sup = Worker(100.0), Worker(100.0), Worker(100.0)
    sent, send = recorder()
    dog = Watchdog(progress_checks(30, {"inference loop": loop, "store writer": writer,
                                        "camera supervisor": sup}, clock=lambda: clock[0]),
                   lambda: "2/2 cameras up", 1.0, send=send)  # type: ignore[arg-type]
    assert dog.tick() and sent == ["STATUS=2/2 cameras up", "WATCHDOG=1"]
    clock[0] = 140.0  # nobody moved for 40 s; only the writer and supervisor catch up
    writer.last_progress = sup.last_progress = 139.0
    sent.clear()
    assert not dog.tick()
    assert sent == ["STATUS=STALLED inference loop: no progress for 40s"]
    loop.last_progress = 139.5
    sent.clear()
    assert dog.tick() and sent == ["STATUS=2/2 cameras up", "WATCHDOG=1"]


@pytest.mark.parametrize("stalled", ["inference loop", "store writer", "camera supervisor"])
def test_any_one_stalled_worker_withholds_the_ping(stalled: str) -> None:
    workers = {name: Worker(100.0) for name in
               ("inference loop", "store writer", "camera supervisor")}
    workers[stalled].last_progress = 50.0
    sent, send = recorder()
    dog = Watchdog(progress_checks(30, workers, clock=lambda: 101.0), lambda: "ok", 1.0,
                   send=send)  # type: ignore[arg-type]
    assert not dog.tick()
    assert sent == [f"STATUS=STALLED {stalled}: no progress for 51s"]
    assert dog.problems == [f"{stalled}: no progress for 51s"]


def test_a_dead_thread_fails_at_once_and_missing_workers_are_skipped() -> None:
    checks = progress_checks(30, {"store writer": Worker(100.0, alive=False),
                                  "camera supervisor": None}, clock=lambda: 100.0)
    assert list(checks) == ["store writer"]
    assert checks["store writer"]() == "thread not running"


def test_a_raising_check_is_a_failed_check_and_status_only_mode_never_pings() -> None:
    def broken() -> str | None:
        raise RuntimeError("boom")

    sent, send = recorder()
    assert not Watchdog({"x": broken}, lambda: "ok", 1.0, send=send).tick()  # type: ignore[arg-type]
    assert sent == ["STATUS=STALLED x: check raised RuntimeError('boom')"]
    sent.clear()
    ok = progress_check(lambda: 10.0, 30, clock=lambda: 11.0)
    assert not Watchdog({"x": ok}, lambda: "fine", 1.0, ping=False, send=send).tick()  # type: ignore[arg-type]
    assert sent == ["STATUS=fine"]


def test_thread_pings_a_real_socket_then_stops_when_the_loop_stalls(tmp_path: Path) -> None:
    path = str(tmp_path / "n.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.05)
    loop = Worker(time.monotonic())
    dog = Watchdog(progress_checks(0.3, {"inference loop": loop}), lambda: "up", 0.05,
                   send=lambda m: notify(m, {"NOTIFY_SOCKET": path}))

    def drain(seconds: float) -> list[str]:
        out, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            loop.last_progress = time.monotonic() if moving else loop.last_progress
            with contextlib.suppress(TimeoutError):
                out.append(sock.recv(200).decode())
        return out

    dog.start()
    try:
        moving = True
        assert drain(0.4).count("WATCHDOG=1") >= 3
        moving = False
        drain(0.4)  # the stall passes 0.3 s
        late = drain(0.3)
        assert late and "WATCHDOG=1" not in late
        assert all(m.startswith("STATUS=STALLED inference loop") for m in late)
    finally:
        dog.stop()
