"""ControlWorks profiles (method 5.1.4 step 4, a-j), caller relationships above all."""

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.profiles.controlworks import (
    caller_relationships,
    cw_caller_relationship_counts,
    cw_incident_types,
    cw_locations,
    cw_log_list,
    cw_log_types,
    cw_resource_groups,
    cw_response_grades,
    cw_summary,
)
from fsu_dagster.profiles.investigations import person_relationships
from fsu_dagster_tests.profiles.frames import cohort, cw_logs, extract, links, ts

D = dt.date


def _persons():
    rows = [
        ("P", "John", "Smith", D(1980, 1, 1), "0121 496 0000"),
        ("P", "Jon", "Smith", D(1980, 1, 1), None),
        ("R", "Mary", "Smith", D(1982, 2, 2), "07700 900001"),  # P's partner
        ("K", "Kevin", "Brown", D(1990, 3, 3), "07700 900002"),  # on Connect, not related to P
        ("S", "Sara", "Smith", D(1985, 5, 5), None),  # P's sibling
        ("A", "Amy", "Jones", D(1970, 1, 1), "07700 900003"),  # A and B share a phone
        ("B", "Bob", "Jones", D(1971, 1, 1), "07700 900003"),
    ]
    return extract(
        "connect_persons",
        [dict(zip(("person_id", "forename", "surname", "dob", "phone_number"), r, strict=True)) for r in rows],
    )


def _relationships(coh):
    rel = extract(
        "connect_relationships",
        [
            dict(investigation_id="I1", victim_id="P", suspect_id="R", relationship="PARTNER"),
            dict(investigation_id="I2", victim_id="S", suspect_id="P", relationship="SIBLING"),
        ],
    )
    inv = extract(
        "connect_investigations",
        [dict(investigation_id="I1", recorded_at=ts(1)), dict(investigation_id="I2", recorded_at=ts(2))],
    )
    return person_relationships(coh, rel, inv)


def _orig(fn, sn, dob, phone=None, **kw):
    return dict(originator_forename=fn, originator_surname=sn, originator_dob=dob, originator_phone=phone, **kw)


CASES = [
    # incident, originator on the log, expected (caller_person_id, caller_relationship, rule)
    ("L02", _orig("Mary", "Smith", D(1982, 2, 2), "+44 7700 900001"), ("R", "PARTNER", "PHONE")),
    ("L03", _orig("JOHN", "smith", D(1980, 1, 1), "01214960000"), ("P", "SELF", "PHONE")),
    ("L04", _orig("Kevin", "Brown", D(1990, 3, 3), "07700900002"), ("K", "RELATIONSHIP UNKNOWN", "PHONE")),
    ("L05", _orig("Jon", "Smith", D(1980, 1, 1)), ("P", "SELF", "NAME_DOB_SELF")),
    ("L06", _orig("Sara", "Smith", D(1985, 5, 5), "07000 000000"), ("S", "SIBLING", "NAME_DOB_RELATED")),
    # K's phone, but the name is Mary's: the phone is not confirmed, the name finds R.
    ("L07", _orig("Mary", "Smith", D(1982, 2, 2), "07700900002"), ("R", "PARTNER", "NAME_DOB_RELATED")),
    ("L08", _orig("Someone", "Else", D(1999, 9, 9)), (None, "RELATIONSHIP UNKNOWN", "NONE")),
    # A shared phone: the name and DOB pick out A.
    ("L09", _orig("Amy", "Jones", D(1970, 1, 1), "07700 900003"), ("A", "RELATIONSHIP UNKNOWN", "PHONE")),
    ("L10", _orig(None, None, None), (None, "RELATIONSHIP UNKNOWN", "NONE")),
    # Right name, wrong DOB: no match.
    ("L11", _orig("Mary", "Smith", D(1982, 2, 3)), (None, "RELATIONSHIP UNKNOWN", "NONE")),
]


