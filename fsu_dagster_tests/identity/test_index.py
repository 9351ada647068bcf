"""The identity index: every person version of the window, each once (data contract section 3)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.identity import identity_index
from fsu_dagster_tests.steps.stage1_frames import M, frame

D1 = dt.date(1990, 1, 1)


def test_identity_index_union_of_distinct_versions():
    """A version repeated in several monthly files appears once; every distinct version is kept."""
    jan, feb = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    versions = [
        dict(person_id="P1", forename="Ann", surname="Lee", dob=D1),
        dict(person_id="P1", forename="Anne", surname="Lee", dob=D1),
        dict(person_id="P2", forename=None, surname="Ray", dob=None),
    ]
    cp = pl.concat(
        [
            frame("connect_persons", versions[:2]).with_columns(month=pl.lit(jan)),
            frame("connect_persons", versions).with_columns(month=pl.lit(feb)),
        ]
    )
    out = identity_index(cp, M)
    assert out.columns[:7] == ["month", "person_id", "forename", "surname", "dob", "pnc_id", "phone_number"]
    assert out.height == 3
    assert out.select("person_id", "forename", "first_seen_month", "last_seen_month").rows() == [
        ("P1", "Ann", jan, feb),
        ("P1", "Anne", jan, feb),
        ("P2", None, feb, feb),
    ]
    assert out.get_column("month").unique().to_list() == [M]
