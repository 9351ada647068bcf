"""The nine Stage 1 totals per ``person_id`` over the window (data contract section 3).

| # | column | function |
|---|---|---|
| 1–3 | suspect_total, offender_total, victim_total | ``investigation_role_totals`` |
| 4–5 | custody_total, custody_hours | ``custody_totals`` |
| 6–7 | originator_calls, originator_hours (Originator Resource Duration) | ``originator_totals`` |
| 8–9 | subject_calls, subject_hours (Subject Resource Duration) | ``subject_totals`` |

``person_totals`` puts them together over the universe: every person with at least one
non-zero total.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.frames import US_PER_HOUR, hours_to_micros, micros_between, micros_to_hours, with_window_month
from fsu_dagster.stage1._common import upper_trim

__all__ = [
    "COUNT_TOTALS",
    "HOURS_TOTALS",
    "TOTALS",
    "custody_record_hours",
    "custody_record_micros",
    "custody_totals",
    "cw_role_totals",
    "investigation_role_totals",
    "originator_resource_duration",
    "originator_totals",
    "person_totals",
    "subject_resource_duration",
    "subject_totals",
]

#: The nine totals in the contract's order.
TOTALS = (
    "suspect_total",
    "offender_total",
    "victim_total",
    "custody_total",
    "custody_hours",
    "originator_calls",
    "originator_hours",
    "subject_calls",
    "subject_hours",
)
HOURS_TOTALS = ("custody_hours", "originator_hours", "subject_hours")
COUNT_TOTALS = tuple(t for t in TOTALS if t not in HOURS_TOTALS)

#: Connect role -> total it feeds.
ROLE_TOTALS = {"SUSPECT": "suspect_total", "OFFENDER": "offender_total", "VICTIM": "victim_total"}


def investigation_role_totals(person_roles: pl.DataFrame) -> pl.DataFrame:
    """Totals 1–3: distinct investigations per person with a SUSPECT / OFFENDER / VICTIM role.

    Duplicate role rows (the same person and role twice on one investigation) count once;
    crimes and non-crimes both count. Returns ``person_id`` + the three totals (Int64),
    for persons with at least one of these roles.
    """
    roles = person_roles.select(
        pl.col("person_id").cast(pl.String),
        pl.col("investigation_id").cast(pl.String),
        upper_trim("role").alias("role"),
    ).filter(pl.col("person_id").is_not_null() & pl.col("investigation_id").is_not_null())
    return (
        roles.group_by("person_id")
        .agg(
            pl.col("investigation_id").filter(pl.col("role") == role).n_unique().cast(pl.Int64).alias(total)
            for role, total in ROLE_TOTALS.items()
        )
        .filter(pl.any_horizontal(pl.col(t) > 0 for t in ROLE_TOTALS.values()))
        .sort("person_id")
    )


def custody_record_micros(cap_hours: float) -> pl.Expr:
    """Expression: one record's ``released_at − arrival_at`` in whole microseconds, clipped to
    [0, cap]; a null release counts 0."""
    cap = round(float(cap_hours) * US_PER_HOUR)
    return micros_between(pl.col("arrival_at"), pl.col("released_at")).clip(0, cap).fill_null(0)


def custody_record_hours(cap_hours: float) -> pl.Expr:
    """Expression: one record's ``released_at − arrival_at`` in hours clipped to [0, cap]; null release = 0."""
    return micros_to_hours(custody_record_micros(cap_hours))


def custody_totals(custody: pl.DataFrame, cap_hours: float) -> pl.DataFrame:
    """Totals 4–5: custody records per person and Σ of each record's hours clipped to [0, cap].

    The clip is applied to each record *before* summing (negative durations are data entry
    errors and count 0; a record over the cap counts the cap). A record without a release
    time counts 0 hours. Returns ``person_id, custody_total`` (Int64), ``custody_hours``.
    """
    return (
        custody.filter(pl.col("person_id").is_not_null())
        .with_columns(custody_record_micros(cap_hours).alias("_us"))
        .group_by(pl.col("person_id").cast(pl.String))
        .agg(pl.len().cast(pl.Int64).alias("custody_total"), pl.col("_us").sum())
        .select("person_id", "custody_total", micros_to_hours(pl.col("_us")).alias("custody_hours"))
        .sort("person_id")
    )


