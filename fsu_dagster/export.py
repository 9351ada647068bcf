"""Exports of a published month for forces that keep Qlik or Power BI: ``fsu export``.

The snapshot's tables, one CSV or Parquet file each (mode 0600), and a line in the dashboard's
audit log per export. Kept apart from ``publish`` so that publishing never depends on the
dashboard package (which reads what ``publish`` writes).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from fsu_dagster.publish import SnapshotError, parse_month, snapshot_path


def _write_private(path: Path, frame, fmt: str) -> None:
    """Write ``frame`` to ``path`` as CSV or Parquet, readable by its owner only (mode 0600)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            if fmt == "csv":
                frame.write_csv(fh)
            else:
                frame.write_parquet(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_snapshot(
    snapshot_dir: str | Path,
    month: str | dt.date,
    fmt: str,
    out: str | Path,
    *,
    user: str,
    audit_file: str | Path,
) -> dict[str, int]:
    """Write every table of month ``month``'s published snapshot to ``out/fsu-YYYY-MM/<table>.<fmt>``.

    For forces that keep Qlik or Power BI: the same tables the dashboard reads (``fsu.*`` of the
    snapshot, including ``person_names``), one file each, mode 0600. Every export is one line in
    the dashboard's audit log (``event: export``; who, when, which month, format, folder, tables,
    rows). Returns table -> rows written. Raises :class:`SnapshotError` when the month is not
    published.
    """
    import duckdb

    from fsu_dagster.dashboard.audit import AuditLog

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    m = parse_month(month)
    source = snapshot_path(snapshot_dir, m)
    if not source.is_file():
        raise SnapshotError(
            f"window month {m:%Y-%m} is not published in {snapshot_dir}; run `fsu publish --month {m:%Y-%m}`"
        )
    folder = Path(out) / f"fsu-{m:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: dict[str, int] = {}
    conn = duckdb.connect(str(source), read_only=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where schema_name = 'fsu' order by table_name"
            ).fetchall()
        ]
        for table in tables:
            frame = conn.execute(f'select * from fsu."{table}"').pl()
            _write_private(folder / f"{table}.{fmt}", frame, fmt)
            written[table] = frame.height
    finally:
        conn.close()
    AuditLog(audit_file).write(
        user=user,
        event="export",
        path=str(folder),
        month=f"{m:%Y-%m}",
        format=fmt,
        tables=len(written),
        rows=sum(written.values()),
    )
    return written
