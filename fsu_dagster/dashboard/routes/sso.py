"""Single sign-on with the force's identity provider (OpenID Connect): ``/login/oidc`` and its callback.

404 unless configured (:mod:`fsu_dagster.dashboard.oidc`). Audit lines: ``login`` (with the
``sso:`` name), ``sso_failed`` (state, nonce, signature, issuer, audience or expiry did not check
out, the provider refused, or could not be reached) and ``sso_refused`` (signed in at the provider
but no claim value in the role map).
"""

from __future__ import annotations

import logging
import secrets

import httpx
from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import ConfigDep, get_clock
from fsu_dagster.dashboard.oidc import grant_for, session_name
from fsu_dagster.dashboard.rendering import render_error
from fsu_dagster.dashboard.routes.auth import safe_next

router = APIRouter(tags=["auth"])
log = logging.getLogger("fsu_dagster.dashboard")

#: What a failed exchange or token check means for the client (a bad token is not a client error to explain).
_TOKEN_ERRORS = (OAuthError, JoseError, ValueError, KeyError, TypeError)


def _client(request: Request):
    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise HTTPException(status_code=404, detail="Single sign-on is not configured.")
    return client


def _failed(request: Request, status: int, message: str) -> Response:
    request_audit(request).event = "sso_failed"
    return render_error(request, status, "Single sign-on did not work", message + " Go back to the sign-in page.")


@router.get("/login/oidc")
async def sso_start(request: Request, config: ConfigDep, next: str | None = None) -> Response:
    client = _client(request)
    assert config.oidc is not None
    request.session["sso_next"] = safe_next(next)
    try:
        return await client.authorize_redirect(request, config.oidc.redirect_uri)
    except (httpx.HTTPError, *_TOKEN_ERRORS) as exc:
        log.warning("single sign-on: the provider's discovery document could not be read (%s)", type(exc).__name__)
        return _failed(request, 502, "The identity provider could not be reached.")


@router.get("/auth/oidc/callback")
async def sso_callback(request: Request, config: ConfigDep) -> Response:
    client = _client(request)
    oidc = config.oidc
    assert oidc is not None
    audit = request_audit(request)
    try:
        metadata = await client.load_server_metadata()
        # Authlib checks the issuer against the discovery document, and the audience only through
        # ``azp``; both are required explicitly here: ours, and only ours.
        issuer = oidc.issuer or metadata.get("issuer")
        if not issuer:
            return _failed(request, 502, "The identity provider's discovery document names no issuer.")
        checks = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": oidc.client_id}}
        token = await client.authorize_access_token(request, claims_options=checks)
    except httpx.HTTPError as exc:
        log.warning("single sign-on: the provider could not be reached (%s)", type(exc).__name__)
        return _failed(request, 502, "The identity provider could not be reached.")
    except _TOKEN_ERRORS as exc:
        log.warning("single sign-on refused: %s", type(exc).__name__)
        return _failed(request, 401, "The answer from the identity provider did not check out.")
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims:  # no ID token (or no nonce in our state): nothing checked, nothing trusted
        return _failed(request, 401, "The identity provider sent no ID token.")
    audit.user = session_name(claims, oidc)
    grant = grant_for(claims, oidc)
    if grant is None:
        audit.event = "sso_refused"
        return render_error(
            request,
            403,
            "No access to this dashboard",
            "You are signed in at the identity provider, but your account is not in a group that gives access "
            "to this dashboard. Ask the dashboard's administrator to add you.",
        )
    target = safe_next(request.session.get("sso_next"))
    request.session.clear()  # a fresh session on sign-in (no fixation)
    now = get_clock(request)()
    request.session.update(
        {
            "user": audit.user,
            "ver": 0,
            "csrf": secrets.token_urlsafe(32),
            "since": now,
            "seen": now,
            "until": now + oidc.session_minutes * 60,
            "oidc": {"role": grant.role, "lpas": list(grant.lpas)},
        }
    )
    audit.event, audit.role = "login", grant.role
    return RedirectResponse(target, status_code=303)
