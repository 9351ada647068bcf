"""Harm caused / received from the Cambridge Crime Harm Index (data contract section 4)."""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster.stage1 import person_harm, unrated_offence_codes
from fsu_dagster_tests.steps.stage1_frames import M, investigations, roles, ts

CCHI = pl.DataFrame({"offence_code": ["8A", "28E", "105A"], "harm_days": [365.0, 10.0, 1.5]})

INVESTIGATIONS = investigations(
    [
        ("C1", ts(1), "8A"),
        ("C2", ts(2), "28e "),  # matched after trim / upper case
        ("C3", ts(3), "999Z"),  # no harm value
        ("C4", ts(4), "105A"),
    ]
)


def universe(*people: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"month": [M] * len(people), "person_id": list(people)}, schema={"month": pl.Date, "person_id": pl.String}
    )


@pytest.mark.parametrize(
    ("role_rows", "caused", "received"),
    [
        ([("C1", "P1", "SUSPECT")], 365.0, 0.0),
        ([("C1", "P1", "SUSPECT"), ("C1", "P1", "OFFENDER")], 365.0, 0.0),  # both roles: counted once
        ([("C1", "P1", "SUSPECT"), ("C1", "P1", "SUSPECT")], 365.0, 0.0),  # duplicate row: once
        ([("C1", "P1", "OFFENDER"), ("C2", "P1", "SUSPECT")], 375.0, 0.0),
        ([("C1", "P1", "VICTIM"), ("C4", "P1", "VICTIM"), ("C4", "P1", "VICTIM")], 0.0, 366.5),
        ([("C1", "P1", "SUSPECT"), ("C1", "P1", "VICTIM")], 365.0, 365.0),  # caused and received both
        ([("C3", "P1", "SUSPECT")], 0.0, 0.0),  # unrated code counts 0
        ([("C1", "P1", "WITNESS")], 0.0, 0.0),
        ([("C9", "P1", "SUSPECT")], 0.0, 0.0),  # investigation not in the extract
    ],
)
def test_person_harm(role_rows, caused, received):
    """Harm sums each distinct investigation once per side; codes without a harm value add 0."""
    out = person_harm(roles(role_rows), INVESTIGATIONS, CCHI, universe("P1", "P2"))
    assert out.columns == ["month", "person_id", "harm_caused", "harm_received"]
    assert out.rows() == [(M, "P1", caused, received), (M, "P2", 0.0, 0.0)]


def test_unrated_offence_codes_reported():
    """Investigations whose code has no harm value are counted per code so they can be reported."""
    r = roles(
        [
            ("C3", "P1", "SUSPECT"),
            ("C3", "P2", "VICTIM"),  # same investigation: counted once
            ("C1", "P1", "SUSPECT"),  # rated
            ("C9", "P3", "VICTIM"),  # not in the extract: null code
            ("C5", "P4", "WITNESS"),  # not counted for harm
        ]
    )
    out = unrated_offence_codes(r, INVESTIGATIONS, CCHI)
    assert out.rows() == [("999Z", 1), (None, 1)]


def test_conflicting_cchi_rows_rejected():
    """Two different harm values for one code would make harm depend on row order: refuse."""
    bad = pl.DataFrame({"offence_code": ["8A", "8a"], "harm_days": [1.0, 2.0]})
    with pytest.raises(ValueError, match="conflicting"):
        person_harm(roles([("C1", "P1", "SUSPECT")]), INVESTIGATIONS, bad, universe("P1"))
