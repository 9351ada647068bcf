"""The twelve-month window: which landing months a rolling partition needs, and which are missing.

Pure functions (no Dagster). ``window_months`` is the one month-list rule (the sources, the
profiles and the runner use it). The source assets record every landing month they load in
``fsu.landing_manifest`` (one row per extract and month, ``file`` null when the month had no
file for that extract). A window month counts as present when its manifest has a row for
every extract the hop reads and at least one extract of that month came from a real file
(a landing folder with no files at all is a missing month, not twelve empty extracts).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

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


def months_from(start: dt.date, end: dt.date) -> list[dt.date]:
    """The months (first day of each) that begin in ``[month of start, end)``, oldest first."""
    first = dt.date(start.year, start.month, 1)
    if end <= first:
        return []
    last = end - dt.timedelta(days=1)
    n = (last.year - first.year) * 12 + last.month - first.month + 1
    return window_months(dt.date(last.year, last.month, 1), n)


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


def latest_versions(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Resolve records that landed in more than one month of the window.

    ``frames`` maps extract names to window frames carrying their landing ``month``. For an
    extract with a primary key, only the version from the latest landing month is kept; for a
    child extract (resources, roles, relationships) whose parent is in ``frames``, the child rows
    that landed with a superseded parent version are dropped too (they were re-sent with the
    newer one). Child rows whose parent is not in the window are kept. Returns the frames and
    the number of rows superseded per extract (aggregates only).
    """
    from fsu_dagster.contract import EXTRACTS, MONTH_COLUMN

    out = dict(frames)
    superseded: dict[str, int] = {}
    stale: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        extract = EXTRACTS.get(name)
        if extract is None or extract.primary_key is None or MONTH_COLUMN not in frame.columns:
            continue
        key = extract.primary_key
        keys = frame.get_column(key)
        if keys.null_count() == 0 and keys.n_unique() == frame.height:
            # Every key once (a window with no record re-sent, the usual case): each row is its
            # key's latest version and nothing is superseded, so the frame and its children stay
            # as they are, without the joins below (which copy every column of the window).
            continue
        latest = frame.group_by(key).agg(pl.col(MONTH_COLUMN).max())
        out[name] = frame.join(latest, on=[key, MONTH_COLUMN], how="semi")
        stale[name] = frame.select(key, MONTH_COLUMN).join(latest, on=[key, MONTH_COLUMN], how="anti").unique()
        superseded[name] = frame.height - out[name].height
    for name, frame in frames.items():
        extract = EXTRACTS.get(name)
        if extract is None or extract.parent not in stale or MONTH_COLUMN not in frame.columns:
            continue
        parent_key = cast(str, EXTRACTS[extract.parent].primary_key)  # in `stale`, so it has a primary key
        out[name] = frame.join(stale[extract.parent], on=[parent_key, MONTH_COLUMN], how="anti")
        superseded[name] = frame.height - out[name].height
    return out, {k: v for k, v in superseded.items() if v}
