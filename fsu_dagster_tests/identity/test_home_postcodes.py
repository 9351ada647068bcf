"""Address evidence in ControlWorks linking: the log's location postcode against the home
postcodes Connect recorded for each person (``connect_person_roles``).

Most incidents happen at the subject's or the caller's home, so a log at a person's
recorded home is real evidence that the named person is them; it is what lets a
mention without a date of birth be told apart from a namesake. But an incident
elsewhere must not count against a strong name-and-DOB match, relatives who share the
home must not be mistaken for each other, and exact mode (the method's rule) must
never look at addresses.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fsu_dagster.identity.controlworks import home_postcodes, link_controlworks
from fsu_dagster.identity.linker import link_records

D = dt.date
T = dt.datetime

_SYL = ["BA", "KE", "LO", "MI", "NU", "RA", "SO", "TE", "VI", "ZO", "DA", "FE", "GI", "HO", "JU"]


def _filler(n: int = 2000, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` unrelated people (invented names, one home each), so that the index is the
    size of a small real one and the model's term frequencies are meaningful."""
    rng = np.random.default_rng(seed)

    def name() -> str:
        return "".join(rng.choice(_SYL, 3))

    pids = [f"F{i}" for i in range(n)]
    persons = pl.DataFrame(
        {
            "person_id": pids,
            "forename": [name() for _ in range(n)],
            "surname": [name() for _ in range(n)],
            "dob": [D(1940, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365 * 60, n)],
            "pnc_id": [None] * n,
            "phone_number": [None] * n,
        },
        schema_overrides={"pnc_id": pl.String, "phone_number": pl.String},
    )
    roles = pl.DataFrame(
        {
            "investigation_id": [f"I{i}" for i in range(n)],
            "person_id": pids,
            "role": ["WITNESS"] * n,
            "home_postcode": [
                f"DY{rng.integers(1, 99)} {rng.integers(0, 9)}{''.join(rng.choice(list('ABDEFGHJ'), 2))}"
                for _ in range(n)
            ],
        }
    )
    return persons, roles


FILLER_PERSONS, FILLER_ROLES = _filler()

# Two namesakes, living at different addresses; the older one has a second recorded home.
PERSONS = pl.concat(
    [
        FILLER_PERSONS,
        pl.DataFrame(
            {
                "person_id": ["A", "B"],
                "forename": ["Laura", "Laura"],
                "surname": ["Begum", "Begum"],
                "dob": [D(1990, 4, 2), D(1972, 11, 30)],
                "pnc_id": [None, None],
                "phone_number": [None, None],
            },
            schema=FILLER_PERSONS.schema,
        ),
    ]
)
ROLES = pl.concat(
    [
        FILLER_ROLES,
        pl.DataFrame(
            {
                "investigation_id": ["I-A", "I-B1", "I-B2"],
                "person_id": ["A", "B", "B"],
                "role": ["VICTIM", "VICTIM", "SUSPECT"],
                "home_postcode": ["B65 2YS", "ws1 4ab", "WS2 7QT"],
            }
        ),
    ]
)


def _log(forename, surname, dob, postcode, incident_id="L1") -> pl.DataFrame:
    """One log whose subject is the given person, at ``postcode``; no originator."""
    return pl.DataFrame(
        {
            "incident_id": [incident_id],
            "created_at": [T(2026, 3, 4, 12)],
            "location_postcode": [postcode],
            "originator_forename": [None],
            "originator_surname": [None],
            "originator_dob": [None],
            "originator_pnc_id": [None],
            "originator_phone": [None],
            "subject_forename": [forename],
            "subject_surname": [surname],
            "subject_dob": [dob],
            "subject_pnc_id": [None],
        },
        schema_overrides={
            c: pl.String
            for c in (
                "originator_forename",
                "originator_surname",
                "originator_pnc_id",
                "originator_phone",
                "subject_pnc_id",
                "location_postcode",
            )
        }
        | {"originator_dob": pl.Date, "subject_dob": pl.Date},
    )


def _subject_link(logs: pl.DataFrame, **kw) -> dict | None:
    out = link_controlworks(logs, PERSONS, cluster=False, **kw).filter(pl.col("role") == "subject")
    assert out.height <= 1
    return out.row(0, named=True) if out.height else None


@pytest.mark.parametrize(
    "postcode, person",
    [
        ("B65 2YS", "A"),  # at A's home
        ("b652ys", "A"),  # as typed: case and spacing do not matter
        ("WS1 4AB", "B"),  # at B's home
        ("WS2 7QT", "B"),  # at B's other recorded home
    ],
)
def test_home_postcode_decides_between_namesakes_without_dob(postcode, person):
    """Two Laura Begums and no DOB on the log: the incident at one's recorded home links
    it to her; without the address evidence the mention is ambiguous and stays unlinked."""
    logs = _log("Laura", "Begum", None, postcode)
    got = _subject_link(logs, person_roles=ROLES)
    assert got is not None and got["person_id"] == person
    assert "postcode=exact" in got["reason"]
    assert _subject_link(logs) is None


