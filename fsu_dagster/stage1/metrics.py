"""The four Stage 1 metrics (data contract section 3).

Raw metric = mean of its totals' ``norm_t``; metric = raw / max raw over the universe
(0 when the max is 0), so each lies in [0, 1].

| metric | totals |
|---|---|
| metric_investigations_custody | 1–5 |
| metric_originator | 6–7 |
| metric_subject | 8–9 |
| metric_overall | 1–9 |

The raw mean is a fixed left-to-right sum in the contract's total order divided by the
number of totals, row by row, so identical totals always give identical metrics.
"""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import cast

import polars as pl

from fsu_dagster.frames import true_divide
from fsu_dagster.stage1.normalisation import norm_column, normalise_totals
from fsu_dagster.stage1.ranking import RANKS, rank_metrics
from fsu_dagster.stage1.totals import TOTALS

__all__ = ["METRICS", "metric_values", "person_metrics"]

#: Metric -> the totals it averages, in the contract's order.
METRICS: dict[str, tuple[str, ...]] = {
    "metric_investigations_custody": TOTALS[0:5],
    "metric_originator": TOTALS[5:7],
    "metric_subject": TOTALS[7:9],
    "metric_overall": TOTALS,
}


def _raw(totals: tuple[str, ...]) -> pl.Expr:
    return true_divide(reduce(add, (pl.col(norm_column(t)) for t in totals)), len(totals))


def metric_values(normalised: pl.DataFrame) -> pl.DataFrame:
    """Add ``raw_<metric>`` and ``<metric>`` columns to a frame carrying the ``norm_*`` columns."""
    out = normalised.with_columns(_raw(totals).alias(f"raw_{m}") for m, totals in METRICS.items())
    maxima = {m: (out.get_column(f"raw_{m}").max() if out.height else None) for m in METRICS}
    return out.with_columns(
        # A non-zero max of a Float64 column is a float (polars types Series.max as any literal).
        (true_divide(pl.col(f"raw_{m}"), cast(float, maxima[m])) if maxima[m] else pl.lit(0.0, dtype=pl.Float64)).alias(
            m
        )
        for m in METRICS
    )


def person_metrics(person_totals: pl.DataFrame, top_n: int = 1000) -> pl.DataFrame:
    """``month, person_id``, the four metrics, the four ranks, then the nine norms and four raw metrics.

    ``person_totals`` is the output of ``person_totals`` (its rows are the universe).
    """
    scored = rank_metrics(metric_values(normalise_totals(person_totals, top_n)))
    lead = [c for c in ("month", "person_id") if c in scored.columns]
    return scored.select(
        *lead,
        *METRICS,
        *RANKS.values(),
        *(norm_column(t) for t in TOTALS),
        *(f"raw_{m}" for m in METRICS),
    ).sort("person_id")
