"""Sign-in and sign-out. Everything else needs a signed-in user (``CurrentUser``).

Signing in starts a fresh session holding the user's name, their ``session_version`` and the
sign-in and last-seen times (the app's clock). Signing out adds one to the user's session
version, so every session of that user ends, including a cookie copied from this browser.

A sign-in attempt goes through, in order (issue 13):

1. the form's CSRF token (403 without it: :mod:`fsu_dagster.dashboard.csrf`);
2. the throttle, per account and per client address (429 with ``Retry-After``; the password is
   not checked; audit ``throttled``: :mod:`fsu_dagster.dashboard.throttle`);
3. the password and the lock-out count (:func:`fsu_dagster.dashboard.users.sign_in`): a wrong
   password, an unknown name and a locked account all get the same 401 page and message (no
   account enumeration); the audit line says which (``login_failed``, ``locked`` for the failure
   that locked the account, ``login_locked`` for an attempt on a locked account).

Single sign-on (when configured) is in :mod:`fsu_dagster.dashboard.routes.sso`.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.csrf import EXPIRED, check_csrf, csrf_ok
from fsu_dagster.dashboard.deps import ConfigDep, get_clock, session_user
from fsu_dagster.dashboard.rendering import render_error, templates
from fsu_dagster.dashboard.throttle import LoginThrottle
from fsu_dagster.dashboard.users import end_sessions, sign_in

router = APIRouter(tags=["auth"])
log = logging.getLogger("fsu_dagster.dashboard")

_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: One message for a wrong password, an unknown user and a locked account.
WRONG = "Wrong user name or password."

#: Kept for code written against the helper's old place; use :func:`fsu_dagster.dashboard.csrf.csrf_ok`.
_csrf_ok = csrf_ok


def safe_next(target: str | None) -> str:
    """Only a path on this site (``/...``, not ``//host``): never an open redirect."""
    return target if target and _SAFE_NEXT.match(target) else "/"


def _login_form(request: Request, next: str, error: str | None, status: int = 200) -> Response:
    oidc = request.app.state.config.oidc
    context = {"next": safe_next(next), "error": error, "sso_label": oidc.label if oidc else None}
    return templates.TemplateResponse(request, "pages/login.html", context, status_code=status)


def client_address(request: Request) -> str:
    """The connection's peer address (behind a proxy: uvicorn's ``--proxy-headers`` makes it the client)."""
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(request: Request, config: ConfigDep, next: str | None = None) -> Response:
    if session_user(request, config) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, safe_next(next), None)


@router.post("/login")
def login(
    request: Request,
    config: ConfigDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    username = username.strip()
    audit = request_audit(request)
    audit.user = username if _NAME.match(username) else "(invalid name)"
    if not csrf_ok(request, csrf):
        audit.event = "csrf_failed"
        return _login_form(request, next, EXPIRED, status=403)
    throttle: LoginThrottle = request.app.state.login_throttle
    throttled = throttle.attempt(audit.user, client_address(request))
    if throttled is not None:
        audit.event = "throttled"
        response = render_error(
            request,
            429,
            "Too many sign-in attempts",
            f"Too many sign-in attempts from here or for this account. Try again in {throttled.retry_after} seconds.",
        )
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    result = sign_in(config.users_file, username, password, max_failures=config.lockout_failures)
    if result.user is None:
        audit.event = "locked" if result.just_locked else "login_locked" if result.locked else "login_failed"
        if result.just_locked:
            log.warning("an account was locked after %d failed sign-ins", config.lockout_failures)
        return _login_form(request, next, WRONG, status=401)
    user = result.user
    request.session.clear()  # a fresh session on sign-in (no fixation)
    now = get_clock(request)()
    request.session.update(
        {"user": user.name, "ver": user.session_version, "csrf": secrets.token_urlsafe(32), "since": now, "seen": now}
    )
    audit.event = "login"
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, config: ConfigDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf)
    sso = "oidc" in request.session
    user = session_user(request, config)  # an already revoked or expired session is just cleared (and logged)
    if user is not None:
        if not sso:  # an SSO user is not in the users file: their cookie ends below
            try:
                end_sessions(config.users_file, user.name)  # every session of this user, not only this cookie
            except OSError:  # a read-only users file: this cookie still ends; the others only time out
                log.warning(
                    "sign-out could not write the users file; the user's other sessions end only when they time out"
                )
        audit = request_audit(request)
        audit.user, audit.event = user.name, "logout"
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