@pytest.fixture
def cw_world():
    logs = [dict(incident_id="L01", **_orig("John", "Smith", D(1980, 1, 1)))]
    logs += [dict(incident_id=i, **o) for i, o, _ in CASES]
    # CW-only person C calls about themself: originator = subject as typed on the log.
    logs.append(
        dict(
            incident_id="L20",
            **_orig("Cara", "Cole", D(2001, 4, 4)),
            subject_forename="CARA",
            subject_surname="cole",
            subject_dob=D(2001, 4, 4),
        )
    )
    logs.append(dict(incident_id="L21"))  # P both originator and subject
    lk = [("L01", "originator", "P")] + [(i, "subject", "P") for i, _, _ in CASES]
    lk += [
        ("L20", "subject", "CW:C"),
        ("L21", "originator", "P"),
        ("L21", "subject", "P"),
        ("L99", "subject", "P"),
    ]  # L99: pre-planned, not in cw_logs
    coh = cohort("P", "CW:C")
    return coh, links(lk), cw_logs(logs), _persons(), _relationships(coh)


@pytest.mark.parametrize("incident, expected", [(i, e) for i, _, e in CASES])
def test_caller_relationship_rules(cw_world, incident, expected):
    """Method 4b: phone confirmed by name and DOB first, then the person themself, then
    the relationship table by name and DOB, else RELATIONSHIP UNKNOWN. Each case shows
    one rule deciding (or declining) the caller."""
    coh, lk, logs, persons, rel = cw_world
    out = caller_relationships(coh, lk, logs, persons, rel)
    row = out.filter(pl.col("incident_id") == incident)
    assert row.height == 1
    assert row.select("caller_person_id", "caller_relationship", "rule").row(0) == expected


@pytest.mark.parametrize(
    "incident, person, expected",
    [
        ("L01", "P", ("P", "SELF", "ORIGINATOR")),
        ("L21", "P", ("P", "SELF", "ORIGINATOR")),
        ("L20", "CW:C", ("CW:C", "SELF", "NAME_DOB_SELF")),
    ],
)
def test_caller_is_self(cw_world, incident, person, expected):
    """The person is the caller when linked as originator, or (for a ControlWorks-only
    person with no Connect record) when the originator typed is the log's subject."""
    coh, lk, logs, persons, rel = cw_world
    out = caller_relationships(coh, lk, logs, persons, rel)
    row = out.filter((pl.col("incident_id") == incident) & (pl.col("person_id") == person))
    assert row.select("caller_person_id", "caller_relationship", "rule").rows() == [expected]


def test_caller_relationships_cover_every_log_once(cw_world):
    """Every log of a person gets exactly one caller relationship; pre-planned logs (absent
    from cw_logs) get none; the counts table adds up to the person's logs."""
    coh, lk, logs, persons, rel = cw_world
    out = caller_relationships(coh, lk, logs, persons, rel)
    assert out.filter(pl.col("person_id") == "P").height == 12
    assert "L99" not in out.get_column("incident_id").to_list()
    counts = cw_caller_relationship_counts(out)
    assert dict(counts.filter(pl.col("person_id") == "P").select("caller_relationship", "logs").rows()) == {
        "SELF": 4,
        "PARTNER": 2,
        "SIBLING": 1,
        "RELATIONSHIP UNKNOWN": 5,
    }


