"""Normalisation of the nine totals (data contract section 3).

For each total ``t``: ``scale_t`` = mean of the largest ``min(top_n, N)`` values of ``t``
over the universe (N = universe size, zeros included); ``norm_t = t / scale_t``, 0 when
``scale_t`` is 0. The mean is computed with ``math.fsum`` (exactly rounded, so it does not
depend on row order) and every division is correctly rounded.
"""

from __future__ import annotations

import math

import polars as pl

from fsu_dagster.frames import true_divide
from fsu_dagster.stage1.totals import TOTALS

__all__ = ["normalisation_scales", "normalise_totals", "norm_column"]


def norm_column(total: str) -> str:
    """``"suspect_total"`` -> ``"norm_suspect_total"``."""
    return f"norm_{total}"


def normalisation_scales(person_totals: pl.DataFrame, top_n: int = 1000) -> pl.DataFrame:
    """One row per total: ``total``, ``n_top`` (= min(top_n, N)) and ``scale`` (Float64)."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    n_top = min(top_n, person_totals.height)
    rows = []
    for t in TOTALS:
        values = person_totals.get_column(t).cast(pl.Float64).top_k(n_top).to_list() if n_top else []
        scale = math.fsum(values) / n_top if n_top else 0.0
        rows.append({"total": t, "n_top": n_top, "scale": scale})
    return pl.DataFrame(rows, schema={"total": pl.String, "n_top": pl.Int64, "scale": pl.Float64})


def normalise_totals(person_totals: pl.DataFrame, top_n: int = 1000) -> pl.DataFrame:
    """Add ``norm_<total>`` (Float64) for each of the nine totals."""
    scales = dict(normalisation_scales(person_totals, top_n).select("total", "scale").iter_rows())
    return person_totals.with_columns(
        (true_divide(pl.col(t), scales[t]) if scales[t] != 0 else pl.lit(0.0, dtype=pl.Float64)).alias(norm_column(t))
        for t in TOTALS
    )
