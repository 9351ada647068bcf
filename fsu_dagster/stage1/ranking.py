"""Ranks per metric (data contract section 3).

Per metric, order by metric descending then ``person_id`` ascending; rank = position
(1 = highest), unique. The metric is compared after rounding to ``RANK_DECIMALS``
decimal places, so two metrics that are equal up to floating-point noise (~1e-16, e.g.
the same sum added in another order) tie and fall to ``person_id``. Metrics that really
differ differ by far more than 1e-12 (durations have whole-second resolution).
"""

from __future__ import annotations

import polars as pl

__all__ = ["RANKS", "RANK_DECIMALS", "rank_metrics"]

#: Metric column -> rank column.
RANKS = {
    "metric_investigations_custody": "rank_investigations_custody",
    "metric_originator": "rank_originator",
    "metric_subject": "rank_subject",
    "metric_overall": "rank_overall",
}
RANK_DECIMALS = 12


def rank_metrics(metrics: pl.DataFrame) -> pl.DataFrame:
    """Add ``rank_*`` (Int64, 1..N, unique) for each of the four metrics."""
    out = metrics
    for metric, rank in RANKS.items():
        order = (
            out.select("person_id", pl.col(metric).round(RANK_DECIMALS).alias("_key"))
            .sort(["_key", "person_id"], descending=[True, False], nulls_last=True)
            .with_row_index(rank, offset=1)
            .select("person_id", pl.col(rank).cast(pl.Int64))
        )
        out = out.join(order, on="person_id", how="left")
    return out
