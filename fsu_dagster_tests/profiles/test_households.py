"""Households: the cohort grouped by home address."""

import datetime as dt

import polars as pl

from fsu_dagster.profiles.households import home_addresses, households
from fsu_dagster.profiles.score_breakdown import TOTALS
from fsu_dagster_tests.profiles.frames import M, cohort, extract


def _world():
    inv = extract(
        "connect_investigations",
        [dict(investigation_id=f"I{i}", recorded_at=dt.datetime(2026, 1, i)) for i in range(1, 6)],
    )
    roles = extract(
        "connect_person_roles",
        [
            # P: 12 High St on two investigations, 9 Low Rd on one -> 12 High St.
            dict(
                investigation_id="I1",
                person_id="P",
                role="VICTIM",
                home_address="12 High St",
                home_postcode="B1 1AA",
                home_lpa="BIRMINGHAM",
            ),
            dict(
                investigation_id="I2",
                person_id="P",
                role="VICTIM",
                home_address="12 HIGH ST",
                home_postcode="B11AA",
                home_lpa="BIRMINGHAM",
            ),
            dict(investigation_id="I3", person_id="P", role="VICTIM", home_address="9 Low Rd", home_postcode="B9 9ZZ"),
            # Q: one each -> tie -> the most recently recorded (I4) wins: 12 High St.
            dict(
                investigation_id="I1", person_id="Q", role="SUSPECT", home_address="1 Other Way", home_postcode="B2 2BB"
            ),
            dict(
                investigation_id="I4", person_id="Q", role="SUSPECT", home_address="12 High St", home_postcode="B1 1AA"
            ),
            # R: somewhere else. S: no address known.
            dict(
                investigation_id="I5", person_id="R", role="OFFENDER", home_address="5 Far Lane", home_postcode="B5 5CC"
            ),
            dict(investigation_id="I5", person_id="S", role="WITNESS"),
        ],
    )
    return inv, roles


def test_home_address_rule():
    """Most investigations wins, spelling variants count together, a tie goes to the most
    recent investigation; no recorded address = no household."""
    inv, roles = _world()
    home = home_addresses(cohort("P", "Q", "R", "S"), inv, roles)
    rows = home.select("person_id", "home_address", "investigations").rows()
    assert rows == [("P", "12 HIGH ST", 2), ("Q", "12 High St", 1), ("R", "5 Far Lane", 1), ("S", None, 0)]
    ids = dict(home.select("person_id", "household_id").rows())
    assert ids["P"] == ids["Q"] != ids["R"] and ids["S"] is None
    assert "HIGH" not in ids["P"]  # the ID is not the address


def test_household_combined_demand():
    """The household's demand is the sum of its members' Stage 1 totals."""
    inv, roles = _world()
    home = home_addresses(cohort("P", "Q", "R", "S"), inv, roles)
    totals = pl.DataFrame({"month": [M] * 3, "person_id": ["P", "Q", "R"]} | {t: [1, 2, 4] for t in TOTALS})
    totals = totals.with_columns([pl.col(t).cast(pl.Float64) for t in TOTALS if t.endswith("hours")])
    hh = households(home, totals)
    assert hh.select("members", "person_ids", "suspect_total", "subject_hours").rows() == [
        (2, "P;Q", 3, 3.0),
        (1, "R", 4, 4.0),
    ]
    assert hh.columns[:2] == ["month", "household_id"]
