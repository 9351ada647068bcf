"""Volume acceptances: a person says a landing month's unusual row count is right (``fsu accept-volume``).

``fsu.volume_acceptances`` holds who accepted which (extract, month), when and why; the source
assets' ``<extract>_volume`` check passes such a month with a note. No Dagster import.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path

import polars as pl

from fsu_dagster import warehouse as wh
from fsu_dagster.contract import EXTRACTS, MONTH_COLUMN
from fsu_dagster.quality import VOLUME_ACCEPTANCES_SCHEMA

TABLE = "fsu.volume_acceptances"

__all__ = ["TABLE", "record_acceptance"]


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return os.environ.get("USER") or "unknown"


def record_acceptance(
    warehouse_path: Path | str, extract: str, month: str, reason: str, *, who: str | None = None
) -> str:
    """Record the acceptance (replacing an earlier one for the same extract and month); returns a sentence."""
    if extract not in EXTRACTS:
        raise ValueError(f"unknown extract {extract!r}; expected one of {', '.join(EXTRACTS)}")
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"month {month!r}: expected YYYY-MM") from None
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a reason is required (it is recorded with the acceptance)")
    if len(reason) > 500:
        raise ValueError("the reason is limited to 500 characters")
    path = Path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    row = pl.DataFrame(
        [
            {
                "extract": extract,
                MONTH_COLUMN: first,
                "reason": reason,
                "accepted_by": who or _who(),
                "accepted_at": wh.utc_now(),
            }
        ],
        schema=VOLUME_ACCEPTANCES_SCHEMA,
    )
    with wh.connect(str(path)) as conn:
        wh.ensure_table(conn, TABLE, VOLUME_ACCEPTANCES_SCHEMA)
        wh.replace_rows_atomically(conn, [(TABLE, row, {"extract": extract, MONTH_COLUMN: first})])
    return f"Accepted the volume of {extract} {month} (recorded in {TABLE}); rerun `fsu run` to load it"
