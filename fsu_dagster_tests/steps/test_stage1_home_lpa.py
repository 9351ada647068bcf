"""Home LPA per person (data contract section 4) and the alternative rules."""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster.stage1 import person_home_lpa
from fsu_dagster_tests.steps.stage1_frames import M, frame, investigations, roles, ts

#: C1 oldest ... C6 newest.
INVESTIGATIONS = investigations([(f"C{i}", ts(i), "8A") for i in range(1, 7)])


def universe(*people: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"month": [M] * len(people), "person_id": list(people)}, schema={"month": pl.Date, "person_id": pl.String}
    )


@pytest.mark.parametrize(
    ("role_rows", "expected"),
    [
        # Most distinct investigations wins, whatever the role.
        (
            [("C1", "P1", "SUSPECT", "DUDLEY"), ("C2", "P1", "WITNESS", "DUDLEY"), ("C6", "P1", "VICTIM", "WALSALL")],
            "DUDLEY",
        ),
        # Several rows on one investigation count once: 1 v 1 -> tie -> most recent (C6).
        (
            [("C1", "P1", "SUSPECT", "DUDLEY"), ("C1", "P1", "VICTIM", "DUDLEY"), ("C6", "P1", "VICTIM", "WALSALL")],
            "WALSALL",
        ),
        # Tie 2 v 2: the value seen on the most recently recorded investigation (C5).
        (
            [
                ("C1", "P1", "SUSPECT", "DUDLEY"),
                ("C5", "P1", "SUSPECT", "DUDLEY"),
                ("C3", "P1", "VICTIM", "WALSALL"),
                ("C4", "P1", "VICTIM", "WALSALL"),
            ],
            "DUDLEY",
        ),
        # Null LPAs do not count (2 nulls do not beat 1 known).
        (
            [("C1", "P1", "SUSPECT", None), ("C2", "P1", "SUSPECT", None), ("C3", "P1", "SUSPECT", "COVENTRY")],
            "COVENTRY",
        ),
        # Two values on the same (latest) investigation, tied: alphabetically first.
        ([("C6", "P1", "SUSPECT", "WALSALL"), ("C6", "P1", "VICTIM", "DUDLEY")], "DUDLEY"),
        # Nothing known: null.
        ([("C1", "P1", "SUSPECT", None)], None),
        ([], None),
    ],
)
def test_most_investigations_rule(role_rows, expected):
    """The contract's rule: the LPA on most distinct investigations, ties to the most recent."""
    out = person_home_lpa(roles(role_rows), INVESTIGATIONS, universe("P1"))
    assert out.columns == ["month", "person_id", "home_lpa", "home_lpa_rule"]
    assert out.rows() == [(M, "P1", expected, "most_investigations")]


def test_only_universe_persons_one_row_each():
    """One row per universe person; persons outside the universe are left out."""
    r = roles([("C1", "P1", "SUSPECT", "DUDLEY"), ("C1", "PX", "WITNESS", "SANDWELL")])
    out = person_home_lpa(r, INVESTIGATIONS, universe("P1", "P2"))
    assert out.select("person_id", "home_lpa").rows() == [("P1", "DUDLEY"), ("P2", None)]


ROLE_ROWS = [
    ("C1", "P1", "SUSPECT", "DUDLEY"),
    ("C2", "P1", "SUSPECT", "DUDLEY"),
    ("C6", "P1", "VICTIM", "WALSALL"),
    ("C1", "P2", "SUSPECT", "SOLIHULL"),
]


def test_most_recent_investigation_rule():
    """Alternative: the LPA on the most recent investigation with a known LPA."""
    out = person_home_lpa(roles(ROLE_ROWS), INVESTIGATIONS, universe("P1", "P2"), rule="most_recent_investigation")
    assert out.select("person_id", "home_lpa", "home_lpa_rule").rows() == [
        ("P1", "WALSALL", "most_recent_investigation"),
        ("P2", "SOLIHULL", "most_recent_investigation"),
    ]


def test_most_recent_missing_rule_with_fallback():
    """Alternative: where last reported missing; people never reported missing fall back to the contract rule."""
    missing = frame(
        "compact_missing",
        [
            dict(report_id="M1", person_id="P1", reported_at=ts(1), location_lpa="COVENTRY"),
            dict(report_id="M2", person_id="P1", reported_at=ts(9), location_lpa="BIRMINGHAM"),
            dict(report_id="M3", person_id="P1", reported_at=ts(20), location_lpa=None),  # unknown: skipped
            dict(report_id="M4", person_id=None, reported_at=ts(9), location_lpa="SOLIHULL"),
        ],
    )
    out = person_home_lpa(
        roles(ROLE_ROWS), INVESTIGATIONS, universe("P1", "P2", "P3"), rule="most_recent_missing", missing=missing
    )
    assert out.select("person_id", "home_lpa", "home_lpa_rule").rows() == [
        ("P1", "BIRMINGHAM", "most_recent_missing"),
        ("P2", "SOLIHULL", "most_investigations"),
        ("P3", None, "most_investigations"),
    ]


def test_unknown_rule_rejected():
    """A misspelt rule must fail loudly rather than silently use another rule."""
    with pytest.raises(ValueError, match="unknown home LPA rule"):
        person_home_lpa(roles(ROLE_ROWS), INVESTIGATIONS, universe("P1"), rule="nearest")
