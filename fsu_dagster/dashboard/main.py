"""The dashboard app factory: one place builds the app (settings, middleware, routers, errors).

``create_app()`` reads :class:`~fsu_dagster.settings.FsuSettings` and the dashboard's
environment (:class:`~fsu_dagster.dashboard.config.DashboardConfig`); tests pass their own.
Run it with ``fsu dashboard`` (uvicorn).

Imports run one way: this module imports the routers, which import ``deps``, ``views``,
``queries`` and ``rendering`` (the templates); nothing imports this module back. The audit
middleware writes one line per request from the request's :class:`RequestAudit`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from fsu_dagster.dashboard.audit import AuditLog, RequestAudit
from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.deps import LoginRequired, NoSnapshot
from fsu_dagster.dashboard.rendering import PACKAGE_DIR, render_error, templates
from fsu_dagster.dashboard.routes import audit, auth, method, people
from fsu_dagster.settings import FsuSettings, load_settings

__all__ = ["PACKAGE_DIR", "create_app", "templates"]

log = logging.getLogger("fsu_dagster.dashboard")

#: Strict: everything from this origin, no scripts at all, no inline styles, no framing.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(
    settings: FsuSettings | None = None,
    snapshot_dir: str | Path | None = None,
    users_file: str | Path | None = None,
    *,
    audit_file: str | Path | None = None,
    config: DashboardConfig | None = None,
) -> FastAPI:
    """Build the dashboard. Refuses to start without ``FSU_SESSION_SECRET`` unless ``FSU_ENV=local``."""
    settings = settings or load_settings()
    config = config or DashboardConfig.from_env(
        settings, snapshot_dir=snapshot_dir, users_file=users_file, audit_file=audit_file
    )
    app = FastAPI(title=f"{settings.force_name}: frequent service users", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.config = config
    app.state.audit = AuditLog(config.audit_file)

    app.include_router(auth.router)
    app.include_router(people.router)
    app.include_router(method.router)
    app.include_router(audit.router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    @app.middleware("http")
    async def audit_and_headers(request: Request, call_next):
        record = request.state.audit = RequestAudit()  # filled in by the dependencies and routes
        response = await call_next(request)
        path = request.url.path
        if not path.startswith("/static/"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["Cache-Control"] = "no-store"
            line = record.line(path, response.status_code)
            if line is not None:
                app.state.audit.write(**line)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
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

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    @app.exception_handler(NoSnapshot)
    async def _no_snapshot(request: Request, exc: NoSnapshot) -> Response:
        return render_error(
            request, 503, "Nothing published yet", "No snapshot has been published. Run `fsu publish --month YYYY-MM` after `fsu run`."
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {403: "Not allowed", 404: "Not found", 400: "Bad request", 405: "Method not allowed"}
        message = exc.detail if isinstance(exc.detail, str) else ""
        return render_error(request, exc.status_code, titles.get(exc.status_code, "Error"), message)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        return render_error(request, 400, "Bad request", "The address has a value this page does not accept.")

    return app
