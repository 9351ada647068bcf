"""The evidence pack: ``GET /people/{id}/print``, one person's page laid out for paper (issue 13 item 5).

For the method's suggested uses (CPS submissions, DVPN applications, partner meetings): the
details page's content (:func:`fsu_dagster.dashboard.views.details_context`) without navigation,
with the month, a short summary of the method (what is counted, over twelve months, ranks out
of everyone, volume only) and who printed it and when (``id="printed-by"``). Styled by
``static/print.css`` (screen and ``@media print``). In scope only (:func:`scoped_person`);
every pack printed is an audit line with event ``print``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import CurrentUser, SettingsDep, SnapshotDep
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.routes.people import ScopedPerson, person_details
from fsu_dagster.settings import FsuSettings
from fsu_dagster.warehouse import utc_now

__all__ = ["method_summary", "router"]

router = APIRouter(tags=["print"])


def method_summary(settings: FsuSettings) -> list[str]:
    """The method in four sentences, for a pack that leaves the dashboard (method sections 2, 4, 5)."""
    return [
        f"This list counts a person's interactions with {settings.force_name} over the twelve months up to the "
        "snapshot month: investigations (as suspect, offender or victim), custody records and hours, calls made "
        "(originator) and calls about them (subject) with the resource hours those took, and missing person reports.",
        "The nine totals are scaled and combined with equal weight into four metrics (investigations and custody, "
        f"originator, subject, overall); the top {settings.list_size:,} of each metric form the list.",
        "Ranks are out of everyone with any interaction in the window (rank 1 = most), never out of an area "
        "or a filtered list.",
        "It measures volume of contact only: it is not a risk assessment, predicts nothing, and holds no special "
        "category data. Check the source records before relying on any figure.",
    ]


@router.get("/people/{person_id}/print")
def print_pack(
    request: Request,
    person_id: ScopedPerson,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> Response:
    context = person_details(snap, settings, person_id, user)
    request_audit(request).event = "print"
    context.update(
        {
            "summary": method_summary(settings),
            "printed_by": user.name,
            "printed_at": utc_now(),
            "details_href": f"/people/{person_id}?month={context['month']}",
        }
    )
    return templates.TemplateResponse(request, "pages/print.html", context)
