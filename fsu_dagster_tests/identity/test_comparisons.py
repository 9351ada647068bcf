"""Comparison levels: (left, right, expected level) tables, one per field.

The linker's weights hang off these levels, so each error pattern the fuzzy mode
forgives must land on the level documented for it, and unrelated values must fall
to ``else``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fsu_dagster.identity.comparisons import (
    COMPARISONS,
    DOB,
    FORENAME,
    PHONE,
    PNC,
    POSTCODE,
    SURNAME,
    dob_at_thresholds,
    forename_at_thresholds,
    phone_at_thresholds,
    pnc_at_thresholds,
    postcode_at_thresholds,
    surname_at_thresholds,
)
from fsu_dagster.identity.nicknames import are_nicknames, nickname_pairs
from fsu_dagster.identity.normal_forms import dob_key, fold_name

D = dt.date


def _one(fn, left, right) -> str:
    return fn(pl.Series([left]), pl.Series([right])).item()


@pytest.mark.parametrize(
    "left, right, level",
    [
        ("John", "JOHN", "exact"),
        ("o'neil", "ONEIL", "exact"),  # punctuation and case are cosmetic
        ("Zoë", "Zoe", "exact"),  # accents fold
        ("Bill", "William", "nickname"),
        ("Peggy", "Margaret", "nickname"),
        ("Bill", "Will", "nickname"),  # two short forms of the same name
        ("Mohammed", "Muhammad", "nickname"),  # spelling variant in the table
        ("John Paul", "John", "part"),  # a middle name
        ("J", "John", "initial"),
        ("Martha", "Marhta", "jw92"),  # transposition
        ("Stephanie", "Stephenie", "jw92"),
        ("John", "Joan", "jw85"),
        ("John", "Mary", "else"),
        (None, "Mary", "null"),
        ("--", "Mary", "null"),  # normalises to nothing
    ],
)
def test_forename_levels(left, right, level):
    """Each forename error pattern (typo, nickname, initial, middle name) has its level."""
    assert _one(forename_at_thresholds, left, right) == level


@pytest.mark.parametrize(
    "left, right, level",
    [
        ("Smith", "SMITH", "exact"),
        ("Smith-Jones", "Smith Jones", "exact"),
        ("Smith-Jones", "Jones", "part"),  # one half of a double-barrelled name
        ("Jones", "Smith-Jones", "part"),
        ("Jones-Smith", "Smith-Jones", "part"),  # halves reordered
        ("Robertson", "Robertsen", "jw92"),
        ("Smyth", "Smith", "jw85"),
        ("Smith", "Khan", "else"),
        ("Smith", None, "null"),
    ],
)
def test_surname_levels(left, right, level):
    """Hyphenated and double-barrelled surnames agree on a part, not on nothing."""
    assert _one(surname_at_thresholds, left, right) == level


@pytest.mark.parametrize(
    "left, right, level",
    [
        (D(1985, 3, 12), D(1985, 3, 12), "exact"),
        (D(1985, 3, 12), D(1985, 12, 3), "swap"),  # day and month exchanged
        (D(1985, 3, 12), D(1985, 3, 13), "typo"),  # one digit
        (D(1985, 3, 12), D(1958, 3, 12), "typo"),  # adjacent digits exchanged
        (D(1990, 1, 31), D(1990, 2, 1), "typo"),  # one day out across a month end
        (D(1990, 3, 12), D(1989, 3, 12), "typo"),  # one year out
        (D(1990, 3, 12), D(1990, 3, 28), "partial"),  # year and month agree
        (D(1990, 3, 12), D(1970, 8, 1), "else"),
        (None, D(1970, 8, 1), "null"),
        (D(1985, 3, 3), D(1985, 3, 3), "exact"),
    ],
)
def test_dob_levels(left, right, level):
    """DOB typos and day/month swaps are recognised; unrelated dates are not."""
    assert _one(dob_at_thresholds, left, right) == level


def test_dob_accepts_strings_in_several_layouts():
    """A benchmark may hand DOBs over as text: ISO, compact and British layouts all read."""
    left = pl.Series(["1985-03-12", "12/03/1985", "19850312", "1985-3-12", "19851203"])
    right = pl.Series([D(1985, 3, 12)] * 5)
    assert dob_at_thresholds(left, right).to_list() == ["exact", "exact", "exact", "exact", "swap"]


def test_dob_key_keeps_impossible_but_typed_dates():
    """``19561304`` is not a date, but it is the swap of 13 April: keep it to compare."""
    out = pl.DataFrame({"d": ["19561304", "not a date", None]}).select(dob_key(pl.col("d"), pl.String))
    assert out.to_series().to_list() == ["19561304", None, None]


@pytest.mark.parametrize(
    "fn, left, right, level",
    [
        (pnc_at_thresholds, "07/123456X", "07/123456x", "exact"),
        (pnc_at_thresholds, "2007/0123456X", "07/123456X", "exact"),  # century and zero padding
        (pnc_at_thresholds, "07/123457X", "07/123456X", "typo"),
        (pnc_at_thresholds, "99/555555A", "07/123456X", "else"),
        (phone_at_thresholds, "+44 7700 900123", "07700900123", "exact"),
        (phone_at_thresholds, "07700900124", "07700900123", "typo"),
        (phone_at_thresholds, "0121 496 0000", "07700900123", "else"),
        (phone_at_thresholds, "123", "07700900123", "null"),  # too short to be a number
        (postcode_at_thresholds, "b15 2tt", "B152TT", "exact"),
        (postcode_at_thresholds, "B15 2TU", "B15 2TT", "near"),
        (postcode_at_thresholds, "WV1 1AA", "B15 2TT", "else"),
    ],
)
def test_identifier_levels(fn, left, right, level):
    """PNC IDs, phone numbers and postcodes compare on canonical forms."""
    assert _one(fn, left, right) == level


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("Siân O'Brien-Jones", "SIAN OBRIEN JONES"),
        ("Łukasz", "LUKASZ"),
        ("Øyvind", "OYVIND"),
        ("Straße", "STRASSE"),
        ("  ", None),
        ("José María", "JOSE MARIA"),
    ],
)
def test_fold_name_handles_non_ascii(raw, folded):
    """Non-ASCII names fold to A–Z instead of losing letters (the exact rule drops them)."""
    assert pl.select(fold_name(pl.lit(raw))).item() == folded


def test_levels_are_computed_per_row_in_order():
    """Vectorised comparison returns one label per input row, in input order."""
    left = pl.Series(["Bill", "Bill", None, "Ann"])
    right = pl.Series(["William", "Bill", "Ann", "Anne"])
    assert forename_at_thresholds(left, right).to_list() == ["nickname", "exact", "null", "nickname"]


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_m_probabilities_sum_to_one_and_levels_are_ordered(name):
    """Each comparison's m sums to 1 and the weights fall from exact to else."""
    comp = COMPARISONS[name]
    assert sum(lv.m for lv in comp.levels) == pytest.approx(1.0)
    weights = [lv.weight for lv in comp.levels]
    assert weights[0] == max(weights) and weights[-1] == min(weights) and weights[-1] < 0


