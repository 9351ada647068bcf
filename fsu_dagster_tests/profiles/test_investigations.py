"""Investigation profiles (method 5.1.4 step 3, a-f)."""

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.profiles.investigations import (
    investigation_list,
    investigation_locations,
    investigation_lpas,
    investigation_outcomes,
    investigation_relationships,
    investigation_roles,
    outcomes_by_related_person,
    person_relationships,
)
from fsu_dagster_tests.profiles.frames import cohort, extract


@pytest.fixture
def world():
    inv = extract(
        "connect_investigations",
        [
            dict(
                investigation_id="I1",
                recorded_at=dt.datetime(2026, 1, 5),
                offence_code="8N",
                offence_description="Assault",
                main_group="VIOLENCE AGAINST THE PERSON",
                is_crime=True,
                outcome_code=1,
                location_address="12 High St",
                location_postcode="B1 1AA",
                location_lpa="BIRMINGHAM",
            ),
            dict(
                investigation_id="I2",
                recorded_at=dt.datetime(2026, 1, 9),
                offence_code="49",
                offence_description="Theft",
                main_group="THEFT OFFENCES",
                is_crime=True,
                location_address="3 Elm Road",
                location_postcode="B2 2BB",
                location_lpa="BIRMINGHAM",
            ),
            dict(
                investigation_id="I3",
                recorded_at=dt.datetime(2026, 2, 1),
                offence_code="NC1",
                offence_description="Concern",
                main_group="NON-CRIME",
                is_crime=False,
                outcome_code=18,
                location_address="12 high st.",
                location_postcode="b11aa",
            ),
            dict(
                investigation_id="I4",
                recorded_at=dt.datetime(2026, 2, 3),
                offence_code="58A",
                offence_description="Damage",
                main_group="CRIMINAL DAMAGE",
                is_crime=True,
                outcome_code=14,
                location_address="7 Oak Lane",
                location_postcode="B5 5CC",
                location_lpa="COVENTRY",
            ),
            dict(
                investigation_id="I5",
                recorded_at=dt.datetime(2026, 2, 3),
                offence_code="49",
                offence_description="Theft",
                main_group="THEFT OFFENCES",
                is_crime=True,
            ),
        ],
    )
    roles = extract(
        "connect_person_roles",
        [
            dict(
                investigation_id="I1",
                person_id="P",
                role="SUSPECT",
                home_address="12 High St",
                home_postcode="B1 1AA",
                home_lpa="BIRMINGHAM",
            ),
            dict(
                investigation_id="I1", person_id="V", role="VICTIM", home_address="3 Elm Road", home_postcode="B2 2BB"
            ),
            dict(investigation_id="I2", person_id="P", role="VICTIM"),
            dict(
                investigation_id="I2", person_id="Q", role="SUSPECT", home_address="7 Oak Lane", home_postcode="B5 9ZZ"
            ),
            dict(investigation_id="I3", person_id="P", role="WITNESS"),
            dict(investigation_id="I3", person_id="P", role="SUSPECT"),
            dict(investigation_id="I3", person_id="P", role="SUSPECT"),  # duplicate row
            dict(investigation_id="I4", person_id="P", role="OFFENDER"),
            dict(investigation_id="I5", person_id="Z", role="SUSPECT"),
        ],
    )
    rel = extract(
        "connect_relationships",
        [
            dict(investigation_id="I1", victim_id="V", suspect_id="P", relationship="PARENT"),  # P is V's parent
            dict(investigation_id="I2", victim_id="P", suspect_id="Q", relationship="CHILD"),  # Q is P's child
            dict(investigation_id="I5", victim_id="Y", suspect_id="Z", relationship="FRIEND"),
        ],
    )
    return inv, roles, rel


def test_roles_count_distinct_investigations(world):
    """Method 3b: a duplicated role row must not count an investigation twice (Stage 1
    counts distinct investigations too)."""
    inv, roles, _ = world
    out = investigation_roles(cohort("P"), inv, roles)
    assert out.select("role", "investigations").rows() == [
        ("OFFENDER", 1),
        ("SUSPECT", 2),
        ("VICTIM", 1),
        ("WITNESS", 1),
    ]


