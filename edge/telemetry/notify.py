"""systemd notifications (``sd_notify``) over the ``NOTIFY_SOCKET`` datagram socket.

The protocol is one datagram per message to the socket named by ``NOTIFY_SOCKET`` (a path, or
``@name`` for the abstract namespace), so no library is needed (``sdnotify`` does the same in
a few lines; ``systemd-python`` would pull libsystemd headers into every install). Outside
systemd every call is a no-op. The watchdog policy lives in ``edge.telemetry.watchdog``.

Example:
    >>> notify("READY=1", env={})  # not under systemd
    False
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


def notify(message: str, env: dict[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``READY=1``) to systemd.

    Args:
        message: one or more ``KEY=value`` lines.
        env: the environment to read ``NOTIFY_SOCKET`` from (default ``os.environ``).

    Returns:
        True when the datagram was sent; False outside systemd or when sending failed.
    """
    address = (env if env is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), address)
        return True
    except OSError as exc:
        log.warning("sd_notify to %r failed: %s", address, exc)
        return False


def under_systemd(env: dict[str, str] | None = None) -> bool:
    """Whether a notification socket was handed to us (``Type=notify`` units)."""
    return bool((env if env is not None else os.environ).get("NOTIFY_SOCKET"))


def reloading(env: dict[str, str] | None = None) -> bool:
    """Tell systemd a configuration reload started; send ``READY=1`` when it is done.

    ``MONOTONIC_USEC`` is what ``Type=notify-reload`` (systemd 253+) matches the reload by;
    older versions ignore it.
    """
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={usec}", env)


def watchdog_interval(env: dict[str, str] | None = None) -> float | None:
    """Half of systemd's ``WATCHDOG_USEC`` in seconds (ping twice per period), or None.

    None also when ``WATCHDOG_PID`` names another process (the watchdog is not ours).
    """
    e = env if env is not None else os.environ
    usec = e.get("WATCHDOG_USEC")
    if not usec or (e.get("WATCHDOG_PID") and e["WATCHDOG_PID"] != str(os.getpid())):
        return None
    return int(usec) / 2e6
