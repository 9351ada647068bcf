"""The nine Stage 1 totals and the universe (data contract section 3)."""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster.stage1 import (
    TOTALS,
    custody_totals,
    investigation_role_totals,
    originator_totals,
    person_totals,
    subject_resource_duration,
    subject_totals,
)
from fsu_dagster_tests.steps.stage1_frames import CAP_HOURS, M, custody, links, logs, roles, ts


def test_role_totals_count_distinct_investigations():
    """Duplicate role rows on one investigation count once; each role counts on its own; non-crimes count."""
    r = roles(
        [
            ("C1", "P1", "SUSPECT"),
            ("C1", "P1", "SUSPECT"),  # duplicate row
            ("C1", "P1", "OFFENDER"),  # same investigation, other role
            ("C2", "P1", "SUSPECT"),
            ("C3", "P1", "VICTIM"),
            ("C3", "P2", "VICTIM"),
            ("C4", "P3", "WITNESS"),  # no total -> not in the universe
            ("C5", "P3", "OTHER"),
        ]
    )
    out = investigation_role_totals(r)
    assert out.rows() == [("P1", 2, 1, 1), ("P2", 0, 0, 1)]


@pytest.mark.parametrize(
    ("arrival", "released", "cap", "hours"),
    [
        (ts(1, 0), ts(1, 10), 200.0, 10.0),
        (ts(1, 0), ts(10, 0), 200.0, 200.0),  # 216 h capped at 200
        (ts(1, 0), ts(9, 8), 200.0, 200.0),  # exactly 200 h
        (ts(2, 0), ts(1, 0), 200.0, 0.0),  # negative -> 0
        (ts(1, 0), None, 200.0, 0.0),  # null release -> 0
        (ts(1, 0), ts(1, 30), 24.0, 24.0),  # configurable cap
    ],
)
def test_custody_hours_per_record(arrival, released, cap, hours):
    """Each custody record's duration is clipped to [0, cap]; a record with no release counts 0 h but 1 record."""
    out = custody_totals(custody([("K1", "P1", arrival, released)]), cap_hours=cap)
    assert out.rows() == [("P1", 1, pytest.approx(hours))]


def test_custody_clip_before_sum():
    """Clipping happens per record BEFORE summing: 250 h + (−10 h) + 5 h = 200 + 0 + 5, not min(245, 200)."""
    c = custody(
        [
            ("K1", "P1", ts(1, 0), ts(1, 250)),
            ("K2", "P1", ts(20, 10), ts(20, 0)),
            ("K3", "P1", ts(25, 0), ts(25, 5)),
        ]
    )
    assert custody_totals(c, cap_hours=200.0).rows() == [("P1", 3, 205.0)]


def test_cw_totals_distinct_logs_and_hours():
    """A log counts once per person and role; its hours are added once; unknown (pre-planned) logs are ignored."""
    lk = links(
        [
            ("I1", "originator", "P1"),
            ("I1", "originator", "P1"),  # repeated link row
            ("I2", "originator", "P1"),
            ("I2", "subject", "P1"),  # same person, both roles on one log
            ("I3", "subject", "P2"),
            ("I9", "subject", "P2"),  # not in cw_logs (pre-planned or outside window)
        ]
    )
    lg = logs({"I1": 1.5, "I2": 2.0, "I3": 0.25})
    assert originator_totals(lk, lg).rows() == [("P1", 2, 3.5)]
    assert subject_totals(lk, lg).rows() == [("P1", 1, 2.0), ("P2", 1, 0.25)]
    assert subject_resource_duration(lk, lg).equals(subject_totals(lk, lg))


def test_person_totals_universe_and_layout():
    """Universe = at least one non-zero total; month first, then the nine totals in contract order."""
    r = roles([("C1", "P1", "SUSPECT"), ("C2", "P4", "WITNESS")])
    c = custody([("K1", "P2", ts(1, 0), None)])  # 0 hours but a record -> in universe
    lk = links([("I1", "subject", "P3"), ("I2", "originator", "P5")])
    lg = logs({"I1": 0.0})  # P3: one call with 0 h; P5's log is not in the window
    out = person_totals(r, c, lk, lg, M, cap_hours=CAP_HOURS)
    assert out.columns == ["month", "person_id", *TOTALS]
    assert out.get_column("person_id").to_list() == ["P1", "P2", "P3"]
    assert out.filter(pl.col("person_id") == "P2").row(0) == (M, "P2", 0, 0, 0, 1, 0.0, 0, 0.0, 0, 0.0)
    assert out.filter(pl.col("person_id") == "P3").row(0) == (M, "P3", 0, 0, 0, 0, 0.0, 0, 0.0, 1, 0.0)
    counts = [t for t in TOTALS if not t.endswith("hours")]
    assert all(out.schema[t] == pl.Int64 for t in counts)
    assert all(out.schema[t] == pl.Float64 for t in TOTALS if t.endswith("hours"))


def test_person_totals_empty_window():
    """An empty window gives an empty table with the right columns and types."""
    out = person_totals(roles([]), custody([]), links([]), logs({}), M, cap_hours=CAP_HOURS)
    assert out.height == 0 and out.columns == ["month", "person_id", *TOTALS]
    assert out.schema["suspect_total"] == pl.Int64 and out.schema["custody_hours"] == pl.Float64
