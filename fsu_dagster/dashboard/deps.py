"""Typed dependencies: a route's authentication and data source show in its signature.

* ``CurrentUser`` — the signed-in user (still present in the users file); otherwise the request
  is redirected to the sign-in page (:class:`LoginRequired`).
* ``AdminUser`` / ``RequireRole("admin")`` — as ``CurrentUser``, and 403 for other roles.
* ``SnapshotDep`` — the published snapshot for ``?month=YYYY-MM`` (default: the latest), opened
  read-only for the request and closed after it. Depends on ``CurrentUser``, so no snapshot is
  ever opened for an anonymous request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Depends, HTTPException, Query, Request

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.queries import snapshot_info
from fsu_dagster.dashboard.users import User, lookup
from fsu_dagster.publish import (
    latest_snapshot,
    list_snapshots,
    parse_month,
    snapshot_path,
)
from fsu_dagster.settings import FsuSettings
from fsu_dagster.warehouse import connect

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
]


class LoginRequired(Exception):
    """Not signed in: the app answers with a redirect to ``/login?next=<path>``."""


class NoSnapshot(Exception):
    """Nothing has been published yet (``fsu publish``)."""


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


def get_current_user(request: Request, config: ConfigDep) -> User:
    name = request.session.get("user")
    user = lookup(config.users_file, name) if isinstance(name, str) else None
    if user is None:
        request.session.pop("user", None)
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
    snap_month = parse_month(path.stem.removeprefix("fsu-"))
    request_audit(request).month = f"{snap_month:%Y-%m}"
    conn = connect(str(path), read_only=True)
    try:
        yield Snapshot(month=snap_month, path=path, conn=conn, months=months, info=snapshot_info(conn))
    finally:
        conn.close()


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
