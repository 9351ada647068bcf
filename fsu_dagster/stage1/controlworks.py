"""ControlWorks logs of the window: pre-planned exclusion, resource hours, and people to link.

Data contract section 3, "Resource hours": per resource row, start = the earliest
non-null of ``assigned_at``, ``deployed_at``, ``arrived_at``; end = ``released_at``;
hours = max(end − start, 0), and 0 where start or end is null. A log's hours are the sum
over its resource rows (every row counts, 0 when it has none). Pre-planned logs
(``is_preplanned``) are excluded from everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from fsu_dagster.identity.exact import link_exact
from fsu_dagster.stage1._common import micros_between, micros_to_hours, with_month

__all__ = [
    "LINK_COLUMNS",
    "ROLES",
    "controlworks_logs",
    "controlworks_mentions",
    "link_controlworks_people",
    "resource_hours",
]

#: ControlWorks roles, in the order the method lists them.
ROLES = ("originator", "subject")
#: Columns of the ControlWorks person link frame.
LINK_COLUMNS = ("incident_id", "role", "person_id", "score", "reason")

LinkFunction = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]


def resource_hours(resources: pl.DataFrame) -> pl.DataFrame:
    """Add ``start_at``, ``end_at``, ``duration_us`` and ``hours`` to each resource row.

    ``start_at`` = earliest non-null of assigned/deployed/arrived; ``end_at`` = released;
    ``hours`` = max(end − start, 0), 0 when either end is null (``duration_us`` is the
    same in whole microseconds, Int64).
    """
    start = pl.min_horizontal("assigned_at", "deployed_at", "arrived_at")
    micros = micros_between(start, pl.col("released_at")).clip(lower_bound=0).fill_null(0)
    return resources.with_columns(
        start.alias("start_at"),
        pl.col("released_at").alias("end_at"),
        micros.alias("duration_us"),
        micros_to_hours(micros).alias("hours"),
    )


def controlworks_logs(
    incidents: pl.DataFrame, resources: pl.DataFrame, month: dt.date | None = None
) -> pl.DataFrame:
    """The window's non-pre-planned logs with ``hours`` (Σ resource hours) and ``n_resources``.

    ``incidents`` and ``resources`` are the window's ``cw_incidents`` and ``cw_resources``.
    With ``month`` (the window month M) the result starts with ``month``; a landing
    ``month`` column on ``incidents`` is kept as ``landing_month``.
    Resource rows of pre-planned or unknown logs are ignored.
    """
    logs = incidents.filter(~pl.col("is_preplanned").fill_null(False))
    per_log = (
        resource_hours(resources)
        .group_by("incident_id")
        .agg(pl.col("duration_us").sum().alias("_us"), pl.len().cast(pl.Int64).alias("n_resources"))
    )
    out = (
        logs.join(per_log, on="incident_id", how="left")
        .with_columns(
            micros_to_hours(pl.col("_us").fill_null(0)).alias("hours"),
            pl.col("n_resources").fill_null(0).cast(pl.Int64),
        )
        .drop("_us")
    )
    return with_month(out, month).sort("incident_id")


def controlworks_mentions(cw_logs: pl.DataFrame) -> pl.DataFrame:
    """One query row per person mentioned on a log: its originator and its subject.

    Columns: ``record_id`` (Int64), ``incident_id``, ``role``, ``forename``, ``surname``,
    ``dob``, ``pnc_id``, ``phone`` (originator only). Mentions with none of these
    details are left out (nothing to link).
    """
    parts = []
    for role in ROLES:
        phone = pl.col(f"{role}_phone") if f"{role}_phone" in cw_logs.columns else pl.lit(None, dtype=pl.String)
        parts.append(
            cw_logs.select(
                pl.col("incident_id"),
                pl.lit(role).alias("role"),
                pl.col(f"{role}_forename").cast(pl.String).alias("forename"),
                pl.col(f"{role}_surname").cast(pl.String).alias("surname"),
                pl.col(f"{role}_dob").cast(pl.Date).alias("dob"),
                pl.col(f"{role}_pnc_id").cast(pl.String).alias("pnc_id"),
                phone.cast(pl.String).alias("phone"),
            )
        )
    details = ("forename", "surname", "dob", "pnc_id", "phone")
    return (
        pl.concat(parts)
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in details))
        .sort("incident_id", "role")
        .with_row_index("record_id")
        .with_columns(pl.col("record_id").cast(pl.Int64))
    )


def link_controlworks_people(
    cw_logs: pl.DataFrame, identity_index: pl.DataFrame, link: LinkFunction = link_exact
) -> pl.DataFrame:
    """Link each log's originator and subject to Connect persons.

    ``link(queries, index)`` is the linking function (exact by default; a fuzzy one has
    the same signature and returns ``record_id, person_id, score, reason``).
    Returns ``incident_id, role, person_id, score, reason``.
    """
    mentions = controlworks_mentions(cw_logs)
    links = link(mentions, identity_index)
    return (
        mentions.select("record_id", "incident_id", "role")
        .join(links.select("record_id", "person_id", "score", "reason"), on="record_id", how="inner")
        .select(
            "incident_id",
            "role",
            pl.col("person_id").cast(pl.String),
            pl.col("score").cast(pl.Float64),
            pl.col("reason").cast(pl.String),
        )
        .sort("incident_id", "role", "person_id")
    )
