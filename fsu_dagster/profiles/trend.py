"""Monthly trend per person (beyond the method): the twelve months of the window, month by
month, for each kind of interaction behind the nine totals, plus missing reports.

One row per (cohort member, calendar month of the window, interaction), zero-filled, so a
dashboard can draw a line without gaps. An event's month is its landing month (the
``month`` column the source frames carry: the contract files a record by its anchor in
Europe/London time); a frame without it falls back to the anchor's local month.

================  =========================================  ====================================
interaction       events                                     hours
================  =========================================  ====================================
SUSPECT           distinct investigations (recorded that     0
OFFENDER          month) with that role
VICTIM
CUSTODY           custody records (arrival that month)       custody hours, clipped as in Stage 1
ORIGINATOR        logs (created that month) as originator    the logs' resource hours
SUBJECT           logs as subject                            the logs' resource hours
MISSING           missing reports (reported that month)      hours missing (found episodes)
================  =========================================  ====================================
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.frames import hours_between
from fsu_dagster.profiles._common import event_month, in_cohort, local_month, resolve_month, with_month
from fsu_dagster.window import window_months

__all__ = ["INTERACTIONS", "monthly_trend"]

INTERACTIONS = ("SUSPECT", "OFFENDER", "VICTIM", "CUSTODY", "ORIGINATOR", "SUBJECT", "MISSING")

_SCHEMA = {
    "person_id": pl.String,
    "activity_month": pl.Date,
    "interaction": pl.String,
    "events": pl.Int64,
    "hours": pl.Float64,
}


def _frame(df: pl.DataFrame) -> pl.DataFrame:
    return df.select([pl.col(c).cast(t) for c, t in _SCHEMA.items()])


def monthly_trend(
    cohort: pl.DataFrame,
    *,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    connect_custody: pl.DataFrame,
    links: pl.DataFrame,
    cw_logs: pl.DataFrame,
    missing_episodes: pl.DataFrame | None = None,
    cap_hours: float,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """Long: ``month, person_id, activity_month, interaction, events, hours``.

    ``missing_episodes`` is the output of ``profiles.missing.missing_episodes`` (its
    ``reported_at`` places a report in a month); without it MISSING rows are zeros.
    """
    m = resolve_month(cohort, month)
    months = window_months(m)
    parts: list[pl.DataFrame] = []

    # Investigations by role.
    roles = in_cohort(connect_person_roles, cohort).select(
        pl.col("person_id").cast(pl.String),
        pl.col("investigation_id").cast(pl.String),
        pl.col("role").cast(pl.String).str.to_uppercase(),
    )
    inv = (
        connect_investigations.with_columns(pl.col("investigation_id").cast(pl.String))
        .join(roles.select("investigation_id").unique(), on="investigation_id", how="semi")
        .select("investigation_id", event_month(connect_investigations, "recorded_at").alias("activity_month"))
        .unique("investigation_id", keep="last")
    )
    parts.append(
        _frame(
            roles.filter(pl.col("role").is_in(["SUSPECT", "OFFENDER", "VICTIM"]))
            .join(inv, on="investigation_id", how="inner")
            .group_by("person_id", "activity_month", pl.col("role").alias("interaction"))
            .agg(pl.col("investigation_id").n_unique().alias("events"), pl.lit(0.0).alias("hours"))
        )
    )

    # Custody.
    cus = in_cohort(connect_custody, cohort)
    parts.append(
        _frame(
            cus.with_columns(
                event_month(cus, "arrival_at").alias("activity_month"),
                hours_between(pl.col("arrival_at"), pl.col("released_at"))
                .clip(0.0, cap_hours)
                .fill_null(0.0)
                .alias("h"),
            )
            .group_by("person_id", "activity_month")
            .agg(pl.lit("CUSTODY").alias("interaction"), pl.len().alias("events"), pl.col("h").sum().alias("hours"))
        )
    )

    # ControlWorks, per role.
    lk = in_cohort(
        links.select(
            pl.col("incident_id").cast(pl.String),
            pl.col("role").cast(pl.String).str.to_uppercase(),
            pl.col("person_id").cast(pl.String),
        ),
        cohort,
    ).unique()
    logs = (
        cw_logs.with_columns(pl.col("incident_id").cast(pl.String))
        .join(lk.select("incident_id").unique(), on="incident_id", how="semi")
        .select(
            "incident_id",
            event_month(cw_logs, "created_at").alias("activity_month"),
            pl.col("hours").cast(pl.Float64).fill_null(0.0),
        )
        .unique("incident_id", keep="last")
    )
    parts.append(
        _frame(
            lk.join(logs, on="incident_id", how="inner")
            .group_by("person_id", "activity_month", pl.col("role").alias("interaction"))
            .agg(pl.col("incident_id").n_unique().alias("events"), pl.col("hours").sum().alias("hours"))
        )
    )

    # Missing reports.
    if missing_episodes is not None and missing_episodes.height:
        parts.append(
            _frame(
                in_cohort(missing_episodes, cohort)
                .with_columns(local_month(pl.col("reported_at")).alias("activity_month"))
                .group_by("person_id", "activity_month")
                .agg(
                    pl.lit("MISSING").alias("interaction"),
                    pl.col("report_id").n_unique().alias("events"),
                    pl.col("hours_missing").fill_null(0.0).sum().alias("hours"),
                )
            )
        )

    events = pl.concat(parts)
    grid = (
        cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .join(pl.DataFrame({"activity_month": months}, schema={"activity_month": pl.Date}), how="cross")
        .join(pl.DataFrame({"interaction": list(INTERACTIONS)}), how="cross")
    )
    out = (
        grid.join(events, on=["person_id", "activity_month", "interaction"], how="left")
        .with_columns(pl.col("events").fill_null(0), pl.col("hours").fill_null(0.0))
        .sort(
            "person_id",
            "activity_month",
            pl.col("interaction").replace_strict({k: i for i, k in enumerate(INTERACTIONS)}, return_dtype=pl.Int64),
        )
    )
    return with_month(out, m)
