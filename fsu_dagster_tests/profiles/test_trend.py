"""Twelve-month trend per person and interaction."""

import datetime as dt

import polars as pl

from fsu_dagster.profiles.trend import INTERACTIONS, monthly_trend
from fsu_dagster_tests.profiles.frames import CAP_HOURS, M, cohort, cw_logs, extract, links


def test_trend_months_and_zero_fill():
    """Each cohort member gets all 12 months x 7 interactions (zeros included), events fall
    in their Europe/London month (23:30 UTC on 30 June is 1 July in BST), and a log where
    the person is originator and subject counts for both."""
    inv = extract(
        "connect_investigations",
        [
            dict(investigation_id="I1", recorded_at=dt.datetime(2026, 1, 15)),
            dict(investigation_id="I9", recorded_at=dt.datetime(2026, 1, 15)),
        ],
    )
    roles = extract(
        "connect_person_roles",
        [
            dict(investigation_id="I1", person_id="P", role="SUSPECT"),
            dict(investigation_id="I1", person_id="P", role="VICTIM"),
            dict(investigation_id="I9", person_id="Z", role="SUSPECT"),
        ],
    )
    cus = extract(
        "connect_custody",
        [
            dict(
                custody_id="C1",
                person_id="P",
                arrival_at=dt.datetime(2025, 6, 30, 23, 30),
                released_at=dt.datetime(2025, 7, 1, 4, 30),
            )
        ],
    )
    logs = cw_logs([dict(incident_id="L1", created_at=dt.datetime(2026, 3, 2), hours=2.0)])
    lk = links([("L1", "originator", "P"), ("L1", "subject", "P")])
    miss = pl.DataFrame(
        {
            "month": [M],
            "person_id": ["P"],
            "report_id": ["M1"],
            "reported_at": [dt.datetime(2026, 1, 10)],
            "hours_missing": [12.0],
        }
    )
    out = monthly_trend(
        cohort("P", "Q"),
        connect_investigations=inv,
        connect_person_roles=roles,
        connect_custody=cus,
        links=lk,
        cw_logs=logs,
        missing_episodes=miss,
        cap_hours=CAP_HOURS,
    )
    assert out.height == 2 * 12 * len(INTERACTIONS)
    assert out.get_column("activity_month").min() == dt.date(2025, 4, 1)
    assert out.get_column("activity_month").max() == M
    nonzero = (
        out.filter(pl.col("events") > 0).select("person_id", "activity_month", "interaction", "events", "hours").rows()
    )
    assert nonzero == [
        ("P", dt.date(2025, 7, 1), "CUSTODY", 1, 5.0),
        ("P", dt.date(2026, 1, 1), "SUSPECT", 1, 0.0),
        ("P", dt.date(2026, 1, 1), "VICTIM", 1, 0.0),
        ("P", dt.date(2026, 1, 1), "MISSING", 1, 12.0),
        ("P", dt.date(2026, 3, 1), "ORIGINATOR", 1, 2.0),
        ("P", dt.date(2026, 3, 1), "SUBJECT", 1, 2.0),
    ]
