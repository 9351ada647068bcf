"""Optional sign-in with the force's identity provider (OpenID Connect, Authlib's Starlette client).

Off unless configured (``FSU_OIDC_ISSUER`` or ``FSU_OIDC_DISCOVERY_URL``; see
``docs/configuration.md``). When on, the sign-in page shows a single sign-on button
(``GET /login/oidc``), which sends the browser to the provider with a fresh ``state``, ``nonce``
and PKCE (S256) challenge kept in the signed session; ``GET /auth/oidc/callback`` exchanges the
code for tokens (client secret, server to server) and Authlib checks the ID token: signature
against the provider's JWKS (RS256/ES256 only, as the discovery document allows), issuer,
audience (our client ID), expiry and issue time, and nonce. Any failure refuses the sign-in.

**Roles from a claim.** The configured claim (default ``groups``; a string or a list of strings)
is looked up in the role map (``FSU_OIDC_ROLE_MAP``, JSON or YAML, or ``FSU_OIDC_ROLE_MAP_FILE``)::

    {"fsu-admins": {"role": "admin"}, "fsu-force": {"role": "force"},
     "fsu-coventry": {"role": "lpa", "lpas": ["COVENTRY"]}}

Several matching values: the widest role wins (admin, then force, then lpa); LPA grants add up.
No match: refused with a clear page and an audit line (``sso_refused``).

**Sessions.** SSO users are not in the users file. Their session carries the role and LPAs read
from the claims, their name (``sso:`` + the ``preferred_username`` claim, or ``sub``) and an end
time ``until`` (sign-in + ``FSU_OIDC_SESSION_MINUTES``, default 60), after which they sign in
again through the provider (usually without typing anything). The idle timeout and absolute
timeout apply as to everyone. Sign-out ends the cookie; to end every SSO session at once,
rotate ``FSU_SESSION_SECRET``. A user removed from the group at the provider keeps access at
most until ``until``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from fsu_dagster.dashboard.users import ROLES, User

__all__ = [
    "OidcConfig",
    "RoleGrant",
    "build_client",
    "grant_for",
    "parse_role_map",
    "session_name",
    "sso_session_user",
]

#: Which role wins when a user's claim matches several entries (widest first).
_PRECEDENCE = ("admin", "force", "viewer", "lpa")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_LPA = re.compile(r"^[A-Z0-9][A-Z0-9 _&'-]{0,63}$")


class OidcConfigError(ValueError):
    """The OIDC configuration is incomplete or the role map is not valid."""


@dataclass(frozen=True)
class RoleGrant:
    """What a claim value gives: a role and, for ``lpa``, the LPAs."""

    role: str
    lpas: tuple[str, ...] = ()


@dataclass(frozen=True)
class OidcConfig:
    #: The provider's discovery document (``<issuer>/.well-known/openid-configuration``).
    discovery_url: str
    client_id: str
    client_secret: str = field(repr=False)
    #: Our callback as registered at the provider, absolute (``https://fsu.example/auth/oidc/callback``).
    redirect_uri: str
    role_map: Mapping[str, RoleGrant]
    #: The issuer the ID token must name (default: the one in the discovery document).
    issuer: str | None = None
    scopes: str = "openid profile email"
    #: The claim whose value(s) are looked up in ``role_map``.
    claim: str = "groups"
    #: The claim that names the user (audit log, page header); ``sub`` when absent.
    username_claim: str = "preferred_username"
    #: An SSO session ends this long after sign-in (minutes).
    session_minutes: int = 60
    #: The button's text on the sign-in page.
    label: str = "Sign in with single sign-on"
    #: Tests only: an httpx transport to an in-process provider (None: the network).
    http_transport: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcConfig | None:
        """The OIDC configuration from ``FSU_OIDC_*``; None when SSO is not configured."""
        env = os.environ if env is None else env
        issuer = env.get("FSU_OIDC_ISSUER", "").strip() or None
        discovery = env.get("FSU_OIDC_DISCOVERY_URL", "").strip()
        if not issuer and not discovery:
            return None
        if not discovery:
            discovery = f"{cast(str, issuer).rstrip('/')}/.well-known/openid-configuration"
        required = {k: env.get(k, "").strip() for k in ("FSU_OIDC_CLIENT_ID", "FSU_OIDC_REDIRECT_URI")}
        secret = env.get("FSU_OIDC_CLIENT_SECRET", "").strip()
        secret_file = env.get("FSU_OIDC_CLIENT_SECRET_FILE", "").strip()
        if secret_file:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        required["FSU_OIDC_CLIENT_SECRET"] = secret
        map_text = env.get("FSU_OIDC_ROLE_MAP", "").strip()
        map_file = env.get("FSU_OIDC_ROLE_MAP_FILE", "").strip()
        if map_file:
            map_text = Path(map_file).read_text(encoding="utf-8")
        required["FSU_OIDC_ROLE_MAP"] = map_text
        missing = [k for k, v in required.items() if not v]
        if missing:
            raise OidcConfigError(f"single sign-on is configured but {', '.join(missing)} is not set")
        for url_name, url in (
            ("FSU_OIDC_DISCOVERY_URL", discovery),
            ("FSU_OIDC_REDIRECT_URI", required["FSU_OIDC_REDIRECT_URI"]),
        ):
            if (
                not url.startswith("https://")
                and not url.startswith("http://127.0.0.1")
                and not url.startswith("http://localhost")
            ):
                raise OidcConfigError(f"{url_name} must be an https:// address (http only on localhost), got {url!r}")
        minutes = env.get("FSU_OIDC_SESSION_MINUTES", "60").strip()
        if not minutes.isdigit() or int(minutes) < 1:
            raise OidcConfigError(f"FSU_OIDC_SESSION_MINUTES must be a whole number of at least 1, got {minutes!r}")
        return cls(
            discovery_url=discovery,
            client_id=required["FSU_OIDC_CLIENT_ID"],
            client_secret=secret,
            redirect_uri=required["FSU_OIDC_REDIRECT_URI"],
            role_map=parse_role_map(map_text),
            issuer=issuer,
            scopes=env.get("FSU_OIDC_SCOPES", "").strip() or cls.scopes,
            claim=env.get("FSU_OIDC_CLAIM", "").strip() or cls.claim,
            username_claim=env.get("FSU_OIDC_USERNAME_CLAIM", "").strip() or cls.username_claim,
            session_minutes=int(minutes),
            label=env.get("FSU_OIDC_LABEL", "").strip() or cls.label,
        )

    def check_lpas(self, known: list[str] | tuple[str, ...]) -> None:
        """Every LPA in the role map must be one of the force's configured LPAs (when there is a list)."""
        if not known:
            return
        unknown = sorted({lpa for g in self.role_map.values() for lpa in g.lpas} - set(known))
        if unknown:
            raise OidcConfigError(f"FSU_OIDC_ROLE_MAP names LPAs that are not configured: {', '.join(unknown)}")


