"""Shared helpers for the profile steps: the window month, cohort filtering, labels.

Names, phone numbers and postcodes are put in the identity layer's normal forms
(``fsu_dagster.identity.normal_forms``: one rule each, shared with linking); exact hours
follow Stage 1's rule (``fsu_dagster.frames.hours_between``); month lists come from
``fsu_dagster.window.window_months``.

Everything here is a polars expression or a small frame operation; no Dagster import.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from fsu_dagster.contract import LOCAL_TZ, MONTH_COLUMN

#: Label used for a null category (no grade, no LPA, no outcome recorded...).
NOT_RECORDED = "NOT RECORDED"


def window_month(cohort: pl.DataFrame) -> dt.date:
    """The window month M that every profile row carries (the cohort's ``month``).

    The cohort holds one month; an empty cohort has no month, and then the caller must
    say which month it is (every profile function accepts ``month=``).
    """
    months = cohort.get_column(MONTH_COLUMN).unique().drop_nulls()
    if months.len() != 1:
        raise ValueError(f"cohort must hold exactly one month, found {months.len()}")
    return months.item()


def resolve_month(cohort: pl.DataFrame, month: dt.date | None) -> dt.date:
    if month is not None:
        return month
    return window_month(cohort)


def cohort_ids(cohort: pl.DataFrame) -> pl.DataFrame:
    """The cohort's distinct ``person_id`` values as a one-column frame, for semi-joins."""
    return cohort.select(pl.col("person_id").cast(pl.String)).unique()


def in_cohort(df: pl.DataFrame, cohort: pl.DataFrame, on: str = "person_id") -> pl.DataFrame:
    """Keep the rows of ``df`` whose ``on`` column is a cohort member (a semi-join, done first)."""
    ids = cohort_ids(cohort).rename({"person_id": on})
    return df.join(ids, on=on, how="semi")


def with_month(df: pl.DataFrame, month: dt.date, first: tuple[str, ...] = ("person_id",)) -> pl.DataFrame:
    """Add ``month`` (= M) as the first column, followed by the ``first`` columns."""
    df = df.with_columns(pl.lit(month, dtype=pl.Date).alias(MONTH_COLUMN))
    lead = [MONTH_COLUMN, *first]
    return df.select(lead + [c for c in df.columns if c not in lead])


def norm_address(col: str | pl.Expr) -> pl.Expr:
    """Address key for grouping and comparing: upper case, letters and digits only."""
    e = pl.col(col) if isinstance(col, str) else col
    out = e.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)


def label(col: str, default: str = NOT_RECORDED) -> pl.Expr:
    """A category column with nulls/blank shown as ``default`` and values trimmed, upper-cased."""
    e = pl.col(col).cast(pl.String).str.strip_chars().str.to_uppercase()
    return pl.when(e.is_null() | (e == "")).then(pl.lit(default)).otherwise(e).alias(col)


def event_month(df: pl.DataFrame, ts_col: str) -> pl.Expr:
    """The calendar month an event belongs to: its anchor timestamp's Europe/London month,
    which is how the contract files a record into a landing month. (A frame's ``month``
    column is not used: in Stage 1 outputs it is the window month M, not the landing month.)"""
    return local_month(pl.col(ts_col))


def local_month(ts: pl.Expr) -> pl.Expr:
    """First day of the Europe/London calendar month of a naive-UTC timestamp."""
    return ts.dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ).dt.date().dt.truncate("1mo")


def regex_escape(text: str) -> str:
    """Escape regex metacharacters only (safe for polars' Rust regex engine)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def empty_like(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def ensure_columns(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast/select ``df`` to exactly ``schema`` (column order and dtypes)."""
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])