def test_outcome_or_main_group(world):
    """Method 3c: the outcome when there is one; the main group when there is no outcome
    or the investigation is a non-crime (even if a code is filled in)."""
    inv, roles, _ = world
    out = investigation_outcomes(cohort("P"), inv, roles)
    assert sorted(out.select("outcome_type", "outcome_code", "outcome", "investigations").rows()) == sorted(
        [
            ("OUTCOME", 1, "1: Charged/summonsed", 1),
            ("OUTCOME", 14, "14: Evidential difficulties: victim does not support action (suspect not identified)", 1),
            ("MAIN GROUP", None, "THEFT OFFENCES", 1),
            ("MAIN GROUP", None, "NON-CRIME", 1),
        ]
    )


@pytest.mark.parametrize(
    "person, expected",
    [
        # Method 3d: P is the suspect; recorded "P is V's PARENT" -> P to V: PARENT, V to P: CHILD.
        # Method 3e: P is the victim; recorded "Q is P's CHILD" -> Q to P: CHILD, P to Q: PARENT.
        ("P", [("I1", "SUSPECT/OFFENDER", "V", "PARENT", "CHILD"), ("I2", "VICTIM", "Q", "PARENT", "CHILD")]),
        # V's side of I1: V is the victim; P (suspect) is V's PARENT, so V is P's CHILD.
        ("V", [("I1", "VICTIM", "P", "CHILD", "PARENT")]),
    ],
)
def test_relationships_inverted_by_side(world, person, expected):
    """Methods 3d/3e: the recorded relationship (suspect to victim) is read from the
    cohort person's side, swapping PARENT and CHILD when they are the victim."""
    inv, _, rel = world
    out = investigation_relationships(cohort(person), rel, inv)
    assert (
        out.select("investigation_id", "side", "other_person_id", "person_to_other", "other_to_person").rows()
        == expected
    )


def test_person_relationship_table(world):
    """The relationship table says what each related person is to the cohort person."""
    inv, _, rel = world
    out = person_relationships(cohort("P", "V"), rel, inv)
    assert out.select("person_id", "related_person_id", "relationship", "investigations").rows() == [
        ("P", "Q", "CHILD", 1),
        ("P", "V", "CHILD", 1),
        ("V", "P", "PARENT", 1),
    ]


def test_outcomes_per_related_person(world):
    """Method 3f: per related person, the outcomes of the investigations that relate them."""
    inv, _, rel = world
    out = outcomes_by_related_person(cohort("P"), rel, inv)
    assert out.select("related_person_id", "relationship", "outcome", "investigations").rows() == [
        ("Q", "CHILD", "THEFT OFFENCES", 1),
        ("V", "CHILD", "1: Charged/summonsed", 1),
    ]


def test_locations_own_and_related_homes(world):
    """Method 3a: spelling variants of one address fall together; an address is the home of
    a related person when it matches a home recorded for them (postcodes must agree when
    both are known: Q's recorded home has another postcode, so I4's location is not it)."""
    inv, roles, rel = world
    out = investigation_locations(cohort("P"), inv, roles, rel)
    assert out.select(
        "location_address", "investigations", "is_own_home", "is_related_home", "related_relationships"
    ).rows() == [
        ("12 High St", 2, True, False, None),
        ("3 Elm Road", 1, False, True, "CHILD"),
        ("7 Oak Lane", 1, False, False, None),
    ]


def test_locations_by_lpa(world):
    """The LPA chart: unknown LPA is shown, not dropped."""
    inv, roles, _ = world
    out = investigation_lpas(cohort("P"), inv, roles)
    assert out.select("location_lpa", "investigations").rows() == [
        ("BIRMINGHAM", 2),
        ("COVENTRY", 1),
        ("NOT RECORDED", 1),
    ]


def test_investigation_list(world):
    """The details page lists each investigation once per person, with all their roles."""
    inv, roles, _ = world
    out = investigation_list(cohort("P"), inv, roles)
    assert out.select("investigation_id", "roles").rows() == [
        ("I1", "SUSPECT"),
        ("I2", "VICTIM"),
        ("I3", "SUSPECT;WITNESS"),
        ("I4", "OFFENDER"),
    ]
    assert out.filter(pl.col("investigation_id") == "I1").get_column("home_address").item() == "12 High St"
