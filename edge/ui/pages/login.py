"""Log in with the API token; log out."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from edge.telemetry import metrics
from edge.ui.auth import COOKIE, CSRF_FIELD, LOGIN_COOKIE
from edge.ui.forms import read_form, text

if TYPE_CHECKING:
    from edge.ui.app import Console


def _safe_next(target: str) -> str:
    """Only paths on this console: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/live"


def routes(console: Console, app: FastAPI) -> None:
    """Add the login routes."""

    @app.get("/login")
    async def login_page(request: Request, next: str = "/live") -> Response:
        token = secrets.token_urlsafe(24)
        response = console.render(request, "login.html", next=_safe_next(next[:300]),
                                  login_csrf=token)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login")
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await read_form(request, 16 * 1024)
        target = _safe_next(text(form, "next", max_len=300) or "/live")
        offered_csrf = text(form, CSRF_FIELD, max_len=100)
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not hmac.compare_digest(offered_csrf.encode(), cookie.encode()):
            metrics.UI_LOGINS.labels("refused").inc()
            return console.render(request, "login.html", code=403, next=target,
                                  login_csrf=cookie, message="form refused: its CSRF token is "
                                  "missing or wrong (reload the page and try again)")
        if not console.ctx.token:
            return console.render(request, "login.html", code=403, next=target,
                                  login_csrf=cookie, message="no API token is configured: "
                                  "set the variable named by api.token_env and restart")
        session = console.sessions.login(text(form, "token", max_len=500))
        if session is None:
            metrics.UI_LOGINS.labels("wrong").inc()
            return console.render(request, "login.html", code=401, next=target,
                                  login_csrf=cookie, message="wrong token")
        metrics.UI_LOGINS.labels("ok").inc()
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, session.sid, httponly=True, samesite="strict", path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        console.sessions.logout(request)
        response = RedirectResponse("/live", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response
