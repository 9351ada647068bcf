"""The main page (the cohort table, method 6.1) and the details page (one person, method 6.2)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from fsu_dagster.dashboard import views
from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import CurrentUser, SettingsDep, SnapshotDep
from fsu_dagster.dashboard.rendering import templates

router = APIRouter(tags=["people"])


@router.get("/")
def cohort_page(
    request: Request,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
    lpa: str | None = None,
    theme: str | None = None,
    priority: str | None = None,
    sort: str | None = None,
) -> Response:
    try:
        context = views.cohort_context(snap, settings, lpa=lpa, theme=theme, priority=priority, sort=sort)
    except views.BadFilter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return templates.TemplateResponse(request, "pages/main.html", context)


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: str, user: CurrentUser, snap: SnapshotDep, settings: SettingsDep) -> Response:
    request_audit(request).person_id = person_id  # the audit line names who was looked at (ID only)
    context = views.details_context(snap, settings, person_id)
    if context is None:
        raise HTTPException(status_code=404, detail=f"This person is not in the {snap.month:%B %Y} list.")
    return templates.TemplateResponse(request, "pages/details.html", context)
