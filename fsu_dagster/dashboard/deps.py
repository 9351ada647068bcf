"""Typed dependencies: a route's authentication and data source show in its signature.

* ``CurrentUser`` — the signed-in user; otherwise the request is redirected to the sign-in page
  (:class:`LoginRequired`). A session is valid while the user is in the users file, not
  disabled, and their ``session_version`` is the one signed into the cookie (sign-out, password
  reset, role change and disable each add one: :mod:`fsu_dagster.dashboard.users`), and while it
  is younger than ``session_max_age`` and was used within ``session_idle_timeout`` (the app's
  clock, ``app.state.clock``, so tests can move time on). The session also carries the role
  and LPAs it was first used with (``scope``, :func:`session_scope`): a role or LPA change ends
  it even when the users file was edited by hand without a new session version. A session that
  fails is cleared and the audit line records ``session_revoked`` or ``session_expired``.
* ``AdminUser`` / ``RequireRole("admin")`` — as ``CurrentUser``, and 403 for other roles.
* ``SnapshotDep`` — the published snapshot for ``?month=YYYY-MM`` (default: the latest), opened
  read-only for the request and closed after it. Depends on ``CurrentUser``, so no snapshot is
  ever opened for an anonymous request. A file DuckDB cannot read (corrupted, truncated,
  unreadable) raises :class:`SnapshotUnreadable`, which the app answers with a clear 503 page.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, cast

import duckdb
from fastapi import Depends, HTTPException, Query, Request

from fsu_dagster.dashboard import snapshot_pool
from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.oidc import sso_session_user
from fsu_dagster.dashboard.queries import snapshot_info
from fsu_dagster.dashboard.users import User, lookup
from fsu_dagster.publish import (
    latest_snapshot,
    list_snapshots,
    parse_month,
    snapshot_path,
)
from fsu_dagster.settings import FsuSettings

__all__ = [
    "AdminUser",
    "ConfigDep",
    "CurrentUser",
    "LoginRequired",
    "NoSnapshot",
    "RequireRole",
    "SettingsDep",
    "Snapshot",
    "SnapshotDep",
    "SnapshotUnreadable",
    "session_scope",
    "session_user",
]


class LoginRequired(Exception):
    """Not signed in: the app answers with a redirect to ``/login?next=<path>``."""


class NoSnapshot(Exception):
    """Nothing has been published yet (``fsu publish``)."""


class SnapshotUnreadable(Exception):
    """A published snapshot exists but cannot be read (corrupted, truncated, no permission)."""

    def __init__(self, month: str | None) -> None:
        super().__init__(month)
        self.month = month


@dataclass
class Snapshot:
    month: dt.date
    path: Path
    conn: duckdb.DuckDBPyConnection
    months: list[dt.date] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def get_config(request: Request) -> DashboardConfig:
    return request.app.state.config


def get_settings(request: Request) -> FsuSettings:
    return request.app.state.settings


ConfigDep = Annotated[DashboardConfig, Depends(get_config)]
SettingsDep = Annotated[FsuSettings, Depends(get_settings)]


def get_clock(request: Request) -> Callable[[], float]:
    return getattr(request.app.state, "clock", time.time)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def session_scope(user: User) -> str:
    """The role and LPAs a session was granted, as kept in its cookie (``lpa:COVENTRY,SOLIHULL``)."""
    return f"{user.role}:{','.join(user.lpas)}"


def session_user(request: Request, config: DashboardConfig) -> User | None:
    """The session's user when the session is still valid; otherwise None, and the session is cleared.

    Refreshes the session's last-seen time (the idle timeout counts from the last request).
    """
    session = request.session
    name = session.get("user")
    if not isinstance(name, str):
        return None
    now = get_clock(request)()
    # A single sign-on session carries its role and LPAs (not in the users file): dashboard.oidc.
    user = sso_session_user(session) if "oidc" in session else lookup(config.users_file, name)
    since, seen, version = session.get("since"), session.get("seen"), session.get("ver")
    scope = session.get("scope")
    if user is None or not _number(version) or version != user.session_version:
        ended = "session_revoked"  # signed out elsewhere, password reset, role changed, disabled, removed
    elif scope is not None and scope != session_scope(user):
        ended = "session_revoked"  # role or LPAs changed without a new session version (a hand-edited file)
    elif not (_number(since) and _number(seen)):
        ended = "session_expired"
    elif now - cast(float, since) > config.session_max_age or now < cast(float, since):
        ended = "session_expired"
    elif now - cast(float, seen) > config.session_idle_timeout:
        ended = "session_expired"
    elif "until" in session and not (_number(session["until"]) and now < session["until"]):
        ended = "session_expired"  # an SSO session's own end (FSU_OIDC_SESSION_MINUTES)
    else:
        session["seen"] = now
        session["scope"] = session_scope(user)
        return user
    session.clear()
    audit = request_audit(request)
    audit.user, audit.event = name, ended
    return None


def get_current_user(request: Request, config: ConfigDep) -> User:
    user = session_user(request, config)
    if user is None:
        raise LoginRequired()
    audit = request_audit(request)  # the request's audit line names the user; pages read the role
    audit.user, audit.role = user.name, user.role
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class RequireRole:
    """``Depends(RequireRole("admin"))``: the current user, or 403 when their role is not allowed."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    def __call__(self, user: CurrentUser) -> User:
        if user.role not in self.roles:
            raise HTTPException(status_code=403, detail="Your role does not allow this page.")
        return user


AdminUser = Annotated[User, Depends(RequireRole("admin"))]


def get_snapshot(
    request: Request,
    user: CurrentUser,
    config: ConfigDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Iterator[Snapshot]:
    audit = request_audit(request)
    try:
        months = list(list_snapshots(config.snapshot_dir))
        if month:
            try:
                path = snapshot_path(config.snapshot_dir, month)
            except ValueError:
                raise HTTPException(status_code=404, detail=f"No snapshot for {month}.") from None
            if not path.is_file():
                raise HTTPException(status_code=404, detail=f"No snapshot for {month}.")
        else:
            latest = latest_snapshot(config.snapshot_dir)
            if latest is None:
                raise NoSnapshot()
            path = latest
    except OSError:
        raise SnapshotUnreadable(month) from None
    snap_month = parse_month(path.stem.removeprefix("fsu-"))
    audit.month = f"{snap_month:%Y-%m}"
    try:
        conn = snapshot_pool.cursor(path)  # a cursor on the cached read-only attach (snapshot_pool.py)
    except (duckdb.Error, OSError):
        raise SnapshotUnreadable(audit.month) from None
    try:
        try:
            info = snapshot_info(conn)
        except duckdb.Error:
            raise SnapshotUnreadable(audit.month) from None
        yield Snapshot(month=snap_month, path=path, conn=conn, months=months, info=info)
    finally:
        conn.close()


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
