"""Publish a dashboard snapshot: one read-only DuckDB file per window month (no Dagster import).

The pipeline's warehouse has one writer at a time (DuckDB), so the dashboard never opens it.
``publish_snapshot`` copies the tables the dashboard reads, for window month M, into a new file
``<snapshot_dir>/fsu-YYYY-MM.duckdb`` and then points ``<snapshot_dir>/latest`` at the newest
published month. Both are written to a temporary name in the same folder and moved into place
with ``os.replace`` (atomic on one file system), so a reader sees either the old complete file or
the new complete file, never a half-written one; ``latest`` only moves after the snapshot is
complete. Republishing a month replaces that month's file and nothing else.

Snapshot layout: schema ``fsu`` with the same table names and columns as the warehouse, rows of
month M only, person-level tables restricted to M's cohort, plus tables built here:

* ``fsu.identity_variants`` — the warehouse table for the cohort, forenames, surnames, DOBs and
  PNC IDs only (method 5.1.4's lists; phone numbers are not shown, so not copied);
* ``fsu.cw_identity_variants`` — for ControlWorks-only cohort members (``CW:`` IDs, no Connect
  record): every forename, surname, DOB and PNC ID on the ControlWorks logs linked to them,
  ``month, person_id, field, value, mentions`` (linked mentions carrying it), ``first_seen,
  last_seen`` (dates of the first and last such log);
* ``fsu.person_names`` — per cohort member, the most common forename, surname and DOB among
  their identity variants (Connect), or among their ControlWorks mentions for ``CW:`` people
  (what the dashboard shows next to the ID);
* ``fsu.snapshot_info`` — one row: ``month, published_at, universe_size, cohort_size``.

When the warehouse has them, ``fsu.data_quality`` (the window's twelve landing months) and
``fsu.link_quality`` (month M's link rates per mode and log month) are copied too, for the
dashboard's data-quality page (aggregates only).

File modes: snapshots hold names and addresses, so the snapshot files, their temporary files
and ``latest`` are written mode ``0600`` (``FSU_FILE_MODE``, e.g. ``0640`` for a group the
dashboard's account is in), and a snapshot folder created here gets ``0700`` (``0750``); see
:mod:`fsu_dagster.filemodes`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb

from fsu_dagster.filemodes import file_mode, make_private_dir, private_umask, restrict
from fsu_dagster.warehouse import WAREHOUSE_ALIAS, connect, utc_now

__all__ = [
    "COHORT_TABLES",
    "SNAPSHOT_TABLES",
    "SOURCE_TABLES",
    "SnapshotError",
    "latest_snapshot",
    "list_snapshots",
    "parse_month",
    "publish_snapshot",
    "snapshot_path",
]

#: Tables keyed by person that hold the whole universe in the warehouse: copied for cohort members only.
COHORT_TABLES = ("person_metrics", "person_totals", "person_harm", "person_home_lpa")

#: Every warehouse table the dashboard reads (copied for month M).
SNAPSHOT_TABLES = (
    "cohort",
    *COHORT_TABLES,
    "person_themes",
    "person_priority_crimes",
    "score_breakdown",
    "monthly_trend",
    "cohort_changes",
    "home_addresses",
    "investigation_list",
    "investigation_lpas",
    "investigation_roles",
    "investigation_outcomes",
    "person_relationships",
    "custody_summary",
    "custody_records",
    "cw_summary",
    "cw_log_list",
    "cw_resource_groups",
    "cw_incident_types",
    "cw_response_grades",
    "cw_caller_relationship_counts",
    "missing_summary",
    "missing_episodes",
    "households",
)

#: Warehouse tables read to build the snapshot's own tables (not copied as they are).
SOURCE_TABLES = ("identity_variants", "cw_person_links", "cw_logs")

#: The identity fields the details page shows (method 5.1.4: names, DOB, PNC ID).
SHOWN_FIELDS = ("forename", "surname", "dob", "pnc_id")

LATEST = "latest"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FILE = re.compile(r"^fsu-(\d{4}-\d{2})\.duckdb$")


class SnapshotError(RuntimeError):
    """The warehouse cannot produce a snapshot for that month (missing table or no cohort)."""


def parse_month(month: str | dt.date) -> dt.date:
    """``YYYY-MM`` (or ``YYYY-MM-01``, or a date) -> the first day of that month."""
    if isinstance(month, dt.date):
        return month.replace(day=1)
    text = str(month).strip()
    if len(text) == 10 and text.endswith("-01"):
        text = text[:7]
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def snapshot_path(snapshot_dir: str | Path, month: str | dt.date) -> Path:
    return Path(snapshot_dir) / f"fsu-{parse_month(month):%Y-%m}.duckdb"


def list_snapshots(snapshot_dir: str | Path) -> dict[dt.date, Path]:
    """Published snapshots in ``snapshot_dir``, month -> file, oldest first (temporary files ignored)."""
    folder = Path(snapshot_dir)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        m = _FILE.match(path.name)
        if m and path.is_file():
            found[parse_month(m.group(1))] = path
    return dict(sorted(found.items()))


def latest_snapshot(snapshot_dir: str | Path) -> Path | None:
    """The file named by ``latest``; else the newest published file; None when there is none."""
    folder = Path(snapshot_dir)
    pointer = folder / LATEST
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if _FILE.match(name) and (folder / name).is_file():
            return folder / name
    snapshots = list_snapshots(folder)
    return snapshots[max(snapshots)] if snapshots else None


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    mode = file_mode()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _identity_tables(conn: duckdb.DuckDBPyConnection, month: dt.date) -> None:
    """``identity_variants``, ``cw_identity_variants`` and ``person_names`` for month ``month``'s cohort."""
    src = f"{WAREHOUSE_ALIAS}.fsu"
    cohort = f"(SELECT person_id FROM {src}.cohort WHERE month = $m)"
    params = {"m": month, "fields": list(SHOWN_FIELDS)}
    conn.execute(
        f"CREATE TABLE snap.fsu.identity_variants AS SELECT * FROM {src}.identity_variants "
        f"WHERE month = $m AND list_contains($fields, field) AND person_id IN {cohort}",
        params,
    )
    # One row per (linked mention, field): the mention's own details (originator_* or subject_*).
    values = ", ".join(
        f"('{f}', CASE WHEN k.role = 'originator' THEN CAST(g.originator_{f} AS VARCHAR) "
        f"ELSE CAST(g.subject_{f} AS VARCHAR) END)"
        for f in SHOWN_FIELDS
    )
    conn.execute(
        f"""
        CREATE TABLE snap.fsu.cw_identity_variants AS
        WITH mentions AS (
            SELECT k.person_id, k.incident_id, k.role, CAST(g.created_at AS DATE) AS seen,
                   v.field, trim(v.value) AS value
            FROM {src}.cw_person_links k
            JOIN {src}.cw_logs g ON g.month = k.month AND g.incident_id = k.incident_id
            CROSS JOIN (VALUES {values}) AS v(field, value)
            WHERE k.month = $m AND k.person_id LIKE 'CW:%' AND k.person_id IN {cohort}
        )
        SELECT $m::DATE AS month, person_id, field, value,
               count(DISTINCT (incident_id, role))::BIGINT AS mentions, min(seen) AS first_seen, max(seen) AS last_seen
        FROM mentions WHERE value IS NOT NULL AND value <> ''
        GROUP BY person_id, field, value
        """,
        {"m": month},
    )
    # Most common forename / surname / DOB per cohort member (Connect: most versions, then most months
    # seen, latest, A-Z; CW: people: most mentions, latest, A-Z).
    conn.execute(
        f"""
        CREATE TABLE snap.fsu.person_names AS
        WITH candidates AS (
            SELECT person_id, field, value, n_versions AS weight, n_months AS weight2, last_seen
            FROM snap.fsu.identity_variants
            UNION ALL
            SELECT person_id, field, value, mentions, 0, last_seen FROM snap.fsu.cw_identity_variants
        ),
        v AS (
            SELECT person_id, field, value,
                   row_number() OVER (PARTITION BY person_id, field
                                      ORDER BY weight DESC, weight2 DESC, last_seen DESC, value) AS rn
            FROM candidates WHERE field IN ('forename', 'surname', 'dob')
        )
        SELECT $m::DATE AS month, c.person_id,
               max(CASE WHEN field = 'forename' THEN value END) AS forename,
               max(CASE WHEN field = 'surname' THEN value END) AS surname,
               TRY_CAST(max(CASE WHEN field = 'dob' THEN value END) AS DATE) AS dob
        FROM {src}.cohort c
        LEFT JOIN v ON v.person_id = c.person_id AND v.rn = 1
        WHERE c.month = $m
        GROUP BY c.person_id
        """,
        {"m": month},
    )


