"""Missing person episodes from Compact."""

import datetime as dt

import polars as pl

from fsu_dagster.profiles.missing import missing_episodes, missing_risk_levels, missing_summary
from fsu_dagster_tests.profiles.frames import cohort, extract, ts


def _world():
    reports = extract(
        "compact_missing",
        [
            dict(report_id="M1", person_id="P", reported_at=ts(1), found_at=ts(1, 12), risk_level="HIGH"),
            dict(report_id="M2", forename="john", surname="SMITH", dob=dt.date(1980, 1, 1), reported_at=ts(5)),
            dict(report_id="M3", person_id="Z", reported_at=ts(6), found_at=ts(7)),
            dict(report_id="M4", forename="No", surname="Body", dob=dt.date(1990, 1, 1), reported_at=ts(8)),
            dict(report_id="M5", person_id="P", reported_at=ts(9, 10), found_at=ts(9, 8), risk_level="LOW"),
        ],
    )
    persons = extract(
        "connect_persons",
        [
            dict(person_id="P", forename="John", surname="Smith", dob=dt.date(1980, 1, 1)),
            dict(person_id="Z", forename="Zed", surname="Z", dob=dt.date(1970, 1, 1)),
        ],
    )
    return reports, persons


def test_episodes_by_id_then_identity_default_linker():
    """A report without a person ID still reaches the person through identity matching
    (exact mode by default), otherwise the young person's missing episodes are lost."""
    reports, persons = _world()
    ep = missing_episodes(cohort("P", "Q"), reports, persons)
    assert ep.select("person_id", "report_id", "linked_by", "hours_missing", "risk_level").rows() == [
        ("P", "M1", "PERSON_ID", 12.0, "HIGH"),
        ("P", "M2", "IDENTITY", None, "NOT RECORDED"),
        ("P", "M5", "PERSON_ID", 0.0, "LOW"),
    ]


def test_linker_is_a_parameter():
    """The linking function is injectable (fuzzy mode later); only reports without a
    person ID are sent to it."""
    reports, persons = _world()
    seen = []

    def fake_link(queries, index):
        seen.extend(queries.get_column("record_id").to_list())
        return pl.DataFrame({"record_id": ["M4"], "person_id": ["Q"], "score": [0.9], "reason": ["fuzzy"]})

    ep = missing_episodes(cohort("P", "Q"), reports, persons, link=fake_link)
    assert sorted(seen) == ["M2", "M4"]
    assert ep.filter(pl.col("person_id") == "Q").select("report_id", "linked_by").rows() == [("M4", "IDENTITY")]


def test_summary_and_risk_levels():
    """Counts, hours (found episodes only), still-missing and high-risk per person; cohort
    members with no report get zeros."""
    reports, persons = _world()
    coh = cohort("P", "Q")
    ep = missing_episodes(coh, reports, persons)
    s = missing_summary(coh, ep)
    assert s.select("person_id", "missing_reports", "still_missing", "hours_missing", "high_risk_reports").rows() == [
        ("P", 3, 1, 12.0, 1),
        ("Q", 0, 0, 0.0, 0),
    ]
    r = missing_risk_levels(ep)
    assert r.select("person_id", "risk_level", "reports", "hours_missing").rows() == [
        ("P", "HIGH", 1, 12.0),
        ("P", "LOW", 1, 0.0),
        ("P", "NOT RECORDED", 1, 0.0),
    ]
