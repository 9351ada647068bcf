"""The cohort (data contract section 3 and table ``fsu.cohort``).

Per metric, the persons with rank <= ``list_size`` and metric > 0; the cohort is their
distinct union, with one boolean per metric saying which lists each member is on.
"""

from __future__ import annotations

import polars as pl

from fsu_dagster.stage1.ranking import METRIC_CATALOGUE, RANKS

__all__ = ["IN_TOP", "cohort", "list_overlap", "metric_distribution"]

#: Metric column -> cohort flag column.
IN_TOP = {m: r.replace("rank_", "in_top_") for m, r in RANKS.items()}


def cohort(person_metrics: pl.DataFrame, list_size: int = 100) -> pl.DataFrame:
    """``month, person_id, in_top_investigations_custody, in_top_originator, in_top_subject, in_top_overall``.

    One row per cohort member and no others.
    """
    flags = [((pl.col(r) <= list_size) & (pl.col(m) > 0)).fill_null(False).alias(IN_TOP[m]) for m, r in RANKS.items()]
    lead = [c for c in ("month", "person_id") if c in person_metrics.columns]
    return person_metrics.select(*lead, *flags).filter(pl.any_horizontal(IN_TOP.values())).sort("person_id")


def list_overlap(cohort: pl.DataFrame) -> dict[str, int]:
    """How many cohort members are on 1, 2, 3 or 4 of the top lists (aggregates only)."""
    lists = cohort.select(pl.sum_horizontal([pl.col(c).cast(pl.Int8) for c in IN_TOP.values()]).alias("n"))
    counts = lists.group_by("n").len().sort("n")
    return {f"on {int(n)} list{'s' if n != 1 else ''}": int(k) for n, k in counts.iter_rows()}


def metric_distribution(person_metrics: pl.DataFrame, cohort: pl.DataFrame) -> str:
    """A small Markdown table: per metric, the cohort's minimum, median and maximum value and
    the universe's median (aggregates only, for the asset's metadata)."""
    members = person_metrics.join(cohort.select("person_id"), on="person_id", how="semi")
    lines = ["| metric | cohort min | cohort median | cohort max | universe median |", "|---|---|---|---|---|"]
    for metric in METRIC_CATALOGUE:
        values, everyone = members.get_column(metric.column), person_metrics.get_column(metric.column)

        def fmt(x: object) -> str:
            return "-" if x is None else f"{float(x):.3f}"  # type: ignore[arg-type]

        lines.append(
            f"| {metric.label} | {fmt(values.min())} | {fmt(values.median())} | {fmt(values.max())} "
            f"| {fmt(everyone.median())} |"
        )
    return "\n".join(lines)
