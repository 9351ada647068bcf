"""The dashboard app factory: one place builds the app (settings, middleware, routers, errors).

``create_app()`` reads :class:`~fsu_dagster.settings.FsuSettings` and the dashboard's
environment (:class:`~fsu_dagster.dashboard.config.DashboardConfig`); tests pass their own.
Run it with ``fsu dashboard`` (uvicorn).

Imports run one way: this module imports the routers, which import ``deps``, ``views``,
``queries`` and ``rendering`` (the templates); nothing imports this module back. The audit
middleware writes one line per request from the request's :class:`RequestAudit`.

Hardening (issue 12):

* Every response carries the security headers, error pages included: an outermost ASGI
  middleware (:class:`SecurityHeaders`) sets them on whatever is sent, and an exception that no
  handler took becomes a plain 500 page here (never a stack trace), with an audit line.
* A snapshot DuckDB cannot read gives a 503 page naming the month and an audit line
  (``snapshot_unreadable``).
* Redirects are relative (``Location: /path``), never built from the request's ``Host``: the
  router's own trailing-slash redirect (absolute, from ``Host``) is off, and ``/people/X/``
  is redirected here to ``/people/X``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fsu_dagster.dashboard.audit import AuditLog, RequestAudit, request_audit
from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.deps import LoginRequired, NoSnapshot, SnapshotUnreadable
from fsu_dagster.dashboard.oidc import build_client
from fsu_dagster.dashboard.rendering import PACKAGE_DIR, render_error, templates
from fsu_dagster.dashboard.routes import (
    admin_users,
    audit,
    auth,
    exports,
    method,
    people,
    printing,
    quality,
    sso,
    users,
)
from fsu_dagster.dashboard.throttle import LoginThrottle
from fsu_dagster.settings import FsuSettings, load_settings

__all__ = ["PACKAGE_DIR", "SECURITY_HEADERS", "SecurityHeaders", "create_app", "templates"]

log = logging.getLogger("fsu_dagster.dashboard")

#: Strict: everything from this origin, no scripts at all, no inline styles, no framing.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

#: Sent with every response (static files and their 404s included).
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
#: Sent with every response except static files (which may be cached).
PAGE_HEADERS = {"cache-control": "no-store"}

#: A request path the audit log records as sent; anything else is recorded as ``(invalid path)``.
_LOGGABLE_PATH = re.compile(r"^/[A-Za-z0-9/_.:-]{0,200}$")

_PLAIN_500 = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Error</title>"
    b"<h1>Something went wrong</h1><p>The page could not be shown. The error has been logged.</p></html>"
)


class SecurityHeaders:
    """Pure ASGI, outermost: the security headers on every response, and a bare 500 page if all else failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                wanted = {**SECURITY_HEADERS, **({} if static else PAGE_HEADERS)}
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in wanted]
                headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in wanted.items()]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # the last line of defence: no stack trace to the client
            log.error("unhandled %s answering %s", type(exc).__name__, scope.get("method"))
            if started:
                raise
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": _PLAIN_500})


def _audit_path(path: str) -> str:
    return path if _LOGGABLE_PATH.match(path) else "(invalid path)"


