"""Exact hours: the profiles and Stage 1 share one rule (integer microseconds, divided once)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.frames import US_PER_HOUR, hours_between, micros_between


def test_hours_between_is_whole_microseconds_divided_once():
    start = dt.datetime(2026, 1, 1, 0, 0, 0)
    ends = [start + dt.timedelta(hours=h, microseconds=us) for h, us in ((1, 0), (7, 1), (0, 999_999))] + [None]
    df = pl.DataFrame({"s": [start] * 4, "e": ends})
    out = df.select(
        hours_between(pl.col("s"), pl.col("e")).alias("h"), micros_between(pl.col("s"), pl.col("e")).alias("us")
    )
    assert out["us"].to_list()[:3] == [3_600_000_000, 25_200_000_001, 999_999]
    assert out["h"].to_list()[:3] == [us / US_PER_HOUR for us in out["us"].to_list()[:3]]
    assert out["h"][3] is None
