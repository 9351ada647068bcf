"""Missing person episodes from Compact (method 6.1's "Missing persons" theme).

A report belongs to a person by its ``person_id`` when Compact has one; otherwise it is
linked by identity matching on forename, surname and DOB against the window's Connect
person versions (the same linker Stage 1 uses, exact mode by default). Reports that
link to nobody are not anyone's; ControlWorks-only cohort members (``CW:`` IDs) have no
Connect versions, so only a report carrying their ID could reach them.

Hours missing = ``found_at - reported_at`` (clipped at 0); a report with no ``found_at``
adds no hours and counts as ``still_missing``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.frames import hours_between
from fsu_dagster.identity.modes import LinkFunction, record_linker
from fsu_dagster.profiles._common import in_cohort, label, resolve_month, with_month

__all__ = ["missing_episodes", "missing_summary", "missing_risk_levels"]


def _link_reports(
    compact_missing: pl.DataFrame, connect_persons: pl.DataFrame, link: LinkFunction | None
) -> pl.DataFrame:
    """``report_id, person_id, linked_by`` for every report that belongs to someone."""
    rep = compact_missing.with_columns(pl.col("report_id").cast(pl.String), pl.col("person_id").cast(pl.String))
    by_id = rep.filter(pl.col("person_id").is_not_null()).select(
        "report_id", "person_id", pl.lit("PERSON_ID").alias("linked_by")
    )
    unknown = rep.filter(pl.col("person_id").is_null())
    if unknown.is_empty():
        return by_id
    link = link or record_linker("exact")
    queries = unknown.select(
        pl.col("report_id").alias("record_id"),
        pl.col("forename").cast(pl.String),
        pl.col("surname").cast(pl.String),
        pl.col("dob").cast(pl.Date),
        pl.lit(None, dtype=pl.String).alias("pnc_id"),
    )
    index = connect_persons.select(
        pl.col("person_id").cast(pl.String),
        pl.col("forename").cast(pl.String),
        pl.col("surname").cast(pl.String),
        pl.col("dob").cast(pl.Date),
        pl.col("pnc_id").cast(pl.String),
    )
    linked = link(queries, index)
    by_match = (
        linked.filter(pl.col("person_id").is_not_null())
        .select(
            pl.col("record_id").cast(pl.String).alias("report_id"),
            pl.col("person_id").cast(pl.String),
            pl.lit("IDENTITY").alias("linked_by"),
        )
        .unique("report_id", keep="first")
    )
    return pl.concat([by_id, by_match])


def missing_episodes(
    cohort: pl.DataFrame,
    compact_missing: pl.DataFrame,
    connect_persons: pl.DataFrame,
    *,
    link: LinkFunction | None = None,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """One row per missing report of a cohort member.

    ``link(queries, index) -> record_id, person_id, score, reason`` matches reports without a
    person ID (queries: ``record_id, forename, surname, dob, pnc_id``; index: the Connect
    versions ``person_id, forename, surname, dob, pnc_id``); default
    the contract's exact rule (``identity.record_linker("exact")``).

    Columns: ``month, person_id, report_id, linked_by`` (``PERSON_ID`` | ``IDENTITY``),
    ``reported_at, found_at, hours_missing`` (null while not found), ``risk_level``
    (null = ``NOT RECORDED``), ``location_lpa``.
    """
    m = resolve_month(cohort, month)
    rep = compact_missing.with_columns(pl.col("report_id").cast(pl.String)).unique("report_id", keep="last")
    owners = in_cohort(_link_reports(rep, connect_persons, link), cohort)
    out = (
        owners.join(rep.drop("person_id", "month", strict=False), on="report_id", how="inner")
        .with_columns(
            hours_between(pl.col("reported_at"), pl.col("found_at")).clip(lower_bound=0.0).alias("hours_missing"),
            label("risk_level"),
        )
        .select(
            "person_id",
            "report_id",
            "linked_by",
            "reported_at",
            "found_at",
            "hours_missing",
            "risk_level",
            "location_lpa",
        )
        .sort("person_id", "reported_at", "report_id")
    )
    return with_month(out, m)


def missing_summary(cohort: pl.DataFrame, episodes: pl.DataFrame, *, month: dt.date | None = None) -> pl.DataFrame:
    """One row per cohort member from ``missing_episodes`` output (zeros when none).

    Columns: ``month, person_id, missing_reports, still_missing, hours_missing`` (Σ over
    found episodes), ``high_risk_reports, last_reported_at``.
    """
    m = resolve_month(cohort, month)
    agg = episodes.group_by("person_id").agg(
        pl.col("report_id").n_unique().cast(pl.Int64).alias("missing_reports"),
        pl.col("found_at").is_null().sum().cast(pl.Int64).alias("still_missing"),
        pl.col("hours_missing").fill_null(0.0).sum().alias("hours_missing"),
        (pl.col("risk_level") == "HIGH").sum().cast(pl.Int64).alias("high_risk_reports"),
        pl.col("reported_at").max().alias("last_reported_at"),
    )
    out = (
        cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .join(agg, on="person_id", how="left")
        .with_columns(
            pl.col("missing_reports", "still_missing", "high_risk_reports").fill_null(0),
            pl.col("hours_missing").fill_null(0.0),
        )
        .sort("person_id")
    )
    return with_month(out, m)


def missing_risk_levels(episodes: pl.DataFrame) -> pl.DataFrame:
    """Long, from ``missing_episodes`` output: ``month, person_id, risk_level, reports, hours_missing``."""
    out = episodes.group_by("month", "person_id", "risk_level").agg(
        pl.col("report_id").n_unique().cast(pl.Int64).alias("reports"),
        pl.col("hours_missing").fill_null(0.0).sum().alias("hours_missing"),
    )
    return out.select("month", "person_id", "risk_level", "reports", "hours_missing").sort("person_id", "risk_level")
