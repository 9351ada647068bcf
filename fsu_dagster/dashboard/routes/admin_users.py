"""Admin actions on users (issue 13): unlock an account locked after repeated failed sign-ins.

``POST /users/{name}/unlock`` (admin only, CSRF token): clears ``locked_at`` and
``failed_logins`` in the users file and returns to ``GET /users`` (the users page). The audit
line is ``unlock`` by the admin, its path naming the account. The same as ``fsu user unlock NAME``.
The users page includes ``partials/unlock_form.html`` for each locked user.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.csrf import check_csrf
from fsu_dagster.dashboard.deps import AdminUser, ConfigDep
from fsu_dagster.dashboard.users import UnknownUser, unlock_user

router = APIRouter(tags=["users"])

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


@router.post("/users/{name}/unlock")
def unlock(
    request: Request,
    admin: AdminUser,
    config: ConfigDep,
    name: Annotated[str, Path(pattern=_NAME)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        unlock_user(config.users_file, name)
    except UnknownUser:
        raise HTTPException(status_code=404, detail=f"No user {name}.") from None
    request_audit(request).event = "unlock"
    return RedirectResponse("/users", status_code=303)