def _copy_tables(warehouse_path: Path, target: Path, month: dt.date) -> None:
    conn = connect(str(warehouse_path), read_only=True)
    try:
        present = {
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where database_name = ? and schema_name = 'fsu'",
                [WAREHOUSE_ALIAS],
            ).fetchall()
        }
        missing = [t for t in (*SNAPSHOT_TABLES, *SOURCE_TABLES) if t not in present]
        if missing:
            raise SnapshotError(
                f"warehouse lacks table(s) {', '.join('fsu.' + t for t in missing)}; run `fsu run` first"
            )
        # count(*) always returns one row: fetchall()[0] rather than fetchone(), typed as possibly None.
        n_cohort = conn.execute("select count(*) from fsu.cohort where month = ?", [month]).fetchall()[0][0]
        if n_cohort == 0:
            raise SnapshotError(
                f"no cohort for window month {month:%Y-%m} in the warehouse; run `fsu run --month {month:%Y-%m}`"
            )
        universe = conn.execute("select count(*) from fsu.person_metrics where month = ?", [month]).fetchall()[0][0]

        escaped = str(target).replace("'", "''")
        conn.execute(f"ATTACH '{escaped}' AS snap")  # under publish_snapshot's private umask
        restrict(target)
        conn.execute("CREATE SCHEMA snap.fsu")
        for table in SNAPSHOT_TABLES:
            src = f"{WAREHOUSE_ALIAS}.fsu.{table}"
            where = "month = $m"
            if table in COHORT_TABLES:
                where += f" and person_id in (select person_id from {WAREHOUSE_ALIAS}.fsu.cohort where month = $m)"
            conn.execute(f"CREATE TABLE snap.fsu.{table} AS SELECT * FROM {src} WHERE {where}", {"m": month})
        _identity_tables(conn, month)
        if "data_quality" in present:  # the window's twelve landing months (aggregates only; issue 12)
            conn.execute(
                f"CREATE TABLE snap.fsu.data_quality AS SELECT * FROM {WAREHOUSE_ALIAS}.fsu.data_quality "
                "WHERE month BETWEEN $m::DATE - INTERVAL 11 MONTH AND $m::DATE",
                {"m": month},
            )
        if "link_quality" in present:  # link rates per mode and log month, for the data-quality page (issue 13)
            conn.execute(
                f"CREATE TABLE snap.fsu.link_quality AS SELECT * FROM {WAREHOUSE_ALIAS}.fsu.link_quality "
                "WHERE month = $m",
                {"m": month},
            )
        conn.execute(
            "CREATE TABLE snap.fsu.snapshot_info AS SELECT $m::DATE AS month, $p::TIMESTAMP AS published_at, "
            "$u::BIGINT AS universe_size, $c::BIGINT AS cohort_size",
            {"m": month, "p": utc_now(), "u": universe, "c": n_cohort},
        )
        conn.execute("CHECKPOINT snap")
        conn.execute("DETACH snap")
    finally:
        conn.close()


def publish_snapshot(warehouse_path: str | Path, snapshot_dir: str | Path, month: str | dt.date) -> Path:
    """Copy window month ``month``'s dashboard tables into ``snapshot_dir/fsu-YYYY-MM.duckdb``; return its path.

    Written to a temporary file, then moved into place; then ``latest`` is rewritten (also
    atomically) to name the newest published month. On any failure the temporary file is removed
    and neither the previous snapshot nor ``latest`` changes.
    """
    m = parse_month(month)
    folder = make_private_dir(snapshot_dir)
    final = snapshot_path(folder, m)
    tmp = folder / f".{final.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        with private_umask():  # the file and its WAL are never readable by others, not even while written
            _copy_tables(Path(warehouse_path), tmp, m)
        restrict(tmp)
        _fsync(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    newest = max(list_snapshots(folder))
    _write_atomically(folder / LATEST, snapshot_path(folder, newest).name + "\n")
    return final
