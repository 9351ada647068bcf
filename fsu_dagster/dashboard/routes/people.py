"""The main page (the cohort table, method 6.1) and the details page (one person, method 6.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from fsu_dagster.dashboard import views
from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import ConfigDep, CurrentUser, SettingsDep, SnapshotDep
from fsu_dagster.dashboard.ids import INVALID_ID, valid_person_id
from fsu_dagster.dashboard.rendering import templates

router = APIRouter(tags=["people"])


@router.get("/")
def cohort_page(
    request: Request,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
    config: ConfigDep,
    lpa: str | None = None,
    theme: str | None = None,
    priority: str | None = None,
    sort: str | None = None,
    direction: Annotated[str | None, Query(alias="dir")] = None,
    entrants: str | None = None,
    selected: str | None = None,
) -> Response:
    if entrants not in (None, "", "0", "1"):
        raise HTTPException(status_code=400, detail="unknown entrants filter")
    if selected:
        # Selecting a person shows their data: the same ID check and audit line as their details page.
        audit = request_audit(request)
        if not valid_person_id(selected, config.person_id_pattern):
            audit.person_id = INVALID_ID
            raise HTTPException(status_code=404, detail="There is no person with that ID.")
        audit.person_id = selected
    try:
        context = views.cohort_context(
            snap,
            settings,
            lpa=lpa,
            theme=theme,
            priority=priority,
            sort=sort,
            direction=direction or None,
            entrants=entrants == "1",
            selected=selected or None,
        )
    except views.BadFilter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except views.NotListed:
        raise HTTPException(status_code=404, detail=f"This person is not in the {snap.month:%B %Y} list.") from None
    except views.OutOfScope:
        raise HTTPException(status_code=403, detail="This person is outside your area.") from None
    return templates.TemplateResponse(request, "pages/main.html", context)


def checked_person_id(request: Request, person_id: str, user: CurrentUser, config: ConfigDep) -> str:
    """The path's person ID once it has the contract's shape; otherwise 404, logged as ``invalid id``.

    Depends on ``CurrentUser`` (so runs after sign-in is checked) and runs before the snapshot is
    opened: a bad ID is never put into a query or the audit log.
    """
    audit = request_audit(request)
    if not valid_person_id(person_id, config.person_id_pattern):
        audit.person_id, audit.path = INVALID_ID, "/people/(invalid id)"
        raise HTTPException(status_code=404, detail="There is no person with that ID.")
    audit.person_id = person_id  # the audit line names who was looked at (ID only)
    return person_id


@router.get("/people/{person_id}")
def person_page(
    request: Request,
    person_id: Annotated[str, Depends(checked_person_id)],
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> Response:
    context = views.details_context(snap, settings, person_id)
    if context is None:
        raise HTTPException(status_code=404, detail=f"This person is not in the {snap.month:%B %Y} list.")
    return templates.TemplateResponse(request, "pages/details.html", context)