def test_nickname_table_is_symmetric_and_excludes_distinct_names():
    """The relation works both ways, and names in their own right are not nicknames."""
    assert are_nicknames("BOB", "ROBERT") and are_nicknames("ROBERT", "BOB")
    assert not are_nicknames("JOHN", "IAN")
    assert not are_nicknames("JOHN", "JOHN")
    pairs = nickname_pairs()
    swapped = pairs.select(pl.col("b").alias("a"), pl.col("a").alias("b"))
    assert pairs.sort("a", "b").equals(swapped.sort("a", "b"))


@pytest.mark.parametrize("comparison", [c for c in (FORENAME, SURNAME, DOB, PNC, PHONE, POSTCODE) if c.screen])
def test_screens_never_hide_a_close_pair(comparison):
    """A comparison's screen (the shortcut for force-sized inputs) may only skip pairs
    that ``assign`` itself puts on the last level: checked on random values and on
    every single-edit variant of them, including edits at both ends."""
    rng = np.random.default_rng(5)
    if comparison is PHONE:
        base = ["0" + "".join(rng.choice(list("0123456789"), 10)) for _ in range(40)] + ["0121496", "07700 900"]
    else:
        base = [
            f"{''.join(rng.choice(list('BDMSW'), rng.integers(1, 3)))}{rng.integers(1, 99)}"
            f"{rng.integers(0, 9)}{''.join(rng.choice(list('ABDEFG'), 2))}"
            for _ in range(40)
        ] + ["B1", "B11AA"]
    alphabet = list("0123456789ABDEFG")
    values = set(base)
    for v in base:
        for i in range(len(v) + 1):
            values.add(v[:i] + rng.choice(alphabet) + v[i:])  # insertion
            if i < len(v):
                values.add(v[:i] + rng.choice(alphabet) + v[i + 1 :])  # substitution
                values.add(v[:i] + v[i + 1 :])  # deletion
            if i < len(v) - 1:
                values.add(v[:i] + v[i + 1] + v[i] + v[i + 2 :])  # transposition
    vals = pl.Series(sorted(values), dtype=pl.String)
    normal = pl.DataFrame({"v": vals}).select(comparison.normal_form(pl.col("v"))).to_series().drop_nulls().unique()
    left, right = np.meshgrid(np.arange(normal.len()), np.arange(normal.len()))
    left, right = left.ravel(), right.ravel()
    pairs = pl.DataFrame({"l": normal.gather(left), "r": normal.gather(right)})
    levels = comparison.level_numbers(pairs).to_numpy()
    keys, always = comparison.screen(normal)
    kept = always[left] | always[right]
    for k in keys:
        kept |= k[left] == k[right]
    hidden = (~kept) & (levels != len(comparison.levels))
    assert not hidden.any(), pairs.filter(pl.Series(hidden)).head(5)
    assert (~kept).mean() > 0.3  # and the screen does skip most unrelated pairs


