"""The main page (the cohort table, method 6.1) and the details page (one person, method 6.2).

Both are scoped (:mod:`fsu_dagster.dashboard.scope`): the main page lists only the people whose
home LPA the user may see, and every one-person route (details, print, person export) takes the
person through :func:`scoped_person`, which refuses anyone outside the user's scope with 403 and
an audit line ``refused`` naming the person's ID.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from fsu_dagster.dashboard import queries, views
from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.deps import ConfigDep, CurrentUser, SettingsDep, Snapshot, SnapshotDep
from fsu_dagster.dashboard.ids import INVALID_ID, valid_person_id
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.scope import Scope
from fsu_dagster.dashboard.users import User
from fsu_dagster.settings import FsuSettings

router = APIRouter(tags=["people"])


class ListFilters:
    """The list's query parameters (filters, sort, entrants), shared by the main page and the list export."""

    def __init__(
        self,
        lpa: str | None = None,
        theme: str | None = None,
        priority: str | None = None,
        sort: str | None = None,
        direction: Annotated[str | None, Query(alias="dir")] = None,
        entrants: str | None = None,
    ) -> None:
        if entrants not in (None, "", "0", "1"):
            raise HTTPException(status_code=400, detail="unknown entrants filter")
        self.lpa, self.theme, self.priority, self.sort = lpa, theme, priority, sort
        self.direction = direction or None
        self.entrants = entrants == "1"

    def context(
        self, snap: Snapshot, settings: FsuSettings, scope: Scope, selected: str | None = None
    ) -> dict[str, Any]:
        """:func:`views.cohort_context` for these parameters within ``scope``; a bad filter is a 400."""
        try:
            return views.cohort_context(
                snap,
                settings,
                lpa=self.lpa,
                theme=self.theme,
                priority=self.priority,
                sort=self.sort,
                direction=self.direction,
                entrants=self.entrants,
                selected=selected,
                scope=scope,
            )
        except views.BadFilter as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None


ListFiltersDep = Annotated[ListFilters, Depends()]


@router.get("/")
def cohort_page(
    request: Request,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
    config: ConfigDep,
    filters: ListFiltersDep,
    selected: str | None = None,
) -> Response:
    if selected:  # selecting a person shows their data: the details page's ID check, scope rule and audit line
        require_in_scope(request, snap, user, checked_id(request, selected, config))
    context = filters.context(snap, settings, Scope.of(user), selected=selected or None)
    return templates.TemplateResponse(request, "pages/main.html", context)


def checked_id(request: Request, person_id: str, config: DashboardConfig, *, in_path: bool = False) -> str:
    """``person_id`` once it has the contract's shape; otherwise 404, logged as ``invalid id``
    (and, when the ID is part of the path, the path logged as ``/people/(invalid id)``).

    Runs before the snapshot is read: a bad ID is never put into a query or the audit log.
    """
    audit = request_audit(request)
    if not valid_person_id(person_id, config.person_id_pattern):
        audit.person_id = INVALID_ID
        if in_path:
            audit.path = "/people/(invalid id)"
        raise HTTPException(status_code=404, detail="There is no person with that ID.")
    audit.person_id = person_id  # the audit line names who was looked at (ID only)
    return person_id


def checked_person_id(request: Request, person_id: str, user: CurrentUser, config: ConfigDep) -> str:
    """The path's person ID through :func:`checked_id`; depends on ``CurrentUser``, so sign-in is checked first."""
    return checked_id(request, person_id, config, in_path=True)


REFUSED = "This person is outside the LPAs you may see. The request has been recorded."


def require_in_scope(request: Request, snap: Snapshot, user: User, person_id: str) -> str:
    """``person_id`` when they are in the month's cohort and in the user's scope.

    Out of scope: 403 and an audit line with event ``refused``. For an LPA user a person who is
    not in the month's list is refused the same way (so the answer does not tell them whether
    somebody outside their LPAs is listed); for all-LPA users it is a 404.
    """
    in_cohort, home_lpa = queries.person_home_lpa(snap.conn, snap.month, person_id)
    scope = Scope.of(user)
    if in_cohort and scope.allows(home_lpa):
        return person_id
    if not in_cohort and scope.everything:
        raise HTTPException(status_code=404, detail=f"This person is not in the {snap.month:%B %Y} list.")
    request_audit(request).event = "refused"
    raise HTTPException(status_code=403, detail=REFUSED)


def scoped_person(
    request: Request,
    person_id: Annotated[str, Depends(checked_person_id)],
    user: CurrentUser,
    snap: SnapshotDep,
) -> str:
    """The path's person (details, print, person export) through :func:`require_in_scope`."""
    return require_in_scope(request, snap, user, person_id)


ScopedPerson = Annotated[str, Depends(scoped_person)]


def person_details(snap: Snapshot, settings: FsuSettings, person_id: str, user: User) -> dict[str, Any]:
    """The details page's content for a scoped person (details, print and person export share it); 404 if absent."""
    context = views.details_context(snap, settings, person_id, scope=Scope.of(user))
    if context is None:
        raise HTTPException(status_code=404, detail=f"This person is not in the {snap.month:%B %Y} list.")
    return context


@router.get("/people/{person_id}")
def person_page(
    request: Request,
    person_id: ScopedPerson,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> Response:
    context = person_details(snap, settings, person_id, user)
    return templates.TemplateResponse(request, "pages/details.html", context)
