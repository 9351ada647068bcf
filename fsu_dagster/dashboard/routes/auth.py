"""Sign-in and sign-out. Everything else needs a signed-in user (``CurrentUser``).

Signing in starts a fresh session holding the user's name, their ``session_version`` and the
sign-in and last-seen times (the app's clock). Signing out adds one to the user's session
version, so every session of that user ends, including a cookie copied from this browser.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import ConfigDep, get_clock, session_user
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.users import authenticate, end_sessions

router = APIRouter(tags=["auth"])
log = logging.getLogger("fsu_dagster.dashboard")

_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def safe_next(target: str | None) -> str:
    """Only a path on this site (``/...``, not ``//host``): never an open redirect."""
    return target if target and _SAFE_NEXT.match(target) else "/"


def _csrf_ok(request: Request, token: str) -> bool:
    expected = request.session.get("csrf")
    return bool(expected) and secrets.compare_digest(str(expected), token or "")


@router.get("/login")
def login_page(request: Request, config: ConfigDep, next: str | None = None) -> Response:
    if session_user(request, config) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return templates.TemplateResponse(request, "pages/login.html", {"next": safe_next(next), "error": None})


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
    if not _csrf_ok(request, csrf):
        audit.event = "login_failed"
        return templates.TemplateResponse(
            request,
            "pages/login.html",
            {"next": safe_next(next), "error": "Your sign-in form expired; please try again."},
            status_code=400,
        )
    user = authenticate(config.users_file, username, password)
    if user is None:
        audit.event = "login_failed"
        return templates.TemplateResponse(
            request,
            "pages/login.html",
            {"next": safe_next(next), "error": "Wrong user name or password."},
            status_code=401,
        )
    request.session.clear()  # a fresh session on sign-in (no fixation)
    now = get_clock(request)()
    request.session.update(
        {"user": user.name, "ver": user.session_version, "csrf": secrets.token_urlsafe(32), "since": now, "seen": now}
    )
    audit.event = "login"
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, config: ConfigDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not _csrf_ok(request, csrf):
        return RedirectResponse("/login", status_code=303)
    user = session_user(request, config)  # an already revoked or expired session is just cleared (and logged)
    if user is not None:
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