def cw_role_totals(cw_links: pl.DataFrame, cw_logs: pl.DataFrame, role: str) -> pl.DataFrame:
    """Distinct non-pre-planned logs linked to each person in ``role`` and Σ of their hours.

    A log counts once per person even when the link frame repeats it; only logs present
    in ``cw_logs`` (non-pre-planned, in the window) count. Returns
    ``person_id, <role>_calls`` (Int64), ``<role>_hours``.
    """
    return _role_totals(cw_links, _log_micros(cw_logs), role)


def _log_micros(cw_logs: pl.DataFrame) -> pl.DataFrame:
    """``incident_id, _us``: each non-pre-planned log's hours in whole microseconds (the role totals'
    input; the same for both roles, so :func:`person_totals` makes it once)."""
    if "is_preplanned" in cw_logs.columns:  # cw_logs has none; guard against raw incidents
        cw_logs = cw_logs.filter(~pl.col("is_preplanned").fill_null(False))
    # Hours are summed as whole microseconds (exact, order-independent), then converted once.
    return (
        cw_logs.select(pl.col("incident_id").cast(pl.String), hours_to_micros(pl.col("hours")).alias("_us"))
        .group_by("incident_id")
        .agg(pl.col("_us").max())
    )


def _role_totals(cw_links: pl.DataFrame, log_micros: pl.DataFrame, role: str) -> pl.DataFrame:
    """:func:`cw_role_totals` from the logs' microseconds (:func:`_log_micros`)."""
    pairs = (
        cw_links.filter((pl.col("role") == role) & pl.col("person_id").is_not_null())
        .select(pl.col("incident_id").cast(pl.String), pl.col("person_id").cast(pl.String))
        .unique()
    )
    return (
        pairs.join(log_micros, on="incident_id", how="inner")
        .group_by("person_id")
        .agg(pl.len().cast(pl.Int64).alias(f"{role}_calls"), pl.col("_us").sum())
        .select("person_id", f"{role}_calls", micros_to_hours(pl.col("_us")).alias(f"{role}_hours"))
        .sort("person_id")
    )


def originator_totals(cw_links: pl.DataFrame, cw_logs: pl.DataFrame) -> pl.DataFrame:
    """Totals 6–7: Originator Calls and Originator Resource Duration (``originator_hours``)."""
    return cw_role_totals(cw_links, cw_logs, "originator")


def subject_totals(cw_links: pl.DataFrame, cw_logs: pl.DataFrame) -> pl.DataFrame:
    """Totals 8–9: Subject Calls and Subject Resource Duration (``subject_hours``)."""
    return cw_role_totals(cw_links, cw_logs, "subject")


#: The method's names for totals 7 and 9.
originator_resource_duration = originator_totals
subject_resource_duration = subject_totals


def person_totals(
    person_roles: pl.DataFrame,
    custody: pl.DataFrame,
    cw_links: pl.DataFrame,
    cw_logs: pl.DataFrame,
    month: dt.date | None = None,
    *,
    cap_hours: float,
) -> pl.DataFrame:
    """``month, person_id`` + the nine totals, one row per person of the universe.

    Inputs are the window's ``connect_person_roles`` and ``connect_custody``, the
    ControlWorks link frame and ``cw_logs``. The universe is every person with at least
    one non-zero total; absent totals are 0. Counts are Int64, hours Float64.
    """
    log_micros = _log_micros(cw_logs)
    parts = [
        investigation_role_totals(person_roles),
        custody_totals(custody, cap_hours),
        _role_totals(cw_links, log_micros, "originator"),  # = originator_totals(cw_links, cw_logs)
        _role_totals(cw_links, log_micros, "subject"),  # = subject_totals(cw_links, cw_logs)
    ]
    universe = pl.concat([p.select("person_id") for p in parts]).unique()
    out = universe
    for p in parts:
        out = out.join(p, on="person_id", how="left")
    out = (
        out.with_columns(
            *(pl.col(t).fill_null(0).cast(pl.Int64) for t in COUNT_TOTALS),
            *(pl.col(t).fill_null(0.0).cast(pl.Float64) for t in HOURS_TOTALS),
        )
        .filter(pl.any_horizontal(pl.col(t) != 0 for t in TOTALS))
        .select("person_id", *TOTALS)
        .sort("person_id")
    )
    return with_window_month(out, month)
