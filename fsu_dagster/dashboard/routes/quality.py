"""The data-quality page (issue 13 item 7): admin and force users; an LPA user gets 403.

Aggregates only (counts, shares, reasons): what was loaded and quarantined, link rates, the
cohort's size and list overlaps, for the snapshot month asked for (``?month=YYYY-MM``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fsu_dagster.dashboard.deps import RequireRole, SnapshotDep
from fsu_dagster.dashboard.quality_page import quality_context
from fsu_dagster.dashboard.rendering import templates
from fsu_dagster.dashboard.users import User

router = APIRouter(tags=["quality"])

ForceUser = Annotated[User, Depends(RequireRole("admin", "force"))]


@router.get("/quality")
def quality(request: Request, user: ForceUser, snap: SnapshotDep) -> Response:
    return templates.TemplateResponse(request, "pages/quality.html", quality_context(snap))
