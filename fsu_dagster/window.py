"""The twelve-month window: which landing months a rolling partition needs, and which are missing.

Pure functions (no Dagster). The source assets record every landing month they load in
``fsu.landing_manifest`` (one row per extract and month, ``file`` null when the month had no
file for that extract). A window month counts as present when its manifest has a row for
every extract the hop reads and at least one extract of that month came from a real file
(a landing folder with no files at all is a missing month, not twelve empty extracts).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

WINDOW_MONTHS = 12


def window_months(month: dt.date, n: int = WINDOW_MONTHS) -> list[dt.date]:
    """The ``n`` landing months ending ``month`` (first day of each), oldest first."""
    y, m = month.year, month.month
    out = []
    for _ in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def missing_window_months(
    manifest: pl.DataFrame, month: dt.date, extracts: tuple[str, ...], n: int = WINDOW_MONTHS
) -> dict[str, list[str]]:
    """Map each missing landing month (``YYYY-MM``) of the window ending ``month`` to why it is missing.

    ``manifest`` needs columns ``extract, month, file``.
    """
    wanted = window_months(month, n)
    in_window = manifest.filter(pl.col("month").is_in(wanted))
    missing: dict[str, list[str]] = {}
    for m in wanted:
        rows = in_window.filter(pl.col("month") == m)
        loaded = set(rows["extract"].to_list())
        not_loaded = [e for e in extracts if e not in loaded]
        key = m.strftime("%Y-%m")
        if not_loaded:
            missing[key] = [f"{e} not loaded" for e in not_loaded]
        elif rows.filter(pl.col("file").is_not_null()).height == 0:
            missing[key] = ["no landing files for this month"]
    return missing
