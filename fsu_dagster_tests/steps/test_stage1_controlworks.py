"""ControlWorks logs, resource hours and person linking (data contract section 3)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.identity import controlworks_linker, controlworks_mentions, identity_index, link_controlworks
from fsu_dagster.stage1 import controlworks_logs, resource_hours
from fsu_dagster_tests.steps.stage1_frames import M, frame, incidents, resources, ts


@pytest.mark.parametrize(
    ("assigned", "deployed", "arrived", "released", "hours"),
    [
        (ts(1, 1), ts(1, 2), ts(1, 3), ts(1, 5), 4.0),  # start = assigned (earliest)
        (ts(1, 3), ts(1, 1), ts(1, 2), ts(1, 5), 4.0),  # start = deployed when it is earliest
        (None, None, ts(1, 2), ts(1, 5), 3.0),  # only arrived known
        (None, ts(1, 2.5), None, ts(1, 3), 0.5),
        (ts(1, 1), None, None, None, 0.0),  # null release -> 0
        (None, None, None, ts(1, 5), 0.0),  # no start -> 0
        (ts(1, 5), None, None, ts(1, 1), 0.0),  # negative -> 0
        (ts(1, 0), None, None, ts(3, 0), 48.0),  # no cap on resource hours
        (ts(1, 0), None, None, ts(1, 0) + dt.timedelta(minutes=1), 1 / 60),
    ],
)
def test_resource_hours(assigned, deployed, arrived, released, hours):
    """A resource's time runs from its first of assigned/deployed/arrived to release, never negative."""
    r = resources(
        [dict(incident_id="I1", assigned_at=assigned, deployed_at=deployed, arrived_at=arrived, released_at=released)]
    )
    assert resource_hours(r).get_column("hours").item() == pytest.approx(hours, abs=1e-12)


def test_controlworks_logs_sum_and_exclusion():
    """A log's hours sum every resource row (repeats count); pre-planned logs vanish with their resources."""
    inc = incidents(
        [
            dict(incident_id="I1"),
            dict(incident_id="I2"),
            dict(incident_id="I3", is_preplanned=True),
        ]
    )
    res = resources(
        [
            dict(incident_id="I1", resource_id="A", assigned_at=ts(1, 0), released_at=ts(1, 2)),
            dict(incident_id="I1", resource_id="A", assigned_at=ts(1, 3), released_at=ts(1, 4)),  # same unit again
            dict(incident_id="I1", resource_id="B", assigned_at=ts(1, 0), released_at=None),
            dict(incident_id="I3", resource_id="C", assigned_at=ts(1, 0), released_at=ts(1, 9)),
            dict(incident_id="I9", resource_id="D", assigned_at=ts(1, 0), released_at=ts(1, 9)),  # unknown log
        ]
    )
    out = controlworks_logs(inc, res, M)
    assert out.columns[0] == "month" and out.get_column("month").unique().to_list() == [M]
    assert out.select("incident_id", "hours", "n_resources").rows() == [("I1", 3.0, 3), ("I2", 0.0, 0)]
    assert out.schema["hours"] == pl.Float64 and out.schema["n_resources"] == pl.Int64


def test_controlworks_logs_keeps_landing_month():
    """The window month M replaces the landing month, which is kept as landing_month."""
    inc = (
        incidents([dict(incident_id="I1")])
        .with_columns(month=pl.lit(dt.date(2025, 5, 1)))
        .select("month", pl.exclude("month"))
    )
    out = controlworks_logs(inc, resources([]), M)
    assert out.row(0, named=True)["month"] == M
    assert out.row(0, named=True)["landing_month"] == dt.date(2025, 5, 1)


@pytest.mark.parametrize("order", [["I1", "I2", "I3"], ["I3", "I1", "I2"]], ids=["in-order", "shuffled"])
def test_controlworks_logs_come_in_incident_order(order):
    """The logs are sorted by incident, whether or not the window's incidents already were."""
    inc = incidents([dict(incident_id=i) for i in order])
    res = resources([dict(incident_id=i, resource_id="A", assigned_at=ts(1, 0), released_at=ts(1, 1)) for i in order])
    out = controlworks_logs(inc, res, M)
    assert out.get_column("incident_id").to_list() == ["I1", "I2", "I3"]
    assert out.get_column("hours").to_list() == [1.0, 1.0, 1.0]


D1 = dt.date(1990, 1, 1)


def test_mentions_one_per_role_with_details():
    """Originator and subject are separate queries; a mention with no details is not queried."""
    logs = controlworks_logs(
        incidents(
            [
                dict(incident_id="I1", originator_forename="Ann", originator_phone="0121", subject_pnc_id="07/1A"),
                dict(incident_id="I2"),
            ]
        ),
        resources([]),
    )
    m = controlworks_mentions(logs)
    assert m.select("incident_id", "role", "forename", "pnc_id", "phone").rows() == [
        ("I1", "originator", "Ann", None, "0121"),
        ("I1", "subject", None, "07/1A", None),
    ]
    assert m.get_column("record_id").is_unique().all()


def test_link_controlworks_exact():
    """Both roles are linked independently; the result names the log and the role."""
    persons = frame(
        "connect_persons",
        [
            dict(person_id="P1", forename="Ann", surname="Lee", dob=D1),
            dict(person_id="P2", forename="Bob", surname="Ray", dob=D1, pnc_id="07/2B"),
        ],
    )
    logs = controlworks_logs(
        incidents(
            [
                dict(
                    incident_id="I1",
                    originator_forename="ann",
                    originator_surname="LEE",
                    originator_dob=D1,
                    subject_pnc_id="07/2b",
                ),
                dict(incident_id="I2", subject_forename="Ann", subject_surname="Lee", subject_dob=D1),
                dict(
                    incident_id="I3", is_preplanned=True, subject_forename="Ann", subject_surname="Lee", subject_dob=D1
                ),
            ]
        ),
        resources([]),
    )
    out = link_controlworks(logs, identity_index(persons, M), mode="exact")
    assert out.equals(controlworks_linker("exact")(logs, identity_index(persons, M)))
    assert out.columns == ["incident_id", "role", "person_id", "score", "reason"]
    assert out.rows() == [
        ("I1", "originator", "P1", 1.0, "name_dob"),
        ("I1", "subject", "P2", 1.0, "pnc"),
        ("I2", "subject", "P1", 1.0, "name_dob"),
    ]


def test_link_mode_picks_the_linking_function():
    """One place maps a link mode to its function: fuzzy forgives a typo exact does not; an
    unknown mode is refused."""
    persons = frame("connect_persons", [dict(person_id="P1", forename="Annabel", surname="Leighton", dob=D1)])
    logs = controlworks_logs(
        incidents([dict(incident_id="I1", subject_forename="Annabel", subject_surname="Leighten", subject_dob=D1)]),
        resources([]),
    )
    index = identity_index(persons, M)
    assert controlworks_linker("exact")(logs, index).height == 0
    fuzzy = controlworks_linker("fuzzy")(logs, index)
    assert fuzzy.select("incident_id", "role", "person_id").rows() == [("I1", "subject", "P1")]
    with pytest.raises(ValueError, match="link mode"):
        controlworks_linker("closest")