def test_coded_dob_levels_are_assign_dob_levels() -> None:
    """The DOB levels on value codes (8-digit DOBs by integer arithmetic) equal the string
    rules for every pair: typos, transpositions, swaps, a day or a year out, impossible dates,
    7- and 9-digit DOBs and nulls."""
    import itertools

    import numpy as np

    from fsu_dagster.identity.comparisons import DOB, _assign_dob

    base = ["19560409", "19560904", "19560490", "19650409", "19560410", "19570409", "19561304"]
    more = ["19560408", "19551231", "19560101", "20000229", "20000301", "19560049", "1956049", "195604099"]
    values = pl.Series("v", [None, *sorted(set(base + more + ["19990909", "19560409x", "1956-04-09"]))])
    grid = np.array(list(itertools.product(range(len(values)), repeat=2)), dtype=np.int64)
    lc, rc = grid[:, 0], grid[:, 1]
    want = _assign_dob(pl.DataFrame({"l": values.gather(lc), "r": values.gather(rc)})).to_numpy()
    got = DOB.coded(values)(lc, rc)
    np.testing.assert_array_equal(got, want)
    assert {1, 2, 3, 4, 5} <= set(got.tolist())


def test_coded_postcode_levels_are_assign_postcode_levels() -> None:
    """The postcode levels on value codes (lengths, sectors, ends and packed characters) equal
    the string rules for every pair: one character changed, two exchanged, one inserted or
    deleted (also within a run of one character), the same sector, short postcodes, values of
    more than 8 characters or outside A-Z and 0-9 (the string rules themselves), and nulls."""
    import itertools

    import numpy as np

    from fsu_dagster.identity.comparisons import POSTCODE, _assign_postcode

    values = [
        *("B152TT", "B152TU", "B15T2T", "B512TT", "B1522TT", "B152T", "B15TT", "BB152TT", "B152TTX", "AB152TT"),
        *("B15", "B1", "B", "B16", "B152", "B1522", "M11AA", "M11AB", "M1AA", "M111AA", "M11AAA", "SW1A1AA"),
        *("SW1A1AB", "SW1A2AA", "W1A1AA", "AAB", "AB", "ABB", "ABBB", "ABAB", "BAAB", "AABB", "B152TTX1"),
        *("B152TTXY", "B152TTXYZ", "b152tt", "B15 2TT", "\u00c9152TT"),
    ]
    values = pl.Series("v", [None, *sorted(values)])
    grid = np.array(list(itertools.product(range(len(values)), repeat=2)), dtype=np.int64)
    lc, rc = grid[:, 0], grid[:, 1]
    want = _assign_postcode(pl.DataFrame({"l": values.gather(lc), "r": values.gather(rc)})).to_numpy()
    got = POSTCODE.coded(values)(lc, rc)
    np.testing.assert_array_equal(got, want)
    assert {0, 1, 2, 3} <= set(got.tolist())
    # Each way of being one edit apart, and the same sector, is "near" (level 2).
    level = dict(zip(zip(values.gather(lc).to_list(), values.gather(rc).to_list(), strict=True), got, strict=True))
    for pair in (
        ("B152TT", "B152TU"),
        ("B152TT", "B15T2T"),
        ("B152TT", "B1522TT"),
        ("ABB", "ABBB"),
        ("M11AA", "M11AB"),
    ):
        assert level[pair] == level[pair[::-1]] == 2


