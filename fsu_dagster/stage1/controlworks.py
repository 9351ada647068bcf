"""ControlWorks logs of the window: pre-planned exclusion and resource hours.

The people on a log are linked by ``fsu_dagster.identity`` (``cw_person_links``);
Stage 1 receives those links as input.

Data contract section 3, "Resource hours": per resource row, start = the earliest
non-null of ``assigned_at``, ``deployed_at``, ``arrived_at``; end = ``released_at``;
hours = max(end − start, 0), and 0 where start or end is null. A log's hours are the sum
over its resource rows (every row counts, 0 when it has none). Pre-planned logs
(``is_preplanned``) are excluded from everything.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.frames import micros_between, micros_to_hours, with_window_month

__all__ = ["controlworks_logs", "resource_hours"]


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


def controlworks_logs(incidents: pl.DataFrame, resources: pl.DataFrame, month: dt.date | None = None) -> pl.DataFrame:
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
    out = with_window_month(out, month)
    ids = out.get_column("incident_id")
    # The window's logs usually arrive in incident order already: checking is a pass over one
    # column, sorting gathers all of them.
    return out if ids.null_count() == 0 and ids.is_sorted() else out.sort("incident_id")
