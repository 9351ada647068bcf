"""Low-level frame helpers shared by Stage 1, identity and the profiles (no package imports).

* exact durations: ``micros_between`` (whole microseconds) and ``micros_to_hours``
  (divided once, correctly rounded), so every sum of hours is exact and independent of
  row order;
* ``with_window_month``: put the window month M first (a landing ``month`` column
  becomes ``landing_month``);
* the ControlWorks link frame's columns and roles, which identity produces and Stage 1
  consumes.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.contract import MONTH_COLUMN

__all__ = [
    "CW_LINK_COLUMNS",
    "CW_LINK_KEY_COLUMNS",
    "CW_ROLES",
    "US_PER_HOUR",
    "hours_between",
    "hours_to_micros",
    "micros_between",
    "micros_to_hours",
    "true_divide",
    "with_window_month",
]

#: Microseconds per hour: durations are exact integer microseconds divided once.
US_PER_HOUR = 3_600_000_000
#: ControlWorks roles, in the order the method lists them.
CW_ROLES = ("originator", "subject")
#: Columns of the ControlWorks person link frame (``cw_person_links``).
CW_LINK_COLUMNS = ("incident_id", "role", "person_id", "score", "reason")
#: Who is on which log in which role: the projection of ``cw_person_links`` the later hops load
#: (one projection, so the run's load cache serves every hop that reads it from one load).
CW_LINK_KEY_COLUMNS = CW_LINK_COLUMNS[:3]


def micros_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """``end − start`` in whole microseconds (Int64), null when either is null.

    Durations are added up as integers and turned into hours once, so every sum of
    hours is exact and independent of row order (bit-for-bit reproducible).
    """
    return (end - start).dt.total_microseconds().cast(pl.Int64)


def true_divide(expr: pl.Expr, divisor: float) -> pl.Expr:
    """``expr / divisor`` as Float64, correctly rounded per element.

    polars divides a float column by a constant by multiplying with its reciprocal,
    which can be one unit in the last place off the true quotient; numpy divides.
    Use only in a selection context (not inside ``group_by().agg``).
    """
    d = float(divisor)

    def _div(s: pl.Series) -> pl.Series:
        out = pl.Series(s.name, s.cast(pl.Float64).to_numpy() / d, dtype=pl.Float64)
        return out.fill_nan(None) if s.null_count() else out

    return expr.cast(pl.Float64).map_batches(_div, return_dtype=pl.Float64)


def micros_to_hours(expr: pl.Expr) -> pl.Expr:
    """Whole microseconds -> hours (Float64, correctly rounded)."""
    return true_divide(expr, US_PER_HOUR)


def hours_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Hours from ``start`` to ``end`` by the exact rule: whole microseconds, divided once
    (Float64; null when either is null). Selection context only (see ``true_divide``)."""
    return micros_to_hours(micros_between(start, end))


def hours_to_micros(expr: pl.Expr) -> pl.Expr:
    """Back from hours to whole microseconds (exact for hours made by ``micros_to_hours``)."""
    return (expr.cast(pl.Float64) * US_PER_HOUR).round().cast(pl.Int64)


def with_window_month(df: pl.DataFrame, month: dt.date | None) -> pl.DataFrame:
    """Put ``month`` (the window month M) first; a landing ``month`` column becomes ``landing_month``."""
    if month is None:
        return df
    if MONTH_COLUMN in df.columns:
        df = df.rename({MONTH_COLUMN: "landing_month"})
    return df.select(pl.lit(month, dtype=pl.Date).alias(MONTH_COLUMN), pl.all())
