"""The identity index: every version of every Connect person seen in the window.

Data contract section 3: the union of ``connect_persons`` over the window, all
versions kept. The same version repeats in many monthly files, so exact duplicates
are collapsed; ``first_seen_month`` and ``last_seen_month`` say where it appeared.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.contract import CONNECT_PERSONS, MONTH_COLUMN
from fsu_dagster.frames import with_window_month

__all__ = ["VERSION_COLUMNS", "identity_index"]

VERSION_COLUMNS = CONNECT_PERSONS.column_names


def identity_index(connect_persons: pl.DataFrame, month: dt.date | None = None) -> pl.DataFrame:
    """Distinct person versions over the window (``month`` = M goes first when given)."""
    cols = list(VERSION_COLUMNS)
    if MONTH_COLUMN in connect_persons.columns:
        seen = pl.col(MONTH_COLUMN).cast(pl.Date)
    else:
        seen = pl.lit(None, dtype=pl.Date)
    out = (
        connect_persons.filter(pl.col("person_id").is_not_null())
        .with_columns(seen.alias("_seen"))
        .group_by(cols)
        .agg(pl.col("_seen").min().alias("first_seen_month"), pl.col("_seen").max().alias("last_seen_month"))
        .sort(cols, nulls_last=True)
    )
    return with_window_month(out, month)
