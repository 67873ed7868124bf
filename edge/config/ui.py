"""The operator console's section of ``cameras.yaml``."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from edge.config.base import Strict


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback address (127.0.0.0/8, ::1).

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UiConfig(Strict):
    """The browser console served by the daemon (its own listener, same process).

    Pages that only read are open on a loopback ``host``; every change needs a login with the
    API token (the variable named by ``api.token_env``). On any other ``host`` every page
    needs the login.
    """

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)
    """0 picks a free port (tests)."""
    live_fps: float = Field(3.0, gt=0, le=30)
    """Most annotated frames drawn and encoded per camera and second, however many watch."""
    live_width: int = Field(960, ge=160, le=3840)
    """Live frames wider than this are scaled down before encoding."""
    jpeg_quality: int = Field(75, ge=20, le=100)
    session_hours: float = Field(8.0, gt=0, le=24 * 7)
    """A login lasts this long (a cookie that lives in the browser's memory only)."""
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    """Largest form body (enrolment photos together)."""

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if v != "localhost":
            try:
                ipaddress.ip_address(v)
            except ValueError:
                raise ValueError(f"must be an IP address or 'localhost', got {v!r}") from None
        return v
