"""Ranks per metric (data contract section 3).

Per metric, order by metric descending then ``person_id`` ascending; rank = position
(1 = highest), unique. The metric is compared after rounding to ``RANK_DECIMALS``
decimal places, so two metrics that are equal up to floating-point noise (~1e-16, e.g.
the same sum added in another order) tie and fall to ``person_id``. Metrics that really
differ differ by far more than 1e-12 (durations have whole-second resolution).
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

__all__ = ["METRIC_CATALOGUE", "RANKS", "RANK_DECIMALS", "Metric", "rank_metrics"]


class Metric(NamedTuple):
    """One of the method's four metrics: its key, its label and a short label for tables."""

    key: str
    label: str
    short_label: str

    @property
    def column(self) -> str:
        """The metric column of ``person_metrics`` (``metric_<key>``)."""
        return f"metric_{self.key}"

    @property
    def rank(self) -> str:
        """The rank column of ``person_metrics`` (``rank_<key>``)."""
        return f"rank_{self.key}"


#: The metric catalogue, in the method's order: the one list of metrics every layer reads.
METRIC_CATALOGUE: tuple[Metric, ...] = (
    Metric("investigations_custody", "Investigations and custody", "Inv. & custody"),
    Metric("originator", "Originator (calls made)", "Originator"),
    Metric("subject", "Subject (calls about)", "Subject"),
    Metric("overall", "Overall", "Overall"),
)
#: Metric column -> rank column.
RANKS = {m.column: m.rank for m in METRIC_CATALOGUE}
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
