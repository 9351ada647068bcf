"""CSV exports within the user's scope (issue 13 item 6), each an audit line with its row count.

* ``GET /export/list.csv`` — the main page's list as filtered: the same query parameters
  (``month, lpa, theme, priority, sort``), the same scope (an LPA user gets only their LPAs'
  people), one row per person in page order. File ``fsu-list-YYYY-MM.csv``.
* ``GET /people/{id}/export.csv`` — one person's pack in long format: columns
  ``section, item, field, value``, one row per value of the details page's tables (``section``
  names the table, ``item`` numbers its rows from 1; identity variants, household and household
  members included, within the user's scope). File ``fsu-person-<ID>-YYYY-MM.csv``.

Both answer ``Content-Disposition: attachment``. The audit line has event ``export``,
``format`` ``csv`` and ``rows`` (data rows, header not counted); the person export names the
person's ID. Cells are written with the ``csv`` module and guarded against formula injection
(a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
``'``), so a spreadsheet shows the text instead of running it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fsu_dagster.dashboard import queries
from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.deps import CurrentUser, SettingsDep, SnapshotDep
from fsu_dagster.dashboard.routes.people import ListFiltersDep, ScopedPerson, person_details
from fsu_dagster.dashboard.scope import Scope

__all__ = ["LIST_COLUMNS", "csv_cell", "person_rows", "router"]

router = APIRouter(tags=["exports"])

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_-]+")

#: The list export's columns, in order (the rank columns follow the method's four metrics).
LIST_COLUMNS: tuple[str, ...] = (
    "person_id",
    "forename",
    "surname",
    "dob",
    "home_lpa",
    *(f"{prefix}_{k}" for k, _, _ in queries.METRICS for prefix in ("rank", "metric", "in_top")),
    "harm_caused",
    "harm_received",
    "themes",
)

#: Details-page context keys exported per person (list-valued tables), as CSV sections.
_PERSON_TABLES = (
    "themes",
    "priority_crimes",
    "changes",
    "investigations",
    "investigation_lpas",
    "roles",
    "outcomes",
    "related",
    "logs",
    "callers",
    "resource_groups",
    "incident_types",
    "grades",
    "custody",
    "missing",
)
_PERSON_SINGLES = ("home", "cw", "custody_summary", "missing_summary")
#: Keys the pages add for drawing or linking: not data, never exported.
_NOT_DATA = {"pct", "href", "url", "investigation_url", "person_id"}


def csv_cell(value: Any) -> str | int | float:
    """A value as a CSV cell: text that a spreadsheet would read as a formula is prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> tuple[str, int]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        n += 1
    return out.getvalue(), n


def _attachment(request: Request, body: str, rows: int, filename: str) -> Response:
    audit = request_audit(request)
    audit.event = "export"
    audit.extra.update({"format": "csv", "rows": rows})
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/export/list.csv")
def export_list(
    request: Request,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
    filters: ListFiltersDep,
) -> Response:
    context = filters.context(snap, settings, Scope.of(user))

    def values(r: dict[str, Any]) -> list[Any]:
        themes = " ".join(t[0] if isinstance(t, tuple | list) else str(t) for t in r.get("themes") or [])
        return [themes if c == "themes" else r.get(c) for c in LIST_COLUMNS]

    body, n = _csv(LIST_COLUMNS, (values(r) for r in context["rows"]))
    return _attachment(request, body, n, f"fsu-list-{context['month']}.csv")


def person_rows(context: dict[str, Any]) -> Iterator[tuple[str, int, str, Any]]:
    """``(section, item, field, value)`` for every value of a details-page context (long format)."""
    person = context["person"]
    for key in ("person_id", "forename", "surname", "dob", "home_lpa", "home_lpa_rule", "harm_caused", "harm_received"):
        yield ("person", 1, key, person.get(key))
    for label, value in context["totals"]:
        yield ("totals", 1, label, value)
    for i, m in enumerate(context["score"], start=1):
        for key in ("key", "label", "rank", "value", "in_top"):
            yield ("metrics", i, key, m[key])
    for section in _PERSON_SINGLES:
        for key, value in (context.get(section) or {}).items():
            if key not in _NOT_DATA:
                yield (section, 1, key, value)
    for section in _PERSON_TABLES:
        for i, row in enumerate(context.get(section) or [], start=1):
            for key, value in row.items():
                if key not in _NOT_DATA:
                    yield (section, i, key, value)
    # Identity variants (Connect) or the ControlWorks mentions' values (CW: people): one item per value.
    for section in ("variants", "cw_variants"):
        values = [(group["field"], v) for group in context.get(section) or [] for v in group["values"]]
        for i, (field, v) in enumerate(values, start=1):
            yield from ((section, i, "field", field), (section, i, "value", v["value"]), (section, i, "count", v["n"]))
    household = context.get("household")
    if household:  # members outside the user's scope have no name or DOB here either (views._household)
        for key in ("household_id", "address", "postcode", "lpa", "size"):
            yield ("household", 1, key, household[key])
        for label, value in household["totals"]:
            yield ("household_totals", 1, label, value)
        for i, m in enumerate(household["members"], start=1):
            for key in ("person_id", "is_self", "name", "dob", "home_lpa"):
                yield ("household_members", i, key, m[key])


@router.get("/people/{person_id}/export.csv")
def export_person(
    request: Request,
    person_id: ScopedPerson,
    user: CurrentUser,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> Response:
    context = person_details(snap, settings, person_id, user)
    body, n = _csv(("section", "item", "field", "value"), person_rows(context))
    safe = _FILE_SAFE.sub("_", person_id)
    return _attachment(request, body, n, f"fsu-person-{safe}-{context['month']}.csv")
