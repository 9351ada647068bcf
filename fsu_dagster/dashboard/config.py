"""The dashboard's runtime configuration: where snapshots, users and the audit log live, and the session secret.

Values come from the environment (on top of :class:`fsu_dagster.settings.FsuSettings`):

* ``FSU_SESSION_SECRET`` — signs the session cookie. Required (32+ characters) unless
  ``FSU_ENV=local``, where a random secret is generated per process (sessions then end when the
  process restarts) and a warning is logged.
* ``FSU_USERS_FILE`` — the users file (default ``$FSU_DATA_DIR/users.json``).
* ``FSU_SNAPSHOT_DIR`` — the published snapshots (default ``$FSU_DATA_DIR/snapshots``).
* ``FSU_AUDIT_LOG`` — the access log (default ``$FSU_DATA_DIR/audit.log``).
* ``FSU_SESSION_IDLE_MINUTES`` — a session ends after this long without a request (default 30).
* ``FSU_SESSION_MAX_HOURS`` — and this long after sign-in whatever happens (default 8).
* ``FSU_PERSON_ID_PATTERN`` — the shape of a Connect person ID (a regular expression; default
  :data:`fsu_dagster.dashboard.ids.CONNECT_ID_PATTERN`). ``CW:`` IDs always have their own shape.
* ``FSU_FILE_MODE`` — the mode of the users file and the audit log (default ``0600``; see
  :mod:`fsu_dagster.filemodes`).
* ``FSU_LOGIN_LIMIT_ACCOUNT`` / ``FSU_LOGIN_LIMIT_ADDRESS`` — sign-in attempts allowed per account
  and per client address (moving window, default ``5/minute`` and ``20/minute``;
  :mod:`fsu_dagster.dashboard.throttle`).
* ``FSU_LOCKOUT_FAILURES`` — consecutive wrong passwords that lock an account (default 10).
* ``FSU_OIDC_*`` — optional single sign-on (:mod:`fsu_dagster.dashboard.oidc`).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fsu_dagster.dashboard.oidc import OidcConfig, OidcConfigError
from fsu_dagster.dashboard.throttle import DEFAULT_ACCOUNT_LIMIT, DEFAULT_ADDRESS_LIMIT, parse_limit
from fsu_dagster.dashboard.users import DEFAULT_LOCKOUT_FAILURES
from fsu_dagster.filemodes import file_mode
from fsu_dagster.settings import FsuSettings

__all__ = ["MIN_SECRET_LENGTH", "DashboardConfig", "InsecureConfig"]

log = logging.getLogger("fsu_dagster.dashboard")

MIN_SECRET_LENGTH = 32
_PLACEHOLDERS = {"changethis", "change-me", "changeme", "secret", "dev"}


class InsecureConfig(RuntimeError):
    """The dashboard refuses to start with this configuration (no or weak session secret)."""


@dataclass(frozen=True)
class DashboardConfig:
    snapshot_dir: Path
    users_file: Path
    audit_file: Path
    session_secret: str
    local: bool = False
    #: Send the session cookie over HTTPS only (off in local mode, where it is served on plain http).
    secure_cookies: bool = True
    #: Seconds after sign-in when a session ends, however active (absolute timeout).
    session_max_age: int = 8 * 3600
    #: Seconds without a request after which a session ends (idle timeout).
    session_idle_timeout: int = 30 * 60
    #: A regular expression for Connect person IDs (None: the default shape).
    person_id_pattern: str | None = None
    #: Mode of the users file and the audit log.
    file_mode: int = 0o600
    #: Sign-in attempts per account name (``limits`` notation, moving window).
    login_limit_account: str = DEFAULT_ACCOUNT_LIMIT
    #: Sign-in attempts per client address.
    login_limit_address: str = DEFAULT_ADDRESS_LIMIT
    #: Consecutive wrong passwords that lock an account (an admin unlocks it).
    lockout_failures: int = DEFAULT_LOCKOUT_FAILURES
    #: Single sign-on with the force's identity provider (None: off).
    oidc: OidcConfig | None = None

    @classmethod
    def from_env(
        cls,
        settings: FsuSettings,
        *,
        snapshot_dir: Path | str | None = None,
        users_file: Path | str | None = None,
        audit_file: Path | str | None = None,
        session_secret: str | None = None,
        local: bool | None = None,
    ) -> DashboardConfig:
        env = os.environ
        is_local = (env.get("FSU_ENV", "").strip().lower() == "local") if local is None else local
        data = Path(settings.data_dir)
        secret = session_secret if session_secret is not None else env.get("FSU_SESSION_SECRET", "")
        if not secret:
            if not is_local:
                raise InsecureConfig(
                    "FSU_SESSION_SECRET is not set; set it (32+ random characters) or FSU_ENV=local for a throwaway one"
                )
            secret = secrets.token_urlsafe(48)
            log.warning("FSU_ENV=local: using a random session secret for this process; sign-ins end when it stops")
        elif not is_local and (len(secret) < MIN_SECRET_LENGTH or secret.lower() in _PLACEHOLDERS):
            raise InsecureConfig(
                f"FSU_SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters and not a placeholder"
            )
        idle = _positive(env, "FSU_SESSION_IDLE_MINUTES", 30) * 60
        max_age = _positive(env, "FSU_SESSION_MAX_HOURS", 8) * 3600
        limits = {}
        for key, default in (
            ("FSU_LOGIN_LIMIT_ACCOUNT", DEFAULT_ACCOUNT_LIMIT),
            ("FSU_LOGIN_LIMIT_ADDRESS", DEFAULT_ADDRESS_LIMIT),
        ):
            limits[key] = env.get(key, "").strip() or default
            try:
                parse_limit(limits[key])
            except ValueError as exc:
                raise InsecureConfig(f"{key}: {exc}") from None
        try:
            oidc = OidcConfig.from_env(env)
        except (OidcConfigError, OSError) as exc:
            raise InsecureConfig(f"single sign-on: {exc}") from None
        return cls(
            snapshot_dir=Path(snapshot_dir or env.get("FSU_SNAPSHOT_DIR") or data / "snapshots"),
            users_file=Path(users_file or env.get("FSU_USERS_FILE") or data / "users.json"),
            audit_file=Path(audit_file or env.get("FSU_AUDIT_LOG") or data / "audit.log"),
            session_secret=secret,
            local=is_local,
            secure_cookies=not is_local,
            session_max_age=max_age,
            session_idle_timeout=idle,
            person_id_pattern=env.get("FSU_PERSON_ID_PATTERN") or None,
            file_mode=file_mode(),
            login_limit_account=limits["FSU_LOGIN_LIMIT_ACCOUNT"],
            login_limit_address=limits["FSU_LOGIN_LIMIT_ADDRESS"],
            lockout_failures=_positive(env, "FSU_LOCKOUT_FAILURES", DEFAULT_LOCKOUT_FAILURES),
            oidc=oidc,
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InsecureConfig(f"{name} must be a whole number of at least 1, got {text!r}")
    return int(text)
