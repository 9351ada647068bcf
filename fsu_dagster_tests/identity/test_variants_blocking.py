"""Identity variants (method 5.1.4 step 1) and blocking keys.

Variants are the lists an analyst searches other systems with, so every spelling
must be there with when it was seen. Blocking decides which pairs are compared at
all: each forgiven error pattern must still share a key with its person.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.identity.blocking import (
    BLOCKING_RULES,
    _rule_pair_count,
    _rule_pairs,
    add_blocking_columns,
    candidate_pairs,
)
from fsu_dagster.identity.normal_forms import (
    dob_key,
    fold_name,
    name_key,
    phone_key,
    pnc_key,
    postcode_key,
)
from fsu_dagster.identity.variants import identity_variants

D = dt.date


def test_identity_variants_lists_every_value_with_counts_and_months():
    """Each distinct value per field, how many versions carry it, first and last month."""
    persons = pl.DataFrame(
        {
            "month": [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 3, 1), D(2026, 3, 1)],
            "person_id": ["P1", "P1", "P1", "P1", "P2"],
            "forename": ["William", "William", "Bill", " William ", "Ann"],
            "surname": ["Hargreaves"] * 4 + ["Baker"],
            "dob": [D(1980, 3, 12), D(1980, 3, 12), D(1980, 3, 12), D(1980, 12, 3), None],
            "pnc_id": ["07/123456X", "07/123456X", None, None, None],
            "phone_number": [None, None, "07700900001", "", None],
        }
    )
    v = identity_variants(persons)
    p1 = {(r["field"], r["value"]): r for r in v.filter(pl.col("person_id") == "P1").iter_rows(named=True)}
    assert set(p1) == {
        ("forename", "William"),
        ("forename", "Bill"),
        ("surname", "Hargreaves"),
        ("dob", "1980-03-12"),
        ("dob", "1980-12-03"),
        ("pnc_id", "07/123456X"),
        ("phone", "07700900001"),
    }
    william = p1[("forename", "William")]
    # Versions: (William, 12 Mar, PNC) seen twice is one version; (William, 3 Dec) another.
    assert (william["n_versions"], william["n_months"]) == (2, 3)
    assert (william["first_seen"], william["last_seen"]) == (D(2026, 1, 1), D(2026, 3, 1))
    assert p1[("pnc_id", "07/123456X")]["last_seen"] == D(2026, 2, 1)
    # Order: by person, then field in the method's order, most versions first.
    assert v.filter(pl.col("person_id") == "P1")["field"].unique(maintain_order=True).to_list() == [
        "forename",
        "surname",
        "dob",
        "pnc_id",
        "phone",
    ]
    assert v.filter(pl.col("person_id") == "P2")["field"].to_list() == ["forename", "surname"]


def test_identity_variants_empty():
    empty = pl.DataFrame(schema={"month": pl.Date, "person_id": pl.String, "forename": pl.String})
    assert identity_variants(empty).columns == [
        "person_id",
        "field",
        "value",
        "n_versions",
        "n_months",
        "first_seen",
        "last_seen",
    ]


def _prepared(rows: list[dict]) -> pl.DataFrame:
    df = pl.DataFrame(
        rows,
        schema={
            "forename": pl.String,
            "surname": pl.String,
            "dob": pl.Date,
            "pnc_id": pl.String,
            "phone": pl.String,
            "postcode": pl.String,
        },
    )
    out = (
        df.select(
            fold_name("forename").alias("fn"),
            fold_name("surname").alias("sn"),
            dob_key(pl.col("dob"), pl.Date).alias("dob"),
            pnc_key("pnc_id").alias("pnc"),
            phone_key("phone").alias("phone"),
            postcode_key("postcode").alias("postcode"),
        )
        .with_columns(fn_key=name_key("fn"), sn_key=name_key("sn"))
        .with_row_index("id")
    )
    return add_blocking_columns(out)


TARGET = {
    "forename": "Margaret",
    "surname": "Smith-Jones",
    "dob": D(1975, 6, 1),
    "pnc_id": "07/123456X",
    "phone": "07700900001",
    "postcode": "B15 2TT",
}


@pytest.mark.parametrize(
    "query",
    [
        {"forename": "Margaret", "surname": "Smith-Jones", "dob": D(1975, 6, 1)},
        {"forename": "Peggy", "surname": "Smith-Jones"},  # nickname, no DOB
        {"forename": "Margarte", "surname": "Jones", "dob": D(1975, 6, 1)},  # typo + part
        {"forename": "Smith Jones", "surname": "Margaret"},  # swapped, no DOB
        {"forename": "Margaret", "surname": "Smyth-Jones", "dob": D(1975, 1, 6)},  # DOB swapped
        {"forename": "Margaret", "surname": "Jones", "dob": D(1975, 6, 2)},  # part + DOB typo
        {"forename": "Mgt", "surname": "Smith-Jnes", "dob": D(1975, 6, 1)},  # both names mangled
        {"pnc_id": "07/123456x"},
        {"phone": "+44 7700 900001"},
        {"forename": "M", "surname": "Jonesy", "postcode": "b152tt"},
    ],
)
def test_each_error_pattern_keeps_a_blocking_key(query):
    """The pair survives blocking whatever single pattern of error the query carries."""
    pairs = candidate_pairs(_prepared([{**{k: None for k in TARGET}, **query}]), _prepared([TARGET]))
    assert pairs.height == 1


def test_unrelated_people_are_not_compared():
    """A different name, DOB and identifiers share no key: no pair."""
    other = {
        "forename": "Xanthe",
        "surname": "Quayle",
        "dob": D(1990, 12, 25),
        "pnc_id": None,
        "phone": None,
        "postcode": "WV1 1AA",
    }
    assert candidate_pairs(_prepared([other]), _prepared([TARGET])).height == 0


def test_oversized_blocks_are_skipped():
    """A key value shared by more index rows than max_block produces no pairs from that rule."""
    index = _prepared(
        [
            {
                **TARGET,
                "forename": f"Name{chr(65 + i)}",
                "pnc_id": None,
                "phone": None,
                "postcode": None,
                "surname": f"Sur{chr(65 + i)}x",
            }
            for i in range(5)
        ]
    )
    query = _prepared(
        [{"forename": "Q", "surname": "Z", "dob": TARGET["dob"], "pnc_id": None, "phone": None, "postcode": None}]
    )
    # Only the DOB + initial rules could pair them; the initials differ, so nothing.
    assert candidate_pairs(query, index).height == 0
    query = _prepared(
        [{"forename": "Nadia", "surname": "Z", "dob": TARGET["dob"], "pnc_id": None, "phone": None, "postcode": None}]
    )
    assert candidate_pairs(query, index).height == 5
    assert candidate_pairs(query, index, max_block=4).height == 0


def test_a_rules_pair_count_is_the_number_of_pairs_it_builds():
    """The fallback choice counts a rule's pairs from key counts, without building them."""
    people = [
        {**TARGET, "forename": name, "dob": dob}
        for name, dob in [
            ("Margaret", D(1975, 6, 1)),
            ("Margaret", None),
            ("Peggy", D(1975, 6, 1)),
            ("Mary", D(1980, 1, 1)),
        ]
    ]
    index = _prepared(people * 3).lazy()
    queries = _prepared([*people, {"forename": "Margaret", "surname": "Smith", "dob": None}]).lazy()
    for rule in BLOCKING_RULES:
        for max_block in (1000, 4):
            built = _rule_pairs(rule, queries, index, max_block).collect().height
            assert _rule_pair_count(rule, queries, index, max_block) == built, rule.name
