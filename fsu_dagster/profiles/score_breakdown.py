"""Score breakdown: why a person ranks high (beyond the method).

Each metric is the mean of its totals' normalised values, divided by the largest such
mean over the universe (data contract section 3). So a metric splits exactly into one
*contribution* per total: ``contribution_t = norm_t / (n_totals * max_raw)``, and the
contributions of a metric add up to the metric's value. ``share`` is the same split as
a fraction of the metric (``norm_t / Σ norm``; 0 when the metric is 0).

The norms and metrics are recomputed from ``person_totals`` (every person in the
universe) and ``top_n`` with Stage 1's own functions (``stage1.normalisation``,
``stage1.metrics``), so the breakdown agrees with ``person_metrics`` exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import polars as pl

from fsu_dagster.profiles._common import in_cohort, resolve_month, with_month
from fsu_dagster.stage1.metrics import METRICS, metric_values
from fsu_dagster.stage1.normalisation import normalisation_scales, normalise_totals
from fsu_dagster.stage1.totals import TOTALS

__all__ = ["TOTALS", "METRICS", "score_breakdown"]

_SCHEMA = {
    "person_id": pl.String,
    "metric": pl.String,
    "total": pl.String,
    "value": pl.Float64,
    "scale": pl.Float64,
    "norm": pl.Float64,
    "share": pl.Float64,
    "contribution": pl.Float64,
    "metric_value": pl.Float64,
}


def score_breakdown(
    cohort: pl.DataFrame, person_totals: pl.DataFrame, *, top_n: int = 1000, month: dt.date | None = None
) -> pl.DataFrame:
    """Long: one row per (cohort member, metric, total in that metric).

    ``person_totals``: the window's ``fsu.person_totals`` (all of the universe, not only
    the cohort: the scales and maxima come from everyone). ``top_n``: ``settings.top_n``.

    Columns: ``month, person_id, metric, total, value`` (the raw total), ``scale`` (the
    total's normalisation scale), ``norm``, ``share`` (of the metric, 0-1),
    ``contribution`` (to the metric's 0-1 value; one metric's contributions sum to it),
    ``metric_value`` (the metric, as in ``person_metrics``).
    """
    m = resolve_month(cohort, month)
    tot = person_totals.drop("month", strict=False).with_columns(pl.col("person_id").cast(pl.String))
    scales = dict(normalisation_scales(tot, top_n).select("total", "scale").iter_rows())
    scored = metric_values(normalise_totals(tot, top_n))
    mine = in_cohort(scored, cohort)
    parts = []
    for metric, totals in METRICS.items():
        raw_max = scored.get_column(f"raw_{metric}").max() if scored.height else None
        raw_max = float(cast("float | None", raw_max) or 0.0)  # a Float64 column's max
        sum_norm = pl.sum_horizontal([pl.col(f"norm_{t}") for t in totals])
        for t in totals:
            parts.append(
                mine.select(
                    "person_id",
                    pl.lit(metric).alias("metric"),
                    pl.lit(t).alias("total"),
                    pl.col(t).cast(pl.Float64).alias("value"),
                    pl.lit(scales[t]).alias("scale"),
                    pl.col(f"norm_{t}").alias("norm"),
                    pl.when(sum_norm > 0).then(pl.col(f"norm_{t}") / sum_norm).otherwise(0.0).alias("share"),
                    (pl.col(f"norm_{t}") / (len(totals) * raw_max) if raw_max > 0 else pl.lit(0.0)).alias(
                        "contribution"
                    ),
                    pl.col(metric).alias("metric_value"),
                )
            )
    out = (
        pl.concat([p.select([pl.col(c).cast(t) for c, t in _SCHEMA.items()]) for p in parts])
        if parts
        else pl.DataFrame(schema=_SCHEMA)
    )
    morder = {mt: i for i, mt in enumerate(METRICS)}
    torder = {t: i for i, t in enumerate(TOTALS)}
    out = out.sort(
        "person_id",
        pl.col("metric").replace_strict(morder, return_dtype=pl.Int64),
        pl.col("total").replace_strict(torder, return_dtype=pl.Int64),
    )
    return with_month(out, m)
