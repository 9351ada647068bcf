"""Template contexts for each page (all data access goes through ``queries``; no SQL here or in routes).

Each ``*_context`` function returns a plain dict for one template. Bars are given as whole
percentages (``pct``) that the stylesheet's ``w-N`` / ``h-N`` classes draw, so the pages need no
JavaScript and no inline styles (the Content-Security-Policy forbids both).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any
from urllib.parse import quote, urlencode

from fsu_dagster.dashboard import queries
from fsu_dagster.dashboard.deps import Snapshot
from fsu_dagster.dashboard.scope import Scope
from fsu_dagster.settings import FsuSettings

__all__ = [
    "TOTAL_LABELS",
    "BadFilter",
    "NotListed",
    "OutOfScope",
    "cohort_context",
    "details_context",
    "method_context",
    "pct",
    "source_link",
]

UNKNOWN_LPA = "UNKNOWN"
MISSING_THEME = ("MISSING", "Missing persons")

#: The nine totals of method section 5.1 (person_totals columns) and how the pages name them.
TOTAL_LABELS: dict[str, str] = {
    "suspect_total": "Suspect (investigations)",
    "offender_total": "Offender (investigations)",
    "victim_total": "Victim (investigations)",
    "custody_total": "Custody records",
    "custody_hours": "Custody hours (capped)",
    "originator_calls": "Originator calls (logs)",
    "originator_hours": "Originator resource hours",
    "subject_calls": "Subject calls (logs)",
    "subject_hours": "Subject resource hours",
}

#: Short names for the score-breakdown bars.
TOTAL_SHORT: dict[str, str] = {
    "suspect_total": "Suspect",
    "offender_total": "Offender",
    "victim_total": "Victim",
    "custody_total": "Custody records",
    "custody_hours": "Custody hours",
    "originator_calls": "Calls made",
    "originator_hours": "Calls made: hours",
    "subject_calls": "Calls about",
    "subject_hours": "Calls about: hours",
}

TREND_ORDER = ("SUSPECT", "OFFENDER", "VICTIM", "CUSTODY", "ORIGINATOR", "SUBJECT", "MISSING")


class BadFilter(ValueError):
    """A filter or sort value that the page does not offer."""


class NotListed(LookupError):
    """The selected person is not in the month's cohort (404)."""


class OutOfScope(PermissionError):
    """The selected person's home LPA is outside the user's scope (403)."""


CW_PREFIX = "CW:"
SORT_DIRECTIONS = ("asc", "desc")
ARIA_SORT = {"asc": "ascending", "desc": "descending"}


def pct(value: float | None, maximum: float | None) -> int:
    """``value`` as a whole percentage of ``maximum`` (0-100); any non-zero value shows at least 1."""
    if not value or not maximum or maximum <= 0:
        return 0
    return max(1, min(100, math.ceil(100 * float(value) / float(maximum) - 1e-9)))


def source_link(settings: FsuSettings, kind: str, record_id: Any) -> str | None:
    """The source-system URL for a record (``settings.source_urls[kind]`` with ``{id}``), if configured."""
    template = settings.source_urls.get(kind)
    if not template or record_id is None or not template.startswith(("https://", "http://")):
        return None
    return template.replace("{id}", quote(str(record_id), safe=""))


