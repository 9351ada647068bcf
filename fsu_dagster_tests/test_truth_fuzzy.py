"""Fuzzy mode (the default) end to end, against the generator's ground truth.

The issue's yardstick for identity resolution: the planted frequent service users'
ControlWorks totals (``originator_calls``, ``subject_calls`` and their hours, as
``fsu.person_totals`` holds them after the whole pipeline) should be within 2 % of
their true totals. The true totals count every log that mentions the person in that
role with something to link by (a name, DOB, PNC ID or number): a mention with nothing
typed is nobody's. Measured on this data (seed 11): 94.8 % of the planted
person-roles within 2 % (hours 96.1 %), the totals together 0.12 % over, the worst a
prolific caller credited with 11 no-DOB calls of an on-duty namesake (54 → 65); exact
mode, for comparison, finds 73 % of the planted users' logs and has 7 % within 2 %.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster import warehouse as wh
from fsu_dagster.identity.controlworks import controlworks_mentions
from fsu_dagster_tests.conftest import WINDOW_END

PLANTED = ["prolific_caller", "repeat_victim", "prolific_offender", "all_three", "missing_young_person"]
MONTH = dt.date.fromisoformat(WINDOW_END + "-01")


def _compare(built) -> pl.DataFrame:
    """Per planted person and role (at least 5 true logs): true and pipeline totals."""
    conn = wh.connect(str(built.warehouse), read_only=True)
    try:
        logs = conn.execute("select * from fsu.cw_logs where month = ?", [MONTH]).pl()
        totals = conn.execute("select * from fsu.person_totals where month = ?", [MONTH]).pl()
    finally:
        conn.close()
    truth = built.data_dir / "truth"
    persons = pl.read_csv(truth / "persons.csv", infer_schema=False)
    mentions = pl.read_csv(truth / "cw_mentions.csv", infer_schema=False)
    planted = persons.filter(pl.col("archetype").is_in(PLANTED) & pl.col("person_id").is_not_null())
    given = controlworks_mentions(logs).select(pl.col("incident_id").cast(pl.String), "role")
    true_logs = (
        given.join(mentions.select("incident_id", "role", "person_id"), on=["incident_id", "role"])
        .join(planted.select("person_id"), on="person_id")
        .join(logs.select(pl.col("incident_id").cast(pl.String), "hours"), on="incident_id")
    )
    true_totals = true_logs.group_by("person_id", "role").agg(
        pl.col("incident_id").n_unique().alias("true_calls"), pl.col("hours").sum().alias("true_hours")
    )
    got = pl.concat(
        [
            totals.select(
                "person_id",
                pl.lit(role).alias("role"),
                pl.col(f"{role}_calls").alias("calls"),
                pl.col(f"{role}_hours").alias("hours"),
            )
            for role in ("originator", "subject")
        ]
    )
    return (
        true_totals.filter(pl.col("true_calls") >= 5)
        .join(got, on=["person_id", "role"], how="left")
        .with_columns(pl.col("calls").fill_null(0), pl.col("hours").fill_null(0.0))
        .with_columns(
            ((pl.col("calls") - pl.col("true_calls")).abs() / pl.col("true_calls")).alias("calls_err"),
            ((pl.col("hours") - pl.col("true_hours")).abs() / pl.col("true_hours")).alias("hours_err"),
        )
    )


@pytest.fixture(scope="module")
def fuzzy(small_built_fuzzy) -> pl.DataFrame:
    return _compare(small_built_fuzzy)


def test_planted_users_totals_are_within_2_percent(fuzzy):
    """Nearly every planted user's call totals, and their hours, within 2 % of the truth."""
    assert fuzzy.height >= 300
    assert (fuzzy["calls_err"] <= 0.02).mean() >= 0.9, fuzzy.sort("calls_err").tail(10)
    assert (fuzzy["hours_err"] <= 0.02).mean() >= 0.9
    # And together: neither a systematic under-count nor over-count.
    assert abs(fuzzy["calls"].sum() / fuzzy["true_calls"].sum() - 1) <= 0.01
    # Nobody far off: the worst is a few logs, not a merged namesake or a lost identity.
    assert fuzzy["calls_err"].max() <= 0.25


def test_fuzzy_finds_what_exact_mode_misses(fuzzy, small_built):
    """Exact mode (the method's rule) under-counts the same people badly."""
    exact = _compare(small_built)
    assert exact["calls"].sum() / exact["true_calls"].sum() < 0.85
    assert (exact["calls_err"] <= 0.02).mean() < 0.3
