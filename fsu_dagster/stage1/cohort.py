"""The cohort (data contract section 3 and table ``fsu.cohort``).

Per metric, the persons with rank <= ``list_size`` and metric > 0; the cohort is their
distinct union, with one boolean per metric saying which lists each member is on.
"""

from __future__ import annotations

import polars as pl

from fsu_dagster.stage1.ranking import RANKS

__all__ = ["IN_TOP", "cohort"]

#: Metric column -> cohort flag column.
IN_TOP = {m: r.replace("rank_", "in_top_") for m, r in RANKS.items()}


def cohort(person_metrics: pl.DataFrame, list_size: int = 100) -> pl.DataFrame:
    """``month, person_id, in_top_investigations_custody, in_top_originator, in_top_subject, in_top_overall``.

    One row per cohort member and no others.
    """
    flags = [((pl.col(r) <= list_size) & (pl.col(m) > 0)).fill_null(False).alias(IN_TOP[m]) for m, r in RANKS.items()]
    lead = [c for c in ("month", "person_id") if c in person_metrics.columns]
    return person_metrics.select(*lead, *flags).filter(pl.any_horizontal(IN_TOP.values())).sort("person_id")