def create_app(
    settings: FsuSettings | None = None,
    snapshot_dir: str | Path | None = None,
    users_file: str | Path | None = None,
    *,
    audit_file: str | Path | None = None,
    config: DashboardConfig | None = None,
    clock: Callable[[], float] | None = None,
) -> FastAPI:
    """Build the dashboard. Refuses to start without ``FSU_SESSION_SECRET`` unless ``FSU_ENV=local``.

    ``clock`` (seconds since the epoch, default :func:`time.time`) times sessions; tests pass their own.
    """
    settings = settings or load_settings()
    config = config or DashboardConfig.from_env(
        settings, snapshot_dir=snapshot_dir, users_file=users_file, audit_file=audit_file
    )
    app = FastAPI(
        title=f"{settings.force_name}: frequent service users", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.config = config
    app.state.audit = AuditLog(config.audit_file, mode=config.file_mode)
    app.state.clock = clock or time.time
    app.state.login_throttle = LoginThrottle(config.login_limit_account, config.login_limit_address)
    if config.oidc is not None:
        config.oidc.check_lpas(settings.lpas)
    app.state.oidc = build_client(config.oidc) if config.oidc is not None else None
    # The router's trailing-slash redirect builds an absolute URL from the Host header: off.
    app.router.redirect_slashes = False

    app.include_router(auth.router)
    app.include_router(people.router)
    app.include_router(printing.router)
    app.include_router(exports.router)
    app.include_router(quality.router)
    app.include_router(users.router)
    app.include_router(method.router)
    app.include_router(audit.router)
    app.include_router(sso.router)
    app.include_router(admin_users.router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    @app.middleware("http")
    async def audit_requests(request: Request, call_next):
        record = request.state.audit = RequestAudit()  # filled in by the dependencies and routes
        try:
            response = await call_next(request)
        except Exception as exc:  # not handled by any exception handler: a plain page, no stack trace
            route = request.scope.get("route")
            log.error("unhandled %s on %s", type(exc).__name__, getattr(route, "path", "an unknown route"))
            record.event = record.event or "error"
            try:
                response = render_error(
                    request, 500, "Something went wrong", "The page could not be shown. The error has been logged."
                )
            except Exception:  # the error page itself failed: the bare page
                response = HTMLResponse(_PLAIN_500.decode(), status_code=500)
        path = request.url.path
        if not path.startswith("/static/"):
            line = record.line(record.path or _audit_path(path), response.status_code)
            if line is not None:
                app.state.audit.write(**line)
        return response

    # Outermost, so the session is available to everything above.
    app.add_middleware(
        SessionMiddleware,
        secret_key=config.session_secret,
        session_cookie="fsu_session",
        max_age=config.session_max_age,
        same_site="strict",
        https_only=config.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)  # added last = outermost: it sees every response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    @app.exception_handler(NoSnapshot)
    async def _no_snapshot(request: Request, exc: NoSnapshot) -> Response:
        return render_error(
            request,
            503,
            "Nothing published yet",
            "No snapshot has been published. Run `fsu publish --month YYYY-MM` after `fsu run`.",
        )

    @app.exception_handler(SnapshotUnreadable)
    async def _unreadable_snapshot(request: Request, exc: SnapshotUnreadable) -> Response:
        return _snapshot_error(request, exc.month)

    @app.exception_handler(duckdb.Error)
    async def _snapshot_query_failed(request: Request, exc: duckdb.Error) -> Response:
        return _snapshot_error(request, request_audit(request).month)

    def _snapshot_error(request: Request, month: str | None) -> Response:
        record = request_audit(request)
        record.event = "snapshot_unreadable"
        log.error("snapshot for %s cannot be read", month or "the latest month")
        which = f"for {month}" if month else "of the latest month"
        return render_error(
            request,
            503,
            "This list cannot be shown",
            f"The published snapshot {which} cannot be read (it may be damaged). The problem has been logged; "
            f"an administrator can publish it again with `fsu publish --month {month or 'YYYY-MM'}`.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and (target := _without_trailing_slash(request)) is not None:
            return RedirectResponse(target, status_code=307)
        titles = {
            403: "Not allowed",
            404: "Not found",
            400: "Bad request",
            405: "Method not allowed",
            429: "Too many requests",
        }
        message = exc.detail if isinstance(exc.detail, str) else ""
        return render_error(request, exc.status_code, titles.get(exc.status_code, "Error"), message)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        return render_error(request, 400, "Bad request", "The address has a value this page does not accept.")

    def _without_trailing_slash(request: Request) -> str | None:
        """``/people/X/`` -> ``/people/X`` (relative, query kept) when that path is a page; else None."""
        path = request.url.path
        stripped = path.rstrip("/")
        if path == stripped or not stripped.startswith("/") or stripped.startswith(("//", "/\\")):
            return None
        scope = {**request.scope, "path": stripped}
        if not any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
            return None
        return stripped + (f"?{request.url.query}" if request.url.query else "")

    return app