def _forename_levels_all_pairs_reference(pairs: pl.DataFrame) -> pl.Series:
    """The forename rules as first written (both nickname joins and the parts' lists for every
    pair), to check the restricted path against."""
    from fsu_dagster.identity.comparisons import _jw, _select_levels

    p = pairs.with_columns(
        lk=pl.col("l").str.replace_all(" ", "", literal=True),
        rk=pl.col("r").str.replace_all(" ", "", literal=True),
        lt=pl.col("l").str.split(" "),
        rt=pl.col("r").str.split(" "),
    ).with_columns(lf=pl.col("lt").list.first(), rf=pl.col("rt").list.first())
    nick = nickname_pairs().with_columns(pl.lit(True).alias("_nick"))
    p = (
        p.join(
            nick.rename({"a": "lk", "b": "rk", "_nick": "nick_full"}),
            on=["lk", "rk"],
            how="left",
            maintain_order="left",
        )
        .join(
            nick.rename({"a": "lf", "b": "rf", "_nick": "nick_first"}),
            on=["lf", "rf"],
            how="left",
            maintain_order="left",
        )
        .with_columns(jw=pl.Series(_jw(p)))
    )
    return _select_levels(
        p,
        [
            pl.col("lk") == pl.col("rk"),
            pl.col("nick_full").fill_null(False) | pl.col("nick_first").fill_null(False),
            ((pl.col("lt").list.len() > 1) | (pl.col("rt").list.len() > 1))
            & ((pl.col("lf") == pl.col("rk")) | (pl.col("rf") == pl.col("lk")) | (pl.col("lf") == pl.col("rf"))),
            ((pl.col("lk").str.len_bytes() == 1) | (pl.col("rk").str.len_bytes() == 1))
            & (pl.col("lk").str.slice(0, 1) == pl.col("rk").str.slice(0, 1)),
            pl.col("jw") >= 0.92,
            pl.col("jw") >= 0.85,
        ],
    )


def test_forename_levels_equal_the_all_pairs_rules() -> None:
    """The forename's second nickname join and ``part`` lists are built only for pairs where a
    name has a space; every pair's level equals the rules applied to every pair: nicknames of
    whole names and of first parts, middle names, initials, reordered parts, nulls, empties."""
    import itertools

    from fsu_dagster.identity.comparisons import _assign_forename

    raw = ["BILL", "WILLIAM", "WILL", "PEGGY", "MARGARET", "JOHN", "JOAN", "J", "P", "MARY", "MARTHA", "MARHTA"]
    raw += ["JOHN PAUL", "PAUL JOHN", "J P", "BILL HENRY", "WILLIAM HENRY", "HENRY WILLIAM", "MARY ANN", "MARYANN"]
    raw += ["PEGGY SUE", "MARGARET SUE", "JO HN", "JOHNPAUL", "A B C", "WILL IAM", ""]
    values = pl.Series("v", [None, *sorted(set(raw))], dtype=pl.String)
    grid = np.array(list(itertools.product(range(len(values)), repeat=2)), dtype=np.int64)
    pairs = pl.DataFrame({"l": values.gather(grid[:, 0]), "r": values.gather(grid[:, 1])})
    got = _assign_forename(pairs).to_numpy()
    want = _forename_levels_all_pairs_reference(pairs).to_numpy()
    np.testing.assert_array_equal(got, want)
    assert set(range(0, 8)) <= set(got.tolist())  # every level, null (0) and else (7) included
