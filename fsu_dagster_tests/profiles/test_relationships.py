"""The relationship inversion table and the per-person relationship table."""

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.profiles.relationships import INVERSE, invert_relationship, relationship_pairs, relationship_table
from fsu_dagster_tests.profiles.frames import extract


@pytest.mark.parametrize(
    "recorded, inverse",
    [
        ("PARENT", "CHILD"),
        ("CHILD", "PARENT"),
        ("PARTNER", "PARTNER"),
        ("EX-PARTNER", "EX-PARTNER"),
        ("SIBLING", "SIBLING"),
        ("OTHER FAMILY", "OTHER FAMILY"),
        ("FRIEND", "FRIEND"),
        ("ACQUAINTANCE", "ACQUAINTANCE"),
        ("NEIGHBOUR", "NEIGHBOUR"),
        ("STRANGER", "STRANGER"),
        ("PROFESSIONAL", "PROFESSIONAL"),
        ("UNKNOWN", "UNKNOWN"),
        (" parent ", "CHILD"),  # trimmed, case-insensitive
        ("COUSIN", "UNKNOWN"),  # outside the enum: cannot be read backwards safely
        (None, None),
    ],
)
def test_invert_relationship(recorded, inverse):
    """Reading a relationship from the victim's side must swap PARENT and CHILD and keep
    symmetric ones; a wrong inversion would tell an officer a child is the parent."""
    out = pl.DataFrame({"r": [recorded]}, schema={"r": pl.String}).select(invert_relationship("r")).item()
    assert out == inverse


def test_inverse_is_an_involution():
    """Inverting twice gives back the recorded value for every value in the enum."""
    assert all(INVERSE[INVERSE[r]] == r for r in INVERSE)


def _rel(rows):
    return extract(
        "connect_relationships",
        [dict(zip(("investigation_id", "victim_id", "suspect_id", "relationship"), r, strict=True)) for r in rows],
    )


def test_relationship_pairs_reads_both_sides():
    """The suspect S is the victim V's PARENT: from S's side V is S's CHILD, from V's side
    S is V's PARENT; a self-relationship row is dropped."""
    pairs = relationship_pairs(_rel([("I1", "V", "S", "PARENT"), ("I2", "X", "X", "PARTNER")])).sort("person_id")
    assert pairs.select("person_id", "side", "other_person_id", "person_to_other", "other_to_person").rows() == [
        ("S", "SUSPECT/OFFENDER", "V", "PARENT", "CHILD"),
        ("V", "VICTIM", "S", "CHILD", "PARENT"),
    ]


def test_relationship_table_prefers_known_then_most_recent():
    """PARTNER then later EX-PARTNER reads EX-PARTNER (relationships change); a later
    UNKNOWN does not override a known relationship."""
    rel = _rel(
        [
            ("I1", "V", "S", "PARTNER"),
            ("I2", "V", "S", "EX-PARTNER"),
            ("I3", "V", "S", "UNKNOWN"),
            ("I4", "V", "T", "UNKNOWN"),
        ]
    )
    inv = extract(
        "connect_investigations",
        [
            {"investigation_id": "I1", "recorded_at": dt.datetime(2026, 1, 1)},
            {"investigation_id": "I2", "recorded_at": dt.datetime(2026, 2, 1)},
            {"investigation_id": "I3", "recorded_at": dt.datetime(2026, 3, 1)},
            {"investigation_id": "I4", "recorded_at": dt.datetime(2026, 3, 1)},
        ],
    )
    table = relationship_table(relationship_pairs(rel, inv)).filter(pl.col("person_id") == "V")
    assert table.rows() == [("V", "S", "EX-PARTNER", 3), ("V", "T", "UNKNOWN", 1)]
