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
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InsecureConfig(f"{name} must be a whole number of at least 1, got {text!r}")
    return int(text)
