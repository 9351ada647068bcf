"""Sign-in and sign-out. Everything else needs a signed-in user (``CurrentUser``)."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import ConfigDep
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.users import authenticate, lookup
from fsu_dagster.warehouse import utc_now

router = APIRouter(tags=["auth"])

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
    name = request.session.get("user")
    if isinstance(name, str) and lookup(config.users_file, name):
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
            request, "pages/login.html", {"next": safe_next(next), "error": "Your sign-in form expired; please try again."},
            status_code=400,
        )
    user = authenticate(config.users_file, username, password)
    if user is None:
        audit.event = "login_failed"
        return templates.TemplateResponse(
            request, "pages/login.html", {"next": safe_next(next), "error": "Wrong user name or password."}, status_code=401
        )
    request.session.clear()  # a fresh session on sign-in (no fixation)
    request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(32), "since": utc_now().isoformat(timespec="seconds")})
    audit.event = "login"
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    if request.session.get("user") and _csrf_ok(request, csrf):
        audit = request_audit(request)
        audit.user, audit.event = request.session.get("user"), "logout"
        request.session.clear()
    return RedirectResponse("/login", status_code=303)