@pytest.fixture
def cost_world():
    logs = cw_logs(
        [
            dict(
                incident_id="L1",
                log_type="INCIDENT",
                call_id="A1",
                hours=3.0,
                n_resources=2,
                response_grade="P1",
                incident_type="DOMESTIC INCIDENT",
                location_address="1 Main St",
                location_postcode="B1 1AA",
                location_lpa="BIRMINGHAM",
            ),
            dict(
                incident_id="L2",
                log_type="ROC",
                call_id="A1",
                hours=0.0,
                n_resources=0,
                incident_type="DOMESTIC INCIDENT",
                location_address="1 MAIN ST",
                location_postcode="B11AA",
                location_lpa="BIRMINGHAM",
            ),
            dict(incident_id="L3", log_type="INCIDENT", call_id="A2", hours=1.5, n_resources=1, response_grade="P2"),
            dict(incident_id="L4", log_type="INCIDENT", call_id="A3", hours=0.0, n_resources=0, response_grade="P2"),
            dict(incident_id="L5", log_type="INCIDENT", hours=9.0, n_resources=1),  # someone else's
        ]
    )
    lk = links(
        [
            ("L1", "originator", "P"),
            ("L2", "subject", "P"),
            ("L3", "subject", "P"),
            ("L4", "subject", "P"),
            ("L5", "subject", "Z"),
        ]
    )
    res = extract(
        "cw_resources",
        [
            dict(
                incident_id="L1",
                resource_id="R1",
                resource_group="RESPONSE",
                assigned_at=ts(1, 10),
                arrived_at=dt.datetime(2026, 2, 1, 10, 30),
                released_at=ts(1, 12),
            ),
            dict(
                incident_id="L1",
                resource_id="R2",
                resource_group="RESPONSE",
                deployed_at=ts(1, 11),
                released_at=ts(1, 12),
            ),
            dict(
                incident_id="L3",
                resource_id="R3",
                resource_group="CID",
                arrived_at=ts(2, 9),
                released_at=dt.datetime(2026, 2, 2, 10, 30),
            ),
            dict(
                incident_id="L3", resource_id="R3", resource_group="CID", assigned_at=ts(2, 12), released_at=ts(2, 11)
            ),  # negative -> 0
            dict(
                incident_id="L5", resource_id="R9", resource_group="DOGS", assigned_at=ts(3, 1), released_at=ts(3, 10)
            ),
        ],
    )
    avaya = extract(
        "avaya_calls",
        [
            dict(call_id="A1", started_at=ts(1), duration_seconds=600, line="999"),
            dict(call_id="A2", started_at=ts(2), line="101"),
        ],
    )
    return cohort("P", "Q"), lk, logs, res, avaya


def test_summary_counts_and_handling_time(cost_world):
    """Methods 4a, 4c, 4d, 4h: logs, incidents vs RoCs, attended logs and Avaya handling
    time (one call raising two logs counts once; a call without duration counts 0 s)."""
    coh, lk, logs, res, avaya = cost_world
    s = cw_summary(coh, lk, logs, res, avaya)
    assert s.drop("month").rows(named=True) == [
        dict(
            person_id="P",
            logs=4,
            originator_logs=1,
            subject_logs=3,
            incidents=3,
            rocs=1,
            logs_with_resources=2,
            logs_attended=2,
            resource_hours=4.5,
            calls=2,
            handling_seconds=600,
            handling_hours=600 / 3600,
        ),
        dict(
            person_id="Q",
            logs=0,
            originator_logs=0,
            subject_logs=0,
            incidents=0,
            rocs=0,
            logs_with_resources=0,
            logs_attended=0,
            resource_hours=0.0,
            calls=0,
            handling_seconds=0,
            handling_hours=0.0,
        ),
    ]


def test_resource_groups_units_and_hours(cost_world):
    """Methods 4i, 4j: every assignment row is a unit; hours follow Stage 1 (start =
    earliest of assigned/deployed/arrived, end = released, never negative)."""
    coh, lk, logs, res, _ = cost_world
    out = cw_resource_groups(coh, lk, logs, res)
    assert out.select(
        "person_id", "resource_group", "logs", "logs_attended", "units", "distinct_resources", "hours"
    ).rows() == [
        ("P", "CID", 1, 1, 2, 1, 1.5),
        ("P", "RESPONSE", 1, 1, 2, 2, 3.0),
    ]


def test_types_grades_locations(cost_world):
    """Methods 4d-4g: charts of log types, incident types, grades (null shown) and locations
    (spelling variants of one address fall together)."""
    coh, lk, logs, _, _ = cost_world
    assert cw_log_types(coh, lk, logs).select("log_type", "logs").rows() == [("INCIDENT", 3), ("ROC", 1)]
    assert cw_incident_types(coh, lk, logs).select("incident_type", "logs", "incidents", "rocs").rows() == [
        ("CONCERN FOR SAFETY", 2, 2, 0),
        ("DOMESTIC INCIDENT", 2, 1, 1),
    ]
    assert cw_response_grades(coh, lk, logs).select("response_grade", "logs").rows() == [
        ("NOT RECORDED", 1),
        ("P1", 1),
        ("P2", 2),
    ]
    loc = cw_locations(coh, lk, logs)
    assert loc.select("location_address", "location_lpa", "logs").rows() == [
        ("1 MAIN ST", "BIRMINGHAM", 2),
        (None, None, 2),
    ]
    assert cw_log_list(coh, lk, logs).get_column("incident_id").to_list() == ["L1", "L2", "L3", "L4"]
