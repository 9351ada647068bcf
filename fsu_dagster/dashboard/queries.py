"""Every SQL statement the dashboard runs, against one published snapshot (schema ``fsu``).

Functions take an open read-only connection and return plain rows (lists of dicts). Filter
values are always bound parameters; the only text put into SQL is chosen from the constant
tables below (sort keys, table names), never from a request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from fsu_dagster.stage1.ranking import METRIC_CATALOGUE

__all__ = [
    "METRICS",
    "PERSON_TABLES",
    "SORTS",
    "cohort_rows",
    "person_header",
    "person_home_lpa",
    "person_rows",
    "person_single",
    "related_people",
    "snapshot_info",
]

#: The four metrics of method Table 1: (key, label, short label), from the one catalogue.
METRICS = METRIC_CATALOGUE

#: Sort key (query parameter) -> ORDER BY expression. Ranks ascend (1 = most); harm descends.
SORTS: dict[str, str] = {
    **{key: f"m.rank_{key} ASC" for key, _, _ in METRICS},
    "harm_caused": "harm_caused DESC",
    "harm_received": "harm_received DESC",
}

#: Details-page tables and their row order. Only these names are ever put into SQL.
PERSON_TABLES: dict[str, str] = {
    "investigation_list": "recorded_at DESC, investigation_id",
    "investigation_lpas": "investigations DESC, location_lpa",
    "investigation_roles": "investigations DESC, role",
    "investigation_outcomes": "investigations DESC, outcome",
    "person_relationships": "investigations DESC, related_person_id",
    "custody_records": "arrival_at DESC NULLS LAST, custody_id",
    "cw_log_list": "created_at DESC, incident_id",
    "cw_resource_groups": "hours DESC, resource_group",
    "cw_incident_types": "logs DESC, incident_type",
    "cw_response_grades": "response_grade",
    "cw_caller_relationship_counts": "logs DESC, caller_relationship",
    "missing_episodes": "reported_at DESC, report_id",
    "score_breakdown": "metric, contribution DESC, total",
    "monthly_trend": "interaction, activity_month",
    "cohort_changes": "metric",
    "person_themes": "theme",
    "person_priority_crimes": "priority_crime_type",
}

#: One-row-per-person tables.
SINGLE_TABLES = ("custody_summary", "cw_summary", "missing_summary", "home_addresses")


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def snapshot_info(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = _rows(conn, "SELECT * FROM fsu.snapshot_info", {})
    return rows[0] if rows else {}


def cohort_rows(
    conn: duckdb.DuckDBPyConnection,
    month: dt.date,
    *,
    lpa: str | None = None,
    theme: str | None = None,
    priority: str | None = None,
    sort: str = "overall",
    lpas: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The main table: one row per cohort member, filtered; ranks stay those of the whole universe.

    ``lpa`` filters on the home LPA (``UNKNOWN`` = no home LPA); ``theme`` on ``person_themes``
    (including ``MISSING``); ``priority`` on ``person_priority_crimes``. ``lpas`` is the user's
    scope (:class:`fsu_dagster.dashboard.scope.Scope`): only people whose home LPA is one of them
    (None = everyone).
    """
    where = ["c.month = $month"]
    params: dict[str, Any] = {"month": month}
    if lpas is not None:
        where.append("list_contains($lpas, l.home_lpa)")
        params["lpas"] = sorted(lpas)
    if lpa == "UNKNOWN":
        where.append("l.home_lpa IS NULL")
    elif lpa:
        where.append("l.home_lpa = $lpa")
        params["lpa"] = lpa
    if theme:
        where.append(
            "EXISTS (SELECT 1 FROM fsu.person_themes t "
            "WHERE t.month = c.month AND t.person_id = c.person_id AND t.theme = $theme)"
        )
        params["theme"] = theme
    if priority:
        where.append(
            "EXISTS (SELECT 1 FROM fsu.person_priority_crimes p WHERE p.month = c.month AND p.person_id = c.person_id "
            "AND p.priority_crime_type = $priority)"
        )
        params["priority"] = priority
    order = SORTS.get(sort, SORTS["overall"])
    metric_cols = ", ".join(f"m.metric_{k}, m.rank_{k}, c.in_top_{k}" for k, _, _ in METRICS)
    sql = f"""
        SELECT c.person_id, n.forename, n.surname, n.dob, {metric_cols},
               coalesce(h.harm_caused, 0) AS harm_caused, coalesce(h.harm_received, 0) AS harm_received,
               l.home_lpa,
               (SELECT string_agg(t.theme, ' ' ORDER BY t.theme) FROM fsu.person_themes t
                 WHERE t.month = c.month AND t.person_id = c.person_id) AS themes
        FROM fsu.cohort c
        JOIN fsu.person_metrics m ON m.month = c.month AND m.person_id = c.person_id
        LEFT JOIN fsu.person_harm h ON h.month = c.month AND h.person_id = c.person_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = c.month AND l.person_id = c.person_id
        LEFT JOIN fsu.person_names n ON n.month = c.month AND n.person_id = c.person_id
        WHERE {" AND ".join(where)}
        ORDER BY {order}, m.rank_overall, c.person_id
    """
    return _rows(conn, sql, params)


