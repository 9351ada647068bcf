"""The users page for administrators: who may sign in, their role and LPAs, disabled or not.

Read from the users file on every request (no hashes ever leave :mod:`fsu_dagster.dashboard.users`).
Changes are made with ``fsu user ...`` on the server; the sign-in helper adds the unlock button
(``POST /users/{name}/unlock``) to this page's actions column.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fsu_dagster.dashboard.deps import AdminUser, ConfigDep
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.users import list_users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def users_page(request: Request, user: AdminUser, config: ConfigDep) -> Response:
    return templates.TemplateResponse(request, "pages/users.html", {"users": list_users(config.users_file)})
