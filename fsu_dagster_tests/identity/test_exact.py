"""Exact linking of ControlWorks people to Connect persons (data contract section 3).

The exact rule is the method's own: it must link exactly what the contract says, no
more and no less, because an independent implementation is compared with ours.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.identity.exact import link_exact
from fsu_dagster.identity.normal_forms import normalise_name, normalise_pnc

D1 = dt.date(1990, 1, 1)
D2 = dt.date(1985, 6, 30)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("smith", "SMITH"),
        ("O'Brien", "OBRIEN"),
        ("Smith-Jones", "SMITHJONES"),
        ("  mc donald ", "MCDONALD"),
        ("José", "JOS"),  # É is not in A–Z: dropped, not transliterated
        ("Zoë", "ZO"),
        ("Strauß", "STRAUSS"),  # full Unicode upper-casing before the A–Z filter
        ("J0hn", "JHN"),
        ("---", None),  # normalises to empty -> missing
        ("", None),
        ("Łukasz", "UKASZ"),
        (None, None),
    ],
)
def test_normalise_name(raw, expected):
    """Names match on upper case A–Z only; a name with no A–Z letters is missing, not ''."""
    out = pl.DataFrame({"n": [raw]}, schema={"n": pl.String}).select(normalise_name("n")).item()
    assert out == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07/123456x", "07/123456X"),
        (" 07/ 123456 X ", "07/123456X"),
        ("07/123456X", "07/123456X"),
        ("   ", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_pnc(raw, expected):
    """PNC IDs compare upper case with spaces removed; other characters (the slash) stay."""
    out = pl.DataFrame({"p": [raw]}, schema={"p": pl.String}).select(normalise_pnc("p")).item()
    assert out == expected


INDEX_SCHEMA = {
    "person_id": pl.String,
    "forename": pl.String,
    "surname": pl.String,
    "dob": pl.Date,
    "pnc_id": pl.String,
}
QUERY_SCHEMA = {"record_id": pl.Int64, "forename": pl.String, "surname": pl.String, "dob": pl.Date, "pnc_id": pl.String}

#: Versions: P1 has two spellings and two versions sharing name, DOB and PNC; P2 and P3 share a PNC (a data error in
#: Connect); P4 and P5 share name + DOB; P6 is a plain record; P7's version has an
#: empty-normalising forename.
INDEX = pl.DataFrame(
    [
        ("P1", "John", "Smith", D1, "07/111111A"),
        ("P1", "Jon", "Smith", D1, None),
        ("P1", "JOHN", "SMITH", D1, "07/111111a"),  # second version: same name, DOB and PNC
        ("P2", "Amy", "Jones", D2, "08/222222B"),
        ("P3", "Amelia", "Jones", D2, "08/222222B"),
        ("P4", "Sam", "Lee", D2, None),
        ("P5", "Sam", "Lee", D2, None),
        ("P6", "Mary", "O'Neil-Brown", D1, None),
        ("P7", "--", "Kaur", D1, None),
        ("P8", "Amy", "Jones", D2, None),
    ],
    schema=INDEX_SCHEMA,
    orient="row",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # PNC wins over the name: the name points at nobody / somebody else.
        (("Someone", "Else", D2, "07/111111A"), ("P1", "pnc")),
        (("Mary", "ONeilBrown", D1, "07/111111A"), ("P1", "pnc")),
        # PNC normalisation: case and spaces.
        ((None, None, None, " 07/111111a "), ("P1", "pnc")),
        # Ambiguous PNC (versions of P2 and P3): no link, and not tried by name even
        # though the name + DOB alone would link P6.
        (("Mary", "O'Neil-Brown", D1, "08/222222B"), None),
        # A PNC matching no version falls back to name + DOB.
        (("Mary", "O'Neil-Brown", D1, "99/999999Z"), ("P6", "name_dob")),
        # No PNC: name + DOB, normalised (case, punctuation, hyphen, spaces).
        (("MARY", "o neil brown", D1, None), ("P6", "name_dob")),
        (("jon", "SMITH", D1, None), ("P1", "name_dob")),
        # Two versions of the same person match (by name + DOB, or by PNC): still one link.
        (("john", "smith", D1, ""), ("P1", "name_dob")),
        ((None, None, None, "07/111111A"), ("P1", "pnc")),
        # Ambiguous name + DOB: two persons -> no link.
        (("Sam", "Lee", D2, None), None),
        (("Amy", "Jones", D2, None), None),
        # Missing DOB / forename / surname -> not linked.
        (("Mary", "O'Neil-Brown", None, None), None),
        ((None, "O'Neil-Brown", D1, None), None),
        (("Mary", None, D1, None), None),
        # A name normalising to empty counts as missing, on both sides.
        (("--", "Kaur", D1, None), None),
        (("é", "Kaur", D1, None), None),
        # Wrong DOB -> no link.
        (("Mary", "O'Neil-Brown", D2, None), None),
    ],
)
def test_link_exact_rules(query, expected):
    """Each rule of the contract's exact linking, one case per row."""
    q = pl.DataFrame([(1, *query)], schema=QUERY_SCHEMA, orient="row")
    out = link_exact(q, INDEX)
    if expected is None:
        assert out.height == 0
    else:
        assert out.rows() == [(1, expected[0], 1.0, expected[1])]


def test_link_exact_vectorised_many_queries():
    """Many queries at once give the same links as one at a time, one row per linked query."""
    q = pl.DataFrame(
        [
            (10, "John", "Smith", D1, None),
            (11, "Sam", "Lee", D2, None),
            (12, None, None, None, "07/111111A"),
            (13, "Mary", "O'Neil-Brown", D1, "08/222222B"),
            (14, "Mary", "O'Neil-Brown", D1, None),
        ],
        schema=QUERY_SCHEMA,
        orient="row",
    )
    out = link_exact(q, INDEX)
    assert out.columns == ["record_id", "person_id", "score", "reason"]
    assert out.rows() == [(10, "P1", 1.0, "name_dob"), (12, "P1", 1.0, "pnc"), (14, "P6", 1.0, "name_dob")]
    assert out.schema["record_id"] == pl.Int64


def test_link_exact_empty_inputs():
    """An empty month (no queries, or no index) links nobody without failing."""
    empty_q = pl.DataFrame(schema=QUERY_SCHEMA)
    assert link_exact(empty_q, INDEX).height == 0
    q = pl.DataFrame([(1, "John", "Smith", D1, None)], schema=QUERY_SCHEMA, orient="row")
    out = link_exact(q, pl.DataFrame(schema=INDEX_SCHEMA))
    assert out.height == 0 and out.columns == ["record_id", "person_id", "score", "reason"]
