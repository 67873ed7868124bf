"""The console's FastAPI app: templates, static files, access rules and error pages.

Pages live in ``edge.ui.pages``; each module adds its routes to the app through
``routes(console, app)``. Every error, from a bad form to an unexpected exception, is a page
that says what was wrong (or a short text for pictures and JSON), never a traceback.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import edge
from edge.config.ui import UiConfig, is_loopback
from edge.ui.auth import AccessDenied, Session, Sessions
from edge.ui.context import ConsoleContext
from edge.ui.forms import FormError

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
NAV = (("/live", "Live"), ("/cameras", "Cameras"), ("/occupancy", "Occupancy"),
       ("/attendance", "Attendance"), ("/vehicles", "Vehicles"), ("/people", "People"),
       ("/health", "Health"))
OPEN_PATHS = ("/login", "/static/")
"""Reachable without a login even when every page needs one."""
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'none'")


class Console:
    """Shared by the page modules: the context, the settings, sessions and rendering."""

    def __init__(self, ctx: ConsoleContext, cfg: UiConfig) -> None:
        self.ctx = ctx
        self.cfg = cfg
        self.open_reads = is_loopback(cfg.host)
        self.sessions = Sessions(ctx.token, cfg.session_hours)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(nav=NAV, version=edge.__version__,
                                          live_period_ms=round(1000 / cfg.live_fps))
        self.templates.env.filters["localtime"] = localtime

    def session(self, request: Request) -> Session | None:
        """The request's login, if any."""
        return self.sessions.get(request)

    def render(self, request: Request, template: str, code: int = 200,
               no_store: bool = False, **values: Any) -> HTMLResponse:
        """A page; ``no_store`` for pages that show face photos."""
        session = self.session(request)
        site = self.ctx.settings().site
        response = self.templates.TemplateResponse(request, template, {
            "session": session, "csrf": session.csrf if session else "",
            "can_change": bool(self.ctx.token), "site": site,
            "path": request.url.path, "flash": request.query_params.get("msg", "")[:300],
            **values}, status_code=code)
        if no_store:
            response.headers["Cache-Control"] = "no-store"
        return response

    def done(self, url: str, message: str) -> RedirectResponse:
        """After a change: back to ``url`` with ``message`` shown (303, post/redirect/get)."""
        sep = "&" if "?" in url else "?"
        return RedirectResponse(f"{url}{sep}msg={quote(message[:300])}", status_code=303)


def localtime(value: str | None, tz: str) -> str:
    """An ISO UTC time from the store as the site's local ``YYYY-MM-DD HH:MM:SS`` (a dash
    for none; the text itself when it is not a time)."""
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime(
            "%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError):
        return str(value)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.endswith((".jpg", ".json", ".csv")) or "/api/" in path)


SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin")]


class Guard:
    """Pure ASGI middleware: the login rule off loopback, and security headers on every
    answer. (Starlette's ``@app.middleware`` wraps each request in extra tasks and memory
    streams; this costs nothing measurable per live picture.)"""

    def __init__(self, app: Any, console: Console) -> None:
        self.app = app
        self.console = console

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not self.console.open_reads and not path.startswith(OPEN_PATHS):
            request = Request(scope)
            if self.console.session(request) is None:
                if scope["method"] == "GET" and _wants_html(request):
                    answer: Response = RedirectResponse(f"/login?next={quote(path)}",
                                                        status_code=303)
                else:
                    answer = JSONResponse({"error": "log in first"}, status_code=401)
                await answer(scope, receive, send)
                return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_console(ctx: ConsoleContext, cfg: UiConfig,
                   openapi_url: str | None = None) -> FastAPI:
    """Build the console app around ``ctx`` (``openapi_url``: publish its route schema,
    for the property-based tests; off in the daemon)."""
    from edge.ui.pages import PAGES

    console = Console(ctx, cfg)
    app = FastAPI(title="edge console", docs_url=None, redoc_url=None,
                  openapi_url=openapi_url)
    app.state.console = console
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(Guard, console=console)

    def problem(request: Request, status: int, message: str) -> Response:
        if not _wants_html(request):
            return JSONResponse({"error": message}, status_code=status)
        return console.render(request, "error.html", code=status, message=message)

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> Response:
        if exc.status == 401 and _wants_html(request):
            return console.render(request, "login.html", code=401, message=exc.message,
                                  next=request.headers.get("referer", "/live"))
        return problem(request, exc.status, exc.message)

    @app.exception_handler(FormError)
    async def _form(request: Request, exc: FormError) -> Response:
        return problem(request, exc.status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("query", "path", "body"))
        return problem(request, 422, f"{where}: {first['msg']}" if where else first["msg"])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return problem(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("console request %s %s failed", request.method, request.url.path)
        return problem(request, 500, f"internal error ({type(exc).__name__}); "
                                     f"the daemon's log has the details")

    @app.get("/", include_in_schema=False)
    async def _home() -> RedirectResponse:
        return RedirectResponse("/live", status_code=303)

    for page in PAGES:
        page.routes(console, app)
    return app
