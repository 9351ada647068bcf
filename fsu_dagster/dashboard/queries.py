"""Every SQL statement the dashboard runs, against one published snapshot (schema ``fsu``).

Functions take an open read-only connection and return plain rows (lists of dicts). Filter
values are always bound parameters; the only text put into SQL is chosen from the constant
tables below (sort keys, table names), never from a request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from fsu_dagster.stage1.ranking import METRIC_CATALOGUE

__all__ = [
    "DIRECTIONS",
    "METRICS",
    "PERSON_TABLES",
    "SORTS",
    "Sort",
    "cohort_rows",
    "entrants_summary",
    "household",
    "order_by",
    "person_header",
    "person_home_lpa",
    "person_rows",
    "person_single",
    "related_people",
    "selected_person",
    "snapshot_info",
]

#: The four metrics of method Table 1: (key, label, short label), from the one catalogue.
METRICS = METRIC_CATALOGUE


@dataclass(frozen=True)
class Sort:
    """One sortable main-table column: its ORDER BY expressions and the direction it starts in."""

    label: str
    expressions: tuple[str, ...]
    default: str  # "asc" | "desc"


#: The two directions a column sorts in (``dir`` query parameter) -> SQL.
DIRECTIONS = {"asc": "ASC", "desc": "DESC"}

#: Sort key (``sort`` query parameter) -> column, one per column of the main table. Only these
#: constant expressions reach SQL. Ranks start ascending (1 = most), harm descending (most first),
#: text A-Z. Empty values (no name, no home LPA, no theme) always come last, whichever direction.
SORTS: dict[str, Sort] = {
    "person": Sort("Person", ("lower(n.surname)", "lower(n.forename)", "c.person_id"), "asc"),
    **{key: Sort(label, (f"m.rank_{key}",), "asc") for key, label, _ in METRICS},
    "harm_caused": Sort("Harm caused", ("harm_caused",), "desc"),
    "harm_received": Sort("Harm received", ("harm_received",), "desc"),
    "home_lpa": Sort("Home LPA", ("l.home_lpa",), "asc"),
    "themes": Sort("Themes", ("themes",), "asc"),
}


def order_by(sort: str, direction: str | None = None) -> str:
    """The ORDER BY list for a sort key and direction (``None``: the column's default).

    Ties fall back to the overall rank, then the person ID, so the order is total and stable.
    """
    column = SORTS[sort]  # KeyError for anything not listed
    sql_dir = DIRECTIONS[direction or column.default]
    keys = [f"{e} {sql_dir} NULLS LAST" for e in column.expressions]
    return ", ".join([*keys, "m.rank_overall ASC", "c.person_id ASC"])


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
    "identity_variants": "field, n_versions DESC, n_months DESC, last_seen DESC, value",
    "cw_identity_variants": "field, mentions DESC, last_seen DESC, value",
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


def _scope_clause(lpas: frozenset[str] | None, params: dict[str, Any]) -> str | None:
    """The WHERE term limiting rows to home LPAs ``lpas`` (None = every LPA, no term)."""
    if lpas is None:
        return None
    params["scope_lpas"] = sorted(lpas)
    return "list_contains($scope_lpas, l.home_lpa)"  # no home LPA (NULL) -> not in any LPA's scope


def cohort_rows(
    conn: duckdb.DuckDBPyConnection,
    month: dt.date,
    *,
    lpa: str | None = None,
    theme: str | None = None,
    priority: str | None = None,
    sort: str = "overall",
    direction: str | None = None,
    entrants: bool = False,
    lpas: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The main table: one row per cohort member, filtered; ranks stay those of the whole universe.

    ``lpa`` filters on the home LPA (``UNKNOWN`` = no home LPA); ``theme`` on ``person_themes``
    (including ``MISSING``); ``priority`` on ``person_priority_crimes``; ``entrants`` keeps the
    people new to the list since the previous month (``cohort_changes`` status ``NEW``);
    ``lpas`` is the user's scope (their home LPAs; None = all). ``sort`` is a key of
    :data:`SORTS`, ``direction`` ``asc`` / ``desc`` (None: the column's default). Each row has
    ``status`` (``NEW`` / ``STAYED``, None when the month has no ``cohort_changes`` row).
    """
    where = ["c.month = $month"]
    params: dict[str, Any] = {"month": month}
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
    if entrants:
        where.append("ch.status = 'NEW'")
    scope = _scope_clause(lpas, params)
    if scope:
        where.append(scope)
    order = order_by(sort if sort in SORTS else "overall", direction)
    metric_cols = ", ".join(f"m.metric_{k}, m.rank_{k}, c.in_top_{k}" for k, _, _ in METRICS)
    sql = f"""
        WITH th AS (
            SELECT person_id, string_agg(theme, ' ' ORDER BY theme) AS themes
            FROM fsu.person_themes WHERE month = $month GROUP BY person_id
        )
        SELECT c.person_id, n.forename, n.surname, n.dob, {metric_cols},
               coalesce(h.harm_caused, 0) AS harm_caused, coalesce(h.harm_received, 0) AS harm_received,
               l.home_lpa, ch.status, th.themes
        FROM fsu.cohort c
        LEFT JOIN th ON th.person_id = c.person_id
        JOIN fsu.person_metrics m ON m.month = c.month AND m.person_id = c.person_id
        LEFT JOIN fsu.person_harm h ON h.month = c.month AND h.person_id = c.person_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = c.month AND l.person_id = c.person_id
        LEFT JOIN fsu.person_names n ON n.month = c.month AND n.person_id = c.person_id
        LEFT JOIN fsu.cohort_changes ch ON ch.month = c.month AND ch.person_id = c.person_id AND ch.metric = 'overall'
        WHERE {" AND ".join(where)}
        ORDER BY {order}
    """
    return _rows(conn, sql, params)


def entrants_summary(
    conn: duckdb.DuckDBPyConnection, month: dt.date, *, lpas: frozenset[str] | None = None
) -> dict[str, Any]:
    """Changes since the previous month, within the scope ``lpas``: ``entrants`` (cohort members new
    to the list), ``leavers`` (on last month's list, not this month's; counted only for all-LPA
    scope, as leavers have no home LPA in the snapshot) and ``first_month`` (True when there was no
    previous month to compare with: ``cohort_changes`` then has only ``NEW`` rows)."""
    params: dict[str, Any] = {"month": month}
    scope = _scope_clause(lpas, params)
    in_scope = f" AND {scope}" if scope else ""
    sql = f"""
        SELECT count(*) FILTER (WHERE ch.status = 'NEW' AND c.person_id IS NOT NULL{in_scope}) AS entrants,
               count(*) FILTER (WHERE ch.status = 'LEFT') AS leavers,
               count(*) FILTER (WHERE ch.status IN ('STAYED', 'LEFT')) = 0 AS first_month
        FROM fsu.cohort_changes ch
        LEFT JOIN fsu.cohort c ON c.month = ch.month AND c.person_id = ch.person_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = ch.month AND l.person_id = ch.person_id
        WHERE ch.month = $month AND ch.metric = 'overall'
    """
    row = _rows(conn, sql, params)[0]
    if lpas is not None:
        row["leavers"] = None
    return row


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
    """The person's relationship table (method 3d/3e), flagging related people who are in the cohort too,
    with their home LPA (``related_home_lpa``, cohort members only) for the user's scope."""
    sql = """
        SELECT r.related_person_id, r.relationship, r.investigations, c.person_id IS NOT NULL AS in_cohort,
               l.home_lpa AS related_home_lpa
        FROM fsu.person_relationships r
        LEFT JOIN fsu.cohort c ON c.month = r.month AND c.person_id = r.related_person_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = r.month AND l.person_id = r.related_person_id
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


def selected_person(conn: duckdb.DuckDBPyConnection, month: dt.date, person_id: str) -> dict[str, Any] | None:
    """The main page's selected person: ``person_id``, name, home LPA and their investigation locations
    by LPA (``lpas``: ``location_lpa, investigations`` rows, most first), in one query; None when
    they are not in that month's cohort."""
    sql = """
        SELECT c.person_id, n.forename, n.surname, l.home_lpa,
               (SELECT list({'location_lpa': i.location_lpa, 'investigations': i.investigations}
                            ORDER BY i.investigations DESC, i.location_lpa NULLS LAST)
                  FROM fsu.investigation_lpas i WHERE i.month = c.month AND i.person_id = c.person_id) AS lpas
        FROM fsu.cohort c
        LEFT JOIN fsu.person_home_lpa l ON l.month = c.month AND l.person_id = c.person_id
        LEFT JOIN fsu.person_names n ON n.month = c.month AND n.person_id = c.person_id
        WHERE c.month = $month AND c.person_id = $person_id
    """
    rows = _rows(conn, sql, {"month": month, "person_id": person_id})
    if not rows:
        return None
    row = rows[0]
    row["lpas"] = [dict(x) for x in row["lpas"] or []]
    return row


def household(conn: duckdb.DuckDBPyConnection, month: dt.date, person_id: str) -> list[dict[str, Any]]:
    """The person's household (``households``, via their ``home_addresses.household_id``): one row per
    cohort member living there (the person included), each with the household's address and combined
    totals and the member's ID, name, DOB and home LPA; [] when their home address is unknown."""
    sql = """
        WITH hh AS (
            SELECT h.* FROM fsu.households h
            JOIN fsu.home_addresses a ON a.month = h.month AND a.household_id = h.household_id
            WHERE h.month = $month AND a.person_id = $person_id
        ),
        members AS (SELECT household_id, unnest(string_split(person_ids, ';')) AS member_id FROM hh)
        SELECT hh.* EXCLUDE (month, person_ids), x.member_id, x.member_id = $person_id AS is_self,
               n.forename, n.surname, n.dob, l.home_lpa AS member_home_lpa, c.person_id IS NOT NULL AS in_cohort
        FROM hh
        JOIN members x ON x.household_id = hh.household_id
        LEFT JOIN fsu.cohort c ON c.month = hh.month AND c.person_id = x.member_id
        LEFT JOIN fsu.person_names n ON n.month = hh.month AND n.person_id = x.member_id
        LEFT JOIN fsu.person_home_lpa l ON l.month = hh.month AND l.person_id = x.member_id
        ORDER BY is_self DESC, x.member_id
    """
    return _rows(conn, sql, {"month": month, "person_id": person_id})
