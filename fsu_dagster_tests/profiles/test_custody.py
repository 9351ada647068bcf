"""Custody profiles (method 5.1.4 step 2)."""

import polars as pl

from fsu_dagster.profiles.custody import (
    custody_arrest_reasons,
    custody_file_types,
    custody_outcomes,
    custody_records,
    custody_summary,
)
from fsu_dagster_tests.profiles.frames import CAP_HOURS, M, cohort, extract, ts


def _custody():
    rows = [
        # P: negative duration -> 0, 250 h -> capped 200, 5 h, still in custody -> 0.
        dict(
            custody_id="C1",
            person_id="P",
            arrival_at=ts(10, 12),
            released_at=ts(10, 10),
            arrested_at=ts(10, 11),
            arrest_reason="ASSAULT",
            custody_outcome="CHARGED",
            file_type="EXPEDITED",
        ),
        dict(
            custody_id="C2",
            person_id="P",
            arrival_at=ts(1),
            released_at=ts(11, 10),
            custody_outcome="BAIL",
            file_type="EXPEDITED",
        ),
        dict(
            custody_id="C3",
            person_id="P",
            arrival_at=ts(20, 8),
            released_at=ts(20, 13),
            arrested_at=ts(20, 7),
            arrest_reason="THEFT",
        ),
        dict(custody_id="C4", person_id="P", arrival_at=ts(25, 8)),
        # Not in the cohort.
        dict(custody_id="C5", person_id="Z", arrival_at=ts(3), released_at=ts(3, 5)),
    ]
    return extract("connect_custody", rows)


def test_summary_follows_stage1_hours_and_counts_cohort_only():
    """Custody hours must equal Stage 1's total 5 (clip each record to [0, 200], open
    record 0), otherwise the profile and the ranking disagree; people outside the cohort
    never appear, cohort members without custody get zeros."""
    s = custody_summary(cohort("P", "Q"), _custody(), cap_hours=CAP_HOURS)
    assert s.columns[:2] == ["month", "person_id"]
    assert s.select("person_id", "custody_records", "custody_hours", "arrests", "open_records").rows() == [
        ("P", 4, 0.0 + 200.0 + 5.0 + 0.0, 2, 1),
        ("Q", 0, 0.0, 0, 0),
    ]
    assert s.get_column("month").unique().to_list() == [M]


def test_records_list_every_record_with_its_clipped_hours():
    """The details page lists each custody record and arrest with the hours Stage 1 used."""
    r = custody_records(cohort("P"), _custody(), cap_hours=CAP_HOURS)
    assert r.select("custody_id", "hours", "arrest_reason").rows() == [
        ("C2", 200.0, None),
        ("C1", 0.0, "ASSAULT"),
        ("C3", 5.0, "THEFT"),
        ("C4", 0.0, None),
    ]


def test_outcomes_and_file_types_label_missing_values():
    """Outcome and file-type charts need every record in a bar, so null is 'NOT RECORDED'."""
    o = custody_outcomes(cohort("P"), _custody(), cap_hours=CAP_HOURS)
    assert o.select("custody_outcome", "records").rows() == [("BAIL", 1), ("CHARGED", 1), ("NOT RECORDED", 2)]
    f = custody_file_types(cohort("P"), _custody(), cap_hours=CAP_HOURS)
    assert f.select("file_type", "records", "hours").rows() == [("EXPEDITED", 2, 200.0), ("NOT RECORDED", 2, 5.0)]


def test_custom_cap():
    """The cap comes from settings (custody_cap_hours)."""
    s = custody_summary(cohort("P"), _custody(), cap_hours=24.0)
    assert s.get_column("custody_hours").item() == 29.0


def test_empty_cohort_needs_month():
    """An empty cohort gives empty tables with the right columns when the month is given."""
    empty = cohort().filter(pl.lit(False))
    assert custody_summary(empty, _custody(), cap_hours=CAP_HOURS, month=M).height == 0


def test_arrest_reasons():
    """Arrests (records with an arrest time) by reason, with first and last arrest time."""
    a = custody_arrest_reasons(cohort("P"), _custody())
    assert a.select("arrest_reason", "arrests", "first_arrested_at").rows() == [
        ("ASSAULT", 1, ts(10, 11)),
        ("THEFT", 1, ts(20, 7)),
    ]
