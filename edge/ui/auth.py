"""Console access: a login with the API token, a session cookie, a CSRF token per session.

Reading pages is open on a loopback listener; every change needs a login, and on any other
listener every page does. The session id lives in an HttpOnly, SameSite=Strict cookie; each
form carries the session's CSRF token (and scripts send it as ``X-CSRF-Token``), compared in
constant time.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request

COOKIE = "edge_session"
LOGIN_COOKIE = "edge_login_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass
class Session:
    """A logged-in browser."""

    sid: str
    csrf: str
    expires: float


class AccessDenied(Exception):
    """The request may not do this; ``status`` 401 (log in) or 403 (refused)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Sessions:
    """Logged-in sessions in memory (a restart logs everyone out, by design)."""

    def __init__(self, token: str | None, hours: float, max_sessions: int = 256) -> None:
        self.token = token
        self.ttl_s = hours * 3600
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def login(self, offered: str) -> Session | None:
        """A new session when ``offered`` is the token, else None."""
        if not self.token or not hmac.compare_digest(offered.encode(), self.token.encode()):
            return None
        now = time.monotonic()
        with self._lock:
            self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
            if len(self._sessions) >= self.max_sessions:  # drop the oldest
                oldest = min(self._sessions.values(), key=lambda s: s.expires)
                self._sessions.pop(oldest.sid)
            session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                              now + self.ttl_s)
            self._sessions[session.sid] = session
        return session

    def get(self, request: Request) -> Session | None:
        """The request's live session, or None."""
        sid = request.cookies.get(COOKIE, "")
        with self._lock:
            session = self._sessions.get(sid)
            if session is None or session.expires <= time.monotonic():
                self._sessions.pop(sid, None)
                return None
            return session

    def logout(self, request: Request) -> None:
        """Forget the request's session."""
        with self._lock:
            self._sessions.pop(request.cookies.get(COOKIE, ""), None)


def csrf_ok(session: Session, offered: str | None) -> bool:
    """Constant-time check of a form's or header's CSRF token."""
    return bool(offered) and hmac.compare_digest(str(offered).encode(), session.csrf.encode())


def require_change(sessions: Sessions, request: Request, offered_csrf: str | None) -> Session:
    """The session allowed to make a change, or AccessDenied saying why not."""
    if not sessions.token:
        raise AccessDenied(403, "changes are disabled: no API token is configured (set the "
                                "variable named by api.token_env and restart)")
    session = sessions.get(request)
    if session is None:
        raise AccessDenied(401, "log in to make changes")
    if not csrf_ok(session, offered_csrf or request.headers.get(CSRF_HEADER)):
        raise AccessDenied(403, "form refused: its CSRF token is missing or wrong "
                                "(reload the page and try again)")
    return session
