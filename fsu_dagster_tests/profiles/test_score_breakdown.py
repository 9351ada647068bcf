"""Score breakdown: each total's share of each metric."""

import polars as pl
import pytest

from fsu_dagster.profiles.score_breakdown import TOTALS, score_breakdown
from fsu_dagster_tests.profiles.frames import M, cohort


def _totals():
    rows = {
        "A": dict(suspect_total=4, custody_hours=100.0, originator_calls=2),
        "B": dict(suspect_total=2, originator_calls=6),
        "C": dict(victim_total=3),
    }
    data = {"month": [M] * 3, "person_id": list(rows)}
    for t in TOTALS:
        data[t] = [rows[p].get(t, 0) for p in rows]
    return pl.DataFrame(data).with_columns(
        [pl.col(t).cast(pl.Float64 if t.endswith("hours") else pl.Int64) for t in TOTALS]
    )


def test_breakdown_hand_computed():
    """With top_n=2 the scales are suspect 3, custody hours 50, originator calls 4. A's
    investigations-and-custody metric (1.0) splits 0.4 suspect / 0.6 custody hours, and
    A's originator metric (1/3) comes entirely from originator calls."""
    out = score_breakdown(cohort("A"), _totals(), top_n=2)
    assert out.height == 5 + 2 + 2 + 9
    ic = out.filter(pl.col("metric") == "metric_investigations_custody").select(
        "total", "scale", "norm", "share", "contribution"
    )
    assert ic.filter(pl.col("total") == "suspect_total").row(0) == pytest.approx(
        ("suspect_total", 3.0, 4 / 3, 0.4, 0.4)
    )
    assert ic.filter(pl.col("total") == "custody_hours").row(0) == pytest.approx(("custody_hours", 50.0, 2.0, 0.6, 0.6))
    orig = out.filter((pl.col("metric") == "metric_originator") & (pl.col("total") == "originator_calls"))
    assert orig.select("share", "contribution", "metric_value").row(0) == pytest.approx((1.0, 1 / 3, 1 / 3))


def test_contributions_add_up_to_the_metric():
    """A user reads the contributions as 'why this score': they must sum to the metric."""
    out = score_breakdown(cohort("A", "B", "C"), _totals(), top_n=2)
    sums = out.group_by("person_id", "metric").agg(pl.col("contribution").sum(), pl.col("metric_value").first())
    for row in sums.iter_rows(named=True):
        assert row["contribution"] == pytest.approx(row["metric_value"])
    assert out.get_column("month").unique().to_list() == [M]
