"""Cohort changes between consecutive months (beyond the method).

Compares the cohort of month M with the cohort of M-1 (both with their ``person_metrics``):
who is new, who has left, and how each person's rank moved on each metric. Leavers are
reported (status ``LEFT``) although they are no longer cohort members, because "who
dropped off the list" is what a tasking meeting asks.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.profiles._common import resolve_month, with_month
from fsu_dagster.stage1.ranking import METRIC_CATALOGUE

__all__ = ["RANK_METRICS", "cohort_changes"]

#: metric name -> rank column of ``person_metrics`` (from the one catalogue, ``stage1.ranking``).
RANK_METRICS = {m.key: m.rank for m in METRIC_CATALOGUE}


def _ranks(metrics: pl.DataFrame | None) -> pl.DataFrame:
    if metrics is None:
        return pl.DataFrame(schema={"person_id": pl.String, "metric": pl.String, "rank": pl.Int64})
    return metrics.select(
        pl.col("person_id").cast(pl.String), *[pl.col(c).cast(pl.Int64).alias(k) for k, c in RANK_METRICS.items()]
    ).unpivot(index="person_id", variable_name="metric", value_name="rank")


def cohort_changes(
    current_cohort: pl.DataFrame,
    current_metrics: pl.DataFrame,
    previous_cohort: pl.DataFrame | None,
    previous_metrics: pl.DataFrame | None,
    *,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """Long: one row per (person in either cohort, metric).

    Columns: ``month`` (M), ``person_id, status`` (``NEW``: in M's cohort only; ``LEFT``: in
    M-1's only; ``STAYED``), ``metric`` (``investigations_custody | originator | subject |
    overall``), ``rank_previous, rank_current`` (null when the person was not ranked that
    month, i.e. had no interactions in that window), ``rank_movement`` (previous - current:
    positive = moved up the list; null when either rank is null), ``in_top_previous,
    in_top_current`` (the person made that metric's top list that month).
    With no previous month (``previous_cohort`` None), everyone is ``NEW``.
    """
    m = resolve_month(current_cohort, month)
    cur_ids = (
        current_cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .with_columns(pl.lit(True).alias("in_current"))
    )
    prev_ids = (
        previous_cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .with_columns(pl.lit(True).alias("in_previous"))
        if previous_cohort is not None
        else pl.DataFrame(schema={"person_id": pl.String, "in_previous": pl.Boolean})
    )
    people = cur_ids.join(prev_ids, on="person_id", how="full", coalesce=True).with_columns(
        pl.col("in_current", "in_previous").fill_null(False)
    )
    people = people.with_columns(
        pl.when(pl.col("in_current") & pl.col("in_previous"))
        .then(pl.lit("STAYED"))
        .when(pl.col("in_current"))
        .then(pl.lit("NEW"))
        .otherwise(pl.lit("LEFT"))
        .alias("status")
    )

    def _tops(cohort: pl.DataFrame | None, suffix: str) -> pl.DataFrame:
        if cohort is None:
            return pl.DataFrame(schema={"person_id": pl.String, "metric": pl.String, f"in_top_{suffix}": pl.Boolean})
        cols = [k for k in RANK_METRICS if f"in_top_{k}" in cohort.columns]
        return cohort.select(
            pl.col("person_id").cast(pl.String), *[pl.col(f"in_top_{k}").cast(pl.Boolean).alias(k) for k in cols]
        ).unpivot(index="person_id", variable_name="metric", value_name=f"in_top_{suffix}")

    grid = people.join(pl.DataFrame({"metric": list(RANK_METRICS)}), how="cross")
    out = (
        grid.join(_ranks(previous_metrics).rename({"rank": "rank_previous"}), on=["person_id", "metric"], how="left")
        .join(_ranks(current_metrics).rename({"rank": "rank_current"}), on=["person_id", "metric"], how="left")
        .join(_tops(previous_cohort, "previous"), on=["person_id", "metric"], how="left")
        .join(_tops(current_cohort, "current"), on=["person_id", "metric"], how="left")
        .with_columns(
            (pl.col("rank_previous") - pl.col("rank_current")).alias("rank_movement"),
            pl.col("in_top_previous", "in_top_current").fill_null(False),
        )
        .select(
            "person_id",
            "status",
            "metric",
            "rank_previous",
            "rank_current",
            "rank_movement",
            "in_top_previous",
            "in_top_current",
        )
        .sort(
            "person_id",
            pl.col("metric").replace_strict({k: i for i, k in enumerate(RANK_METRICS)}, return_dtype=pl.Int64),
        )
    )
    return with_month(out, m)
