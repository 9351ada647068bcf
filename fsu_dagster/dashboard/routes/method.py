"""The method page: how the list is made, its limits, how to use it (method section 4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fsu_dagster.dashboard import views
from fsu_dagster.dashboard.deps import CurrentUser, SettingsDep
from fsu_dagster.dashboard.rendering import templates

router = APIRouter(tags=["method"])


@router.get("/method")
def method_page(request: Request, user: CurrentUser, settings: SettingsDep) -> Response:
    return templates.TemplateResponse(request, "pages/method.html", views.method_context(settings, None))
