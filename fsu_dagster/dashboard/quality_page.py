"""The data-quality page's queries and context (issue 13 item 7): aggregates only, from the snapshot.

For the people who must trust the list: per landing month of the window and extract, rows read,
loaded and quarantined (with the reasons), values nulled and flagged and the volume guard's
verdict (``fsu.data_quality``); the share of ControlWorks logs whose caller (originator) and
subject were linked to a person, per link mode and log month (``fsu.link_quality``); the cohort's
size out of the universe (``fsu.snapshot_info``), how many members are on 1-4 of the top lists
(``fsu.cohort``) and who joined or left since the previous month (``fsu.cohort_changes``).

A snapshot published before these tables were copied simply shows "not in this snapshot" for
that part. No person-level value is read here.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from fsu_dagster.dashboard.deps import Snapshot
from fsu_dagster.dashboard.queries import METRICS

__all__ = ["quality_context"]


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'fsu' AND database_name = current_database()"
    ).fetchall()
    return {r[0] for r in rows}


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _reasons(text: str | None) -> list[tuple[str, int]]:
    """``{"reason": n}`` (as the loader stores it) -> [(reason, n)], most first; unreadable text says so."""
    if not text:
        return []
    try:
        counts = json.loads(text)
    except json.JSONDecodeError:
        return [("(reasons could not be read)", 0)]
    if not isinstance(counts, dict):
        return [("(reasons could not be read)", 0)]
    return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))


def _loads(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(
        conn,
        "SELECT month, extract, rows_read, rows_accepted, rows_quarantined, values_nulled, values_flagged, "
        "quarantined_by_reason, volume_status FROM fsu.data_quality ORDER BY month DESC, extract",
    )
    for r in rows:
        r["reasons"] = _reasons(r.pop("quarantined_by_reason"))
    return rows


def _link_rates(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One row per log month, role and mode: logs, linked, share."""
    rows = _rows(
        conn,
        "SELECT log_month, mode, n_logs, n_originator_linked, n_subject_linked FROM fsu.link_quality "
        "ORDER BY log_month DESC, mode",
    )
    out = []
    for r in rows:
        for role in ("originator", "subject"):
            linked = r[f"n_{role}_linked"]
            out.append(
                {
                    "log_month": r["log_month"],
                    "role": role,
                    "mode": r["mode"],
                    "logs": r["n_logs"],
                    "linked": linked,
                    "share": linked / r["n_logs"] if r["n_logs"] else None,
                }
            )
    return out


def _overlap(conn: duckdb.DuckDBPyConnection, month: Any) -> list[dict[str, Any]]:
    flags = " + ".join(f"in_top_{k}::INT" for k, _, _ in METRICS)
    return _rows(
        conn,
        f"SELECT {flags} AS lists, count(*) AS people FROM fsu.cohort WHERE month = $m GROUP BY lists ORDER BY lists",
        {"m": month},
    )


def _per_list(conn: duckdb.DuckDBPyConnection, month: Any) -> list[dict[str, Any]]:
    sums = ", ".join(f"count(*) FILTER (WHERE in_top_{k}) AS {k}" for k, _, _ in METRICS)
    row = _rows(conn, f"SELECT {sums} FROM fsu.cohort WHERE month = $m", {"m": month})[0]
    return [{"key": k, "label": label, "people": row[k]} for k, label, _ in METRICS]


def _changes(conn: duckdb.DuckDBPyConnection, month: Any) -> list[dict[str, Any]]:
    return _rows(
        conn,
        "SELECT status, count(*) AS people FROM fsu.cohort_changes WHERE month = $m AND metric = 'overall' "
        "GROUP BY status ORDER BY status",
        {"m": month},
    )


def quality_context(snap: Snapshot) -> dict[str, Any]:
    conn, month = snap.conn, snap.month
    present = _tables(conn)
    loads = _loads(conn) if "data_quality" in present else None
    totals = None
    if loads is not None:
        totals = {k: sum(r[k] or 0 for r in loads) for k in ("rows_read", "rows_accepted", "rows_quarantined")}
    return {
        "month": f"{month:%Y-%m}",
        "months": [f"{m:%Y-%m}" for m in reversed(snap.months)],
        "info": snap.info,
        "loads": loads,
        "load_totals": totals,
        "links": _link_rates(conn) if "link_quality" in present else None,
        "overlap": _overlap(conn, month),
        "per_list": _per_list(conn, month),
        "changes": _changes(conn, month) if "cohort_changes" in present else None,
    }
