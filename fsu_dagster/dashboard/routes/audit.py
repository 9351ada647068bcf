"""The access log for administrators: who viewed which page (and person ID), when."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fsu_dagster.dashboard.deps import AdminUser
from fsu_dagster.dashboard.rendering import templates

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def audit_page(request: Request, user: AdminUser) -> Response:
    records = request.app.state.audit.tail(500)
    return templates.TemplateResponse(request, "pages/audit.html", {"records": records})
