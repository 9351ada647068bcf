"""Custody (method 5.1.4 step 2): records, hours, outcomes, file types and arrests per person.

A record's hours follow Stage 1 exactly (data contract section 3, total 5):
``released_at - arrival_at`` in hours, clipped to ``[0, cap]``; a record with no release
time counts 0 hours. An *arrest* is a custody record with an ``arrested_at`` time.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.profiles._common import NOT_RECORDED, in_cohort, label, resolve_month, with_month
from fsu_dagster.stage1.totals import custody_record_hours

__all__ = ["custody_records", "custody_summary", "custody_outcomes", "custody_file_types", "custody_arrest_reasons"]


def _records(cohort: pl.DataFrame, connect_custody: pl.DataFrame, cap_hours: float) -> pl.DataFrame:
    cus = in_cohort(connect_custody, cohort)
    return cus.with_columns(pl.col("person_id").cast(pl.String), custody_record_hours(cap_hours).alias("hours"))


def custody_records(
    cohort: pl.DataFrame, connect_custody: pl.DataFrame, *, cap_hours: float, month: dt.date | None = None
) -> pl.DataFrame:
    """One row per custody record of a cohort member (the details page's custody and arrests lists).

    Columns: ``month, person_id, custody_id, investigation_id, arrested_at, arrest_reason,
    arrival_at, released_at, hours`` (clipped as in Stage 1), ``custody_outcome, file_type,
    custody_suite``. Sorted by person and arrival time.
    """
    m = resolve_month(cohort, month)
    rec = _records(cohort, connect_custody, cap_hours).select(
        "person_id",
        "custody_id",
        "investigation_id",
        "arrested_at",
        "arrest_reason",
        "arrival_at",
        "released_at",
        "hours",
        "custody_outcome",
        "file_type",
        "custody_suite",
    )
    return with_month(rec.sort("person_id", "arrival_at", "custody_id"), m)


def custody_summary(
    cohort: pl.DataFrame, connect_custody: pl.DataFrame, *, cap_hours: float, month: dt.date | None = None
) -> pl.DataFrame:
    """One row per cohort member (zeros when no custody).

    Columns: ``month, person_id, custody_records`` (Int64), ``custody_hours`` (Float64, the
    Stage 1 total), ``arrests`` (records with an arrest time), ``open_records`` (no release
    time yet), ``first_arrival_at, last_arrival_at``.
    """
    m = resolve_month(cohort, month)
    rec = _records(cohort, connect_custody, cap_hours)
    agg = rec.group_by("person_id").agg(
        pl.len().cast(pl.Int64).alias("custody_records"),
        pl.col("hours").sum().alias("custody_hours"),
        pl.col("arrested_at").is_not_null().sum().cast(pl.Int64).alias("arrests"),
        pl.col("released_at").is_null().sum().cast(pl.Int64).alias("open_records"),
        pl.col("arrival_at").min().alias("first_arrival_at"),
        pl.col("arrival_at").max().alias("last_arrival_at"),
    )
    out = (
        cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .join(agg, on="person_id", how="left")
        .with_columns(
            pl.col("custody_records", "arrests", "open_records").fill_null(0),
            pl.col("custody_hours").fill_null(0.0),
        )
        .sort("person_id")
    )
    return with_month(out, m)


def _count_by(cohort, connect_custody, cap_hours, col, month) -> pl.DataFrame:
    m = resolve_month(cohort, month)
    rec = _records(cohort, connect_custody, cap_hours).with_columns(label(col, NOT_RECORDED))
    out = (
        rec.group_by("person_id", col)
        .agg(pl.len().cast(pl.Int64).alias("records"), pl.col("hours").sum().alias("hours"))
        .sort("person_id", col)
    )
    return with_month(out, m)


def custody_outcomes(
    cohort: pl.DataFrame, connect_custody: pl.DataFrame, *, cap_hours: float, month: dt.date | None = None
) -> pl.DataFrame:
    """Long: ``month, person_id, custody_outcome, records, hours`` (null outcome = ``NOT RECORDED``)."""
    return _count_by(cohort, connect_custody, cap_hours, "custody_outcome", month)


def custody_file_types(
    cohort: pl.DataFrame, connect_custody: pl.DataFrame, *, cap_hours: float, month: dt.date | None = None
) -> pl.DataFrame:
    """Long: ``month, person_id, file_type, records, hours`` (null file type = ``NOT RECORDED``)."""
    return _count_by(cohort, connect_custody, cap_hours, "file_type", month)


def custody_arrest_reasons(
    cohort: pl.DataFrame, connect_custody: pl.DataFrame, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Arrests by reason. Long: ``month, person_id, arrest_reason`` (null = ``NOT RECORDED``),
    ``arrests`` (custody records with an arrest time), ``first_arrested_at, last_arrested_at``."""
    m = resolve_month(cohort, month)
    rec = in_cohort(connect_custody, cohort).filter(pl.col("arrested_at").is_not_null())
    out = (
        rec.with_columns(pl.col("person_id").cast(pl.String), label("arrest_reason"))
        .group_by("person_id", "arrest_reason")
        .agg(
            pl.len().cast(pl.Int64).alias("arrests"),
            pl.col("arrested_at").min().alias("first_arrested_at"),
            pl.col("arrested_at").max().alias("last_arrested_at"),
        )
        .sort("person_id", "arrest_reason")
    )
    return with_month(out, m)