def person_header(conn: duckdb.DuckDBPyConnection, month: dt.date, person_id: str) -> dict[str, Any] | None:
    """The person's main-table row (None when they are not in that month's cohort)."""
    sql = """
        SELECT c.*, m.* EXCLUDE (month, person_id), n.forename, n.surname, n.dob,
               coalesce(h.harm_caused, 0) AS harm_caused, coalesce(h.harm_received, 0) AS harm_received,
               l.home_lpa, l.home_lpa_rule, t.* EXCLUDE (month, person_id)
        FROM fsu.cohort c
        JOIN fsu.person_metrics m ON m.month = c.month AND m.person_id = c.person_id
        LEFT JOIN fsu.person_totals t ON t.month = c.month AND t.person_id = c.person_id
        LEFT JOIN fsu.person_harm h ON h.month = c.month AND h.person_id = c.person_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = c.month AND l.person_id = c.person_id
        LEFT JOIN fsu.person_names n ON n.month = c.month AND n.person_id = c.person_id
        WHERE c.month = $month AND c.person_id = $person_id
    """
    rows = _rows(conn, sql, {"month": month, "person_id": person_id})
    return rows[0] if rows else None


def person_rows(conn: duckdb.DuckDBPyConnection, table: str, month: dt.date, person_id: str) -> list[dict[str, Any]]:
    """All rows of one details-page table for the person, in the table's display order."""
    order = PERSON_TABLES[table]  # KeyError for anything not listed: nothing else reaches SQL
    return _rows(
        conn,
        f"SELECT * EXCLUDE (month) FROM fsu.{table} WHERE month = $month AND person_id = $person_id ORDER BY {order}",
        {"month": month, "person_id": person_id},
    )


def person_single(conn: duckdb.DuckDBPyConnection, table: str, month: dt.date, person_id: str) -> dict[str, Any]:
    """The person's row of a one-row-per-person table ({} when absent)."""
    if table not in SINGLE_TABLES:
        raise KeyError(table)
    rows = _rows(
        conn,
        f"SELECT * EXCLUDE (month) FROM fsu.{table} WHERE month = $month AND person_id = $person_id",
        {"month": month, "person_id": person_id},
    )
    return rows[0] if rows else {}


def related_people(conn: duckdb.DuckDBPyConnection, month: dt.date, person_id: str) -> list[dict[str, Any]]:
    """The person's relationship table (method 3d/3e), flagging related people who are in the cohort too."""
    sql = """
        SELECT r.related_person_id, r.relationship, r.investigations, c.person_id IS NOT NULL AS in_cohort
        FROM fsu.person_relationships r
        LEFT JOIN fsu.cohort c ON c.month = r.month AND c.person_id = r.related_person_id
        WHERE r.month = $month AND r.person_id = $person_id
        ORDER BY r.investigations DESC, r.related_person_id
    """
    return _rows(conn, sql, {"month": month, "person_id": person_id})


def person_home_lpa(conn: duckdb.DuckDBPyConnection, month: dt.date, person_id: str) -> tuple[bool, str | None]:
    """(in the month's cohort, home LPA or None): what the scope check needs before anything else is read."""
    rows = conn.execute(
        "SELECT l.home_lpa FROM fsu.cohort c LEFT JOIN fsu.person_home_lpa l "
        "ON l.month = c.month AND l.person_id = c.person_id WHERE c.month = $month AND c.person_id = $person_id",
        {"month": month, "person_id": person_id},
    ).fetchall()
    return (True, rows[0][0]) if rows else (False, None)
