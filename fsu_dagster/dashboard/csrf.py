"""CSRF protection for every form: one token per session, carried in a hidden ``csrf`` field.

The session cookie is ``SameSite=Strict`` already; the token is the second, independent defence
(a browser without SameSite, a sibling sub-domain). Every page gets the token as ``csrf_token``
(:mod:`fsu_dagster.dashboard.rendering`); every POST route checks it first::

    check_csrf(request, csrf)  # 403 "Your form expired" when missing or wrong

* :func:`csrf_token` — the session's token, made on first use (32 random bytes, URL-safe).
* :func:`csrf_ok` — whether a submitted token is the session's (constant-time comparison).
* :func:`check_csrf` — as ``csrf_ok``, raising :class:`CsrfFailed` (an HTTP 403) when not; the
  request's audit line records ``csrf_failed``.

A test walks every POST route of the app (``app.routes``) and checks each refuses a missing or
wrong token with 403, so a new form without the check fails the suite.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request

from fsu_dagster.dashboard.audit import request_audit

__all__ = ["CSRF_FIELD", "CsrfFailed", "check_csrf", "csrf_ok", "csrf_token"]

#: The hidden form field (and session key) holding the token.
CSRF_FIELD = "csrf"
#: What a refused form is told (no detail on why: a missing and a wrong token read the same).
EXPIRED = "Your form expired or did not come from this site; go back, reload the page and try again."


class CsrfFailed(HTTPException):
    """A form posted without this session's CSRF token: answered 403."""

    def __init__(self) -> None:
        super().__init__(status_code=403, detail=EXPIRED)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made and stored in the session on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def csrf_ok(request: Request, token: str | None) -> bool:
    """True when ``token`` is this session's CSRF token."""
    expected = request.session.get(CSRF_FIELD)
    return isinstance(expected, str) and bool(expected) and secrets.compare_digest(expected, token or "")


def check_csrf(request: Request, token: str | None) -> None:
    """Raise :class:`CsrfFailed` (403) unless ``token`` is this session's CSRF token."""
    if not csrf_ok(request, token):
        audit = request_audit(request)
        audit.event = "csrf_failed"
        raise CsrfFailed()