def parse_role_map(text: str) -> dict[str, RoleGrant]:
    """The role map from JSON or YAML text; OidcConfigError naming what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OidcConfigError(f"FSU_OIDC_ROLE_MAP is not JSON or YAML: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise OidcConfigError("FSU_OIDC_ROLE_MAP must map claim values to {role: ..., lpas: [...]}")
    out: dict[str, RoleGrant] = {}
    for value, grant in data.items():
        where = f"FSU_OIDC_ROLE_MAP[{value!r}]"
        if not isinstance(value, str) or not value:
            raise OidcConfigError(f"{where}: a claim value must be a non-empty string")
        if isinstance(grant, str):
            grant = {"role": grant}
        if not isinstance(grant, dict) or set(grant) - {"role", "lpas"}:
            raise OidcConfigError(f"{where}: must be {{role: ..., lpas: [...]}}")
        role = grant.get("role")
        if role not in ROLES:
            raise OidcConfigError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        lpas = grant.get("lpas") or []
        if isinstance(lpas, str):
            lpas = [lpas]
        if not isinstance(lpas, list) or not all(isinstance(x, str) and _LPA.match(x.strip().upper()) for x in lpas):
            raise OidcConfigError(f"{where}: lpas must be a list of LPA names")
        names = tuple(dict.fromkeys(x.strip().upper() for x in lpas))
        if role == "lpa" and not names:
            raise OidcConfigError(f"{where}: the lpa role needs at least one LPA")
        if role != "lpa" and names:
            raise OidcConfigError(f"{where}: only the lpa role takes lpas (a {role} sees every LPA)")
        out[value] = RoleGrant(str(role), names)
    return out


def _claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def grant_for(claims: Mapping[str, Any], config: OidcConfig) -> RoleGrant | None:
    """The role (and LPAs) the ID token's claim gives; None when no value is in the role map."""
    grants = [config.role_map[v] for v in _claim_values(claims, config.claim) if v in config.role_map]
    if not grants:
        return None
    rank = {role: i for i, role in enumerate(_PRECEDENCE)}
    role = min((g.role for g in grants), key=lambda r: rank.get(r, len(rank)))
    lpas = tuple(sorted({lpa for g in grants if g.role == role for lpa in g.lpas}))  # sorted, as users.py keeps them
    return RoleGrant(role, lpas)


def session_name(claims: Mapping[str, Any], config: OidcConfig) -> str:
    """``sso:<name>``: never the same as a users-file name (those have no ``:``)."""
    for key in (config.username_claim, "sub"):
        value = claims.get(key)
        if isinstance(value, str) and _SAFE_NAME.match(value):
            return f"sso:{value}"
    return "sso:(unnamed)"


def _user(name: str, role: str, lpas: tuple[str, ...]) -> User:
    # The LPA-scoped User (issue 13, item 1) carries ``lpas``; an older one has no such field.
    if "lpas" in {f.name for f in dataclasses.fields(User)}:
        return cast(Any, User)(name, role, 0, lpas=lpas)
    return User(name, role, 0)


def sso_session_user(session: Mapping[str, Any]) -> User | None:
    """The user an SSO session stands for (role and LPAs from its claims); None when the session is malformed."""
    name, data = session.get("user"), session.get("oidc")
    if not isinstance(name, str) or not isinstance(data, dict):
        return None
    role, lpas = data.get("role"), data.get("lpas", [])
    if role not in ROLES or not isinstance(lpas, list) or not all(isinstance(x, str) for x in lpas):
        return None
    if role == "lpa" and not lpas:
        return None
    until = session.get("until")
    if not isinstance(until, int | float) or isinstance(until, bool):
        return None  # an SSO session always has an end time
    return _user(name, cast(str, role), tuple(lpas))


def build_client(config: OidcConfig) -> Any:
    """Authlib's Starlette OAuth client for the provider (metadata and JWKS fetched on first use, then cached)."""
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    client_kwargs: dict[str, Any] = {
        "scope": config.scopes,
        "code_challenge_method": "S256",
        "timeout": 10.0,
    }
    if config.http_transport is not None:
        client_kwargs["transport"] = config.http_transport
    return oauth.register(
        name="sso",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs=client_kwargs,
    )