def _month_str(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def _filter_options(settings: FsuSettings, scope: Scope | None = None) -> dict[str, list[tuple[str, str]]]:
    lpas = (scope or Scope(None)).filter_options(settings.lpas)
    return {
        "lpa": [(x, "No home LPA" if x == UNKNOWN_LPA else x.title()) for x in lpas],
        "theme": [(k, v.label) for k, v in settings.themes.items()] + [MISSING_THEME],
        "priority": [(k, v.label) for k, v in settings.priority_crime_types.items()],
    }


def _display_name(row: dict[str, Any]) -> str:
    name = " ".join(x for x in (row.get("forename"), row.get("surname")) if x)
    return name or str(row["person_id"])


def cohort_context(
    snap: Snapshot,
    settings: FsuSettings,
    *,
    lpa: str | None = None,
    theme: str | None = None,
    priority: str | None = None,
    sort: str | None = None,
    direction: str | None = None,
    entrants: bool = False,
    selected: str | None = None,
    scope: Scope | None = None,
) -> dict[str, Any]:
    """The main page (method 6.1): the cohort table with LPA / theme / priority-crime / entrant filters,
    sortable by every column, and the selected person's investigation locations by LPA beside it.

    ``scope`` limits the rows and the LPA filter buttons to the user's home LPAs (None: everyone).
    ``selected`` must be a cohort member (else :class:`NotListed`) within ``scope`` (else
    :class:`OutOfScope`); the caller has checked its shape.
    """
    options = _filter_options(settings, scope)
    chosen = {"lpa": lpa or None, "theme": theme or None, "priority": priority or None}
    for key, value in chosen.items():
        if value is not None and value not in {k for k, _ in options[key]}:
            raise BadFilter(f"unknown {key} filter")
    sort = sort or "overall"
    if sort not in queries.SORTS:
        raise BadFilter("unknown sort")
    if direction is not None and direction not in SORT_DIRECTIONS:
        raise BadFilter("unknown sort direction")
    column = queries.SORTS[sort]
    direction = direction or column.default
    lpas = scope.lpas if scope is not None else None
    chart = None
    if selected:
        chart = queries.selected_person(snap.conn, snap.month, selected)
        if chart is None:
            raise NotListed(selected)
        if scope is not None and not scope.allows(chart["home_lpa"]):
            raise OutOfScope(selected)
    rows = queries.cohort_rows(
        snap.conn, snap.month, sort=sort, direction=direction, entrants=entrants, lpas=lpas, **chosen
    )
    changes = queries.entrants_summary(snap.conn, snap.month, lpas=lpas)
    month = _month_str(snap.month)
    state: dict[str, str | None] = {
        "month": month,
        **chosen,
        "entrants": "1" if entrants else None,
        "sort": sort,
        "dir": direction,
        "selected": selected or None,
    }

    def href(anchor: str = "", /, **changes: str | None) -> str:
        params = {**state, **changes}
        return "/?" + urlencode({k: v for k, v in params.items() if v}) + anchor

    # Changing a filter changes the list, so it drops the selection; sorting keeps it.
    filters = [
        {
            "key": key,
            "label": {"lpa": "Home LPA", "theme": "Theme", "priority": "Priority crime"}[key],
            "all_href": href(**{key: None, "selected": None}),
            "all_active": chosen[key] is None,
            "buttons": [
                {"value": v, "label": label, "active": chosen[key] == v, "href": href(**{key: v, "selected": None})}
                for v, label in options[key]
            ],
        }
        for key in ("lpa", "theme", "priority")
    ]
    columns = {}
    for key, col in queries.SORTS.items():
        active = key == sort
        next_dir = ("desc" if direction == "asc" else "asc") if active else col.default
        columns[key] = {
            "key": key,
            "label": col.label,
            "active": active,
            "aria_sort": ARIA_SORT[direction] if active else None,
            "href": href(sort=key, dir=next_dir),
            "next": "descending" if next_dir == "desc" else "ascending",
        }
    theme_labels = dict(options["theme"])
    select_base = href(selected=None) + "&selected="  # one urlencode for the page, not one per row
    for r in rows:
        r["href"] = f"/people/{quote(r['person_id'], safe='')}?month={month}"
        r["select_href"] = select_base + quote(r["person_id"], safe="") + "#chart"
        r["selected"] = r["person_id"] == selected
        r["cw_only"] = r["person_id"].startswith(CW_PREFIX)
        r["themes"] = [(t, theme_labels.get(t, t)) for t in (r["themes"] or "").split()]
    if chart is not None:
        chart["name"] = _display_name(chart)
        chart["bars"] = _bars(chart["lpas"], "investigations")
        chart["total"] = sum(x["investigations"] for x in chart["lpas"])
        chart["href"] = f"/people/{quote(chart['person_id'], safe='')}?month={month}"
        chart["close_href"] = href(selected=None)
    return {
        "month": month,
        "months": [_month_str(m) for m in reversed(snap.months)],
        "info": snap.info,
        "filters": filters,
        "sorts": list(columns.values()),
        "columns": columns,
        "metrics": queries.METRICS,
        "rows": rows,
        "chart": chart,
        "entrants": {
            **changes,
            "active": entrants,
            "href": href(entrants="1", selected=None),
            "all_href": href(entrants=None, selected=None),
        },
        "filtered": any(chosen.values()) or entrants,
        "clear_href": href(lpa=None, theme=None, priority=None, entrants=None, selected=None),
        "export_href": "/export/list.csv" + href(selected=None).removeprefix("/"),
    }


def _score_breakdown(rows: list[dict[str, Any]], header: dict[str, Any]) -> list[dict[str, Any]]:
    by_metric: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_metric[r["metric"]].append(r)
    out = []
    for key, label, _ in queries.METRICS:
        totals = by_metric.get(f"metric_{key}", [])
        out.append(
            {
                "key": key,
                "label": label,
                "value": header.get(f"metric_{key}"),
                "rank": header.get(f"rank_{key}"),
                "in_top": header.get(f"in_top_{key}"),
                "totals": [
                    {
                        "label": TOTAL_LABELS.get(t["total"], t["total"]),
                        "short": TOTAL_SHORT.get(t["total"], t["total"]),
                        "value": t["value"],
                        "share": t["share"],
                        "contribution": t["contribution"],
                        "pct": pct(t["share"], 1.0),
                    }
                    for t in totals
                ],
            }
        )
    return out


def _trend(rows: list[dict[str, Any]]) -> dict[str, Any]:
    months = sorted({r["activity_month"] for r in rows})
    cells: dict[str, dict[dt.date, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        cells[r["interaction"]][r["activity_month"]] = r
    series = []
    for interaction in [i for i in TREND_ORDER if i in cells] + sorted(set(cells) - set(TREND_ORDER)):
        row = cells[interaction]
        peak = max((c["events"] for c in row.values()), default=0)
        total = sum(c["events"] for c in row.values())
        if not total:
            continue
        series.append(
            {
                "interaction": interaction.title(),
                "total": total,
                "hours": sum(c["hours"] or 0 for c in row.values()),
                "points": [
                    {
                        "month": m,
                        "events": row.get(m, {}).get("events", 0),
                        "pct": pct(row.get(m, {}).get("events", 0), peak),
                    }
                    for m in months
                ],
            }
        )
    return {"months": months, "series": series}


def _bars(rows: list[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    peak = max((r[value] or 0 for r in rows), default=0)
    return [{**r, "pct": pct(r[value], peak)} for r in rows]


#: Identity fields in the order the details page lists them, and their headings.
VARIANT_LABELS = {"forename": "Forenames", "surname": "Surnames", "dob": "Dates of birth", "pnc_id": "PNC IDs"}


def _variants(rows: list[dict[str, Any]], count: str) -> list[dict[str, Any]]:
    """Variant rows (one per field and value, in display order) grouped per field, with ``count`` as ``n``."""
    by_field: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_field[r["field"]].append({**r, "n": r[count]})
    return [
        {"field": f, "label": label, "values": by_field[f], "total": sum(v["n"] for v in by_field[f])}
        for f, label in VARIANT_LABELS.items()
    ]


def _household(rows: list[dict[str, Any]], month: str, scope: Scope | None) -> dict[str, Any] | None:
    """The household section: the shared address, combined totals and members (others first by ID).

    A member outside the user's scope is shown by ID only: no name, DOB or link."""
    if not rows:
        return None
    first = rows[0]
    members = []
    for r in rows:
        visible = r["is_self"] or scope is None or scope.allows(r["member_home_lpa"])
        members.append(
            {
                "person_id": r["member_id"],
                "is_self": r["is_self"],
                "visible": visible,
                "name": _display_name({**r, "person_id": r["member_id"]}) if visible else None,
                "dob": r["dob"] if visible else None,
                "home_lpa": r["member_home_lpa"],
                "href": f"/people/{quote(r['member_id'], safe='')}?month={month}"
                if visible and r["in_cohort"] and not r["is_self"]
                else None,
            }
        )
    return {
        "household_id": first["household_id"],
        "address": first["home_address"],
        "postcode": first["home_postcode"],
        "lpa": first["home_lpa"],
        "size": first["members"],
        "members": members,
        "others": [m for m in members if not m["is_self"]],
        "totals": [(TOTAL_LABELS[k], first[k]) for k in TOTAL_LABELS],
    }


def details_context(
    snap: Snapshot, settings: FsuSettings, person_id: str, *, scope: Scope | None = None
) -> dict[str, Any] | None:
    """The details page (method 6.2) for one cohort member; None when they are not in the month's cohort.

    ``scope`` (the user's LPAs) hides the names of household members outside it and unlinks related
    people outside it; whether the person themselves may be shown is the route's check.
    """
    header = queries.person_header(snap.conn, snap.month, person_id)
    if header is None:
        return None
    month = _month_str(snap.month)
    cw_only = person_id.startswith(CW_PREFIX)

    def rows(table: str) -> list[dict[str, Any]]:
        return queries.person_rows(snap.conn, table, snap.month, person_id)

    investigations = rows("investigation_list")
    for r in investigations:
        r["url"] = source_link(settings, "investigation", r["investigation_id"])
    custody = rows("custody_records")
    for r in custody:
        r["url"] = source_link(settings, "custody", r["custody_id"])
        r["investigation_url"] = source_link(settings, "investigation", r["investigation_id"])
    logs = rows("cw_log_list")
    for r in logs:
        r["url"] = source_link(settings, "incident", r["incident_id"])
    related = queries.related_people(snap.conn, snap.month, person_id)
    for r in related:  # a related person outside the user's scope keeps their ID but not the link (it would be a 403)
        linked = r["in_cohort"] and (scope is None or scope.allows(r["related_home_lpa"]))
        r["href"] = f"/people/{quote(r['related_person_id'], safe='')}?month={month}" if linked else None
    theme_labels = dict(_filter_options(settings)["theme"])
    return {
        "month": month,
        "info": snap.info,
        "person": header,
        "back_href": f"/?month={month}",
        "print_href": f"/people/{quote(person_id, safe='')}/print?month={month}",
        "export_href": f"/people/{quote(person_id, safe='')}/export.csv?month={month}",
        "themes": [{**t, "label": theme_labels.get(t["theme"], t["label"])} for t in rows("person_themes")],
        "priority_crimes": rows("person_priority_crimes"),
        "changes": rows("cohort_changes"),
        "metrics": queries.METRICS,
        "totals": [(TOTAL_LABELS[k], header.get(k)) for k in TOTAL_LABELS],
        "score": _score_breakdown(rows("score_breakdown"), header),
        "trend": _trend(rows("monthly_trend")),
        "home": queries.person_single(snap.conn, "home_addresses", snap.month, person_id),
        "investigations": investigations,
        "investigation_lpas": _bars(rows("investigation_lpas"), "investigations"),
        "roles": _bars(rows("investigation_roles"), "investigations"),
        "outcomes": _bars(rows("investigation_outcomes"), "investigations"),
        "related": related,
        "cw": queries.person_single(snap.conn, "cw_summary", snap.month, person_id),
        "logs": logs,
        "callers": _bars(rows("cw_caller_relationship_counts"), "logs"),
        "resource_groups": _bars(rows("cw_resource_groups"), "hours"),
        "incident_types": _bars(rows("cw_incident_types"), "logs"),
        "grades": _bars(rows("cw_response_grades"), "logs"),
        "custody_summary": queries.person_single(snap.conn, "custody_summary", snap.month, person_id),
        "custody": custody,
        "arrests": [r for r in custody if r["arrested_at"] is not None],
        "missing_summary": queries.person_single(snap.conn, "missing_summary", snap.month, person_id),
        "missing": rows("missing_episodes"),
        "cw_only": cw_only,
        # Connect people: method 5.1.4's "all versions"; CW: people: what their ControlWorks mentions say.
        "variants": None if cw_only else _variants(rows("identity_variants"), "n_versions"),
        "cw_variants": _variants(rows("cw_identity_variants"), "mentions") if cw_only else None,
        "household": _household(queries.household(snap.conn, snap.month, person_id), month, scope),
    }


def method_context(settings: FsuSettings, snap: Snapshot | None) -> dict[str, Any]:
    return {
        "settings": settings,
        "info": snap.info if snap else {},
        "month": _month_str(snap.month) if snap else None,
        "metrics": queries.METRICS,
        "totals": TOTAL_LABELS,
        "themes": [(k, v.label) for k, v in settings.themes.items()],
        "priority_crimes": [(k, v.label) for k, v in settings.priority_crime_types.items()],
    }