def test_incident_elsewhere_links_nobody_without_dob():
    """A no-DOB mention at neither namesake's home stays ambiguous: address evidence only
    helps when it points at one person."""
    assert _subject_link(_log("Laura", "Begum", None, "DY1 1AA"), person_roles=ROLES) is None


@pytest.mark.parametrize("dob, person", [(D(1990, 4, 2), "A"), (D(1972, 11, 30), "B")])
def test_incident_away_from_home_does_not_block_a_strong_link(dob, person):
    """Most incidents are not at the named person's home: name + DOB still links, even when
    the log's postcode is the *other* namesake's home."""
    other_home = "WS1 4AB" if person == "A" else "B65 2YS"
    for postcode in ("DY1 1AA", other_home):
        got = _subject_link(_log("Laura", "Begum", dob, postcode), person_roles=ROLES)
        assert got is not None and got["person_id"] == person, postcode


def test_exact_mode_ignores_postcode():
    """Exact mode is the method's rule: addresses change nothing, and a DOB-less mention
    is never linked however well its postcode fits."""
    for logs in (_log("Laura", "Begum", None, "B65 2YS"), _log("Laura", "Begum", D(1990, 4, 2), "WS1 4AB")):
        with_roles = link_controlworks(logs, PERSONS, mode="exact", person_roles=ROLES)
        assert with_roles.equals(link_controlworks(logs, PERSONS, mode="exact"))
    assert (
        link_controlworks(_log("Laura", "Begum", None, "B65 2YS"), PERSONS, mode="exact", person_roles=ROLES).height
        == 0
    )
    got = link_controlworks(_log("Laura", "Begum", D(1990, 4, 2), "WS1 4AB"), PERSONS, mode="exact", person_roles=ROLES)
    assert got["person_id"].to_list() == ["A"] and got["reason"].to_list() == ["name_dob"]


HOUSEHOLD = pl.DataFrame(
    {
        "person_id": ["J1", "J2"],
        "forename": ["John", "John"],
        "surname": ["Smith", "Smith"],
        "dob": [D(1961, 5, 1), D(1990, 8, 12)],
        "pnc_id": [None, None],
        "phone": ["01214960000", "01214960000"],
        "postcode": ["B15 2TT", "B15 2TT"],
    }
)


def _q(row: dict) -> pl.DataFrame:
    return pl.DataFrame(
        [{"record_id": 1, "pnc_id": None, **row}],
        schema={
            "record_id": pl.Int64,
            "pnc_id": pl.String,
            "forename": pl.String,
            "surname": pl.String,
            "dob": pl.Date,
            "phone": pl.String,
            "postcode": pl.String,
        },
    )


@pytest.mark.parametrize(
    "row",
    [
        # His wife, not in the index: same surname, landline and address, another forename and DOB.
        {"forename": "Mary", "surname": "Smith", "dob": D(1963, 2, 2), "phone": "01214960000", "postcode": "B15 2TT"},
        # A daughter with no DOB taken, ringing from home.
        {"forename": "Kelly", "surname": "Smith", "dob": None, "phone": "01214960000", "postcode": "B15 2TT"},
    ],
)
def test_relative_not_in_the_index_is_not_linked_to_one_who_is(row):
    """Surname, landline and postcode shared by a household are one piece of evidence
    ("lives there"), not three independent ones: counted separately they outweigh a
    plainly different forename and DOB, and the wife would be linked to her husband."""
    assert link_records(_q(row), HOUSEHOLD.filter(pl.col("person_id") == "J1")).height == 0


def test_namesakes_sharing_a_home_stay_apart_without_dob():
    """ "John Smith" at home with no DOB: father or son? Nothing says, so nobody is linked;
    with only the father in the index, the address points at him."""
    row = {"forename": "John", "surname": "Smith", "dob": None, "phone": None, "postcode": "B15 2TT"}
    assert link_records(_q(row), HOUSEHOLD).height == 0
    got = link_records(_q(row), HOUSEHOLD.filter(pl.col("person_id") == "J1"))
    assert got["person_id"].to_list() == ["J1"] and "postcode=exact" in got["reason"][0]


def test_household_member_with_dob_still_links():
    """The household rule does not stop the right person being found: the son's own
    name and DOB at the family home link to him."""
    q = pl.DataFrame(
        {
            "record_id": [1],
            "forename": ["John"],
            "surname": ["Smith"],
            "dob": [D(1990, 8, 12)],
            "pnc_id": [None],
            "phone": ["01214960000"],
            "postcode": ["B15 2TT"],
        },
        schema_overrides={"pnc_id": pl.String},
    )
    got = link_records(q, HOUSEHOLD)
    assert got["person_id"].to_list() == ["J2"]


def test_home_postcodes_normalises_and_keeps_every_home():
    """Every distinct recorded home per person, in the normal form; blanks dropped."""
    roles = pl.DataFrame(
        {"person_id": ["P1", "P1", "P1", "P2", "P3"], "home_postcode": ["b15 2tt", "B152TT", "WS1 4AB", None, " "]}
    )
    got = home_postcodes(roles)
    assert got.rows() == [("P1", "B152TT"), ("P1", "WS14AB")]
    assert home_postcodes(pl.DataFrame({"person_id": ["P1"]})).height == 0
