"""Field comparisons for fuzzy identity linking, Splink-style.

Each comparison turns a pair of values into one of a few ordered *levels*, from the
strongest agreement to ``else`` (disagreement); a pair where either side is missing
is level ``null`` and carries no evidence. Each level has Fellegi–Sunter
probabilities:

* ``m`` = P(level | the two records are the same person): how often a real match
  looks like this (a typo, a nickname, a swapped day and month, ...);
* ``u`` = P(level | two different people): how often a chance pair looks like this.

The level's match weight is ``log2(m / u)`` bits. Levels marked ``tf`` replace ``u``
by the value's frequency among the index's people (term-frequency adjustment), so
agreeing on ``SMITH`` weighs less than agreeing on ``QUAYLE``. ``docs/identity.md``
gives the reasoning behind every number.

The public scorers are named ``<field>_at_thresholds``: they take two polars Series
(raw values are fine: they are normalised here first) and return the level labels
as a Series of strings. Work is done once per distinct pair of values, and string
similarity uses rapidfuzz's vectorised ``process.cpdist``, so the linker can score
millions of candidate pairs.

Values are put in their normal forms (``normal_forms``) before they are compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from fsu_dagster.identity.coded_levels import coded_dob, coded_postcode, dense_codes
from fsu_dagster.identity.nicknames import nickname_pairs
from fsu_dagster.identity.normal_forms import dob_key, fold_name, phone_key, pnc_key, postcode_key

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

__all__ = [
    "COMPARISONS",
    "DOB",
    "FORENAME",
    "NULL_LEVEL",
    "PHONE",
    "PNC",
    "POSTCODE",
    "SURNAME",
    "Comparison",
    "ComparisonLevel",
    "dob_at_thresholds",
    "forename_at_thresholds",
    "phone_at_thresholds",
    "pnc_at_thresholds",
    "postcode_at_thresholds",
    "surname_at_thresholds",
]

NULL_LEVEL = "null"

# ---------------------------------------------------------------------------------------
# Levels and comparisons
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonLevel:
    """One level of a comparison: its label, m and u probabilities, and whether its
    u is replaced by the value's term frequency."""

    label: str
    m: float
    u: float
    tf_adjusted: bool = False

    @property
    def weight(self) -> float:
        """Match weight in bits, ``log2(m / u)``."""
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class Comparison:
    """An ordered list of levels and the function that assigns them.

    ``assign(left, right)`` receives a frame of *distinct* pairs (columns ``l``, ``r``,
    already in this comparison's normal form, never both null-free guaranteed) and
    returns an Int8 Series of level numbers: 0 is ``null``, ``i`` is ``levels[i - 1]``.
    """

    name: str
    levels: tuple[ComparisonLevel, ...]
    normal_form: Callable[[pl.Expr], pl.Expr]
    assign: Callable[[pl.DataFrame], pl.Series]
    #: Optional shortcut for large inputs: ``screen(values)`` returns integer keys per
    #: value and a Boolean "always compare" per value. Two different values that share
    #: no key, and neither of which is flagged, are certainly the last level (``else``)
    #: and are not passed to ``assign``. Must never screen out a pair ``assign`` would
    #: put on another level.
    screen: Callable[[pl.Series], tuple[list[np.ndarray], np.ndarray]] | None = None
    #: Optional shortcut for value codes: ``coded(values)`` (a vocabulary's values, null at
    #: code 0) returns a function of two aligned code arrays giving the same level numbers as
    #: ``level_numbers`` of the pairs of those values, with the per-value work done once.
    coded: Callable[[pl.Series], Callable[[np.ndarray, np.ndarray], np.ndarray]] | None = None

    def __post_init__(self) -> None:
        total_m = sum(lv.m for lv in self.levels)
        if abs(total_m - 1.0) > 1e-9:
            raise ValueError(f"{self.name}: m probabilities sum to {total_m}, not 1")

    @property
    def labels(self) -> tuple[str, ...]:
        return (NULL_LEVEL, *(lv.label for lv in self.levels))

    def level_numbers(self, pairs: pl.DataFrame) -> pl.Series:
        """Level numbers for distinct normal-form pairs ``l, r`` (see class docstring)."""
        if pairs.height == 0:
            return pl.Series("level", [], dtype=pl.Int8)
        return self.assign(pairs).cast(pl.Int8).alias("level")

    def weights(self) -> np.ndarray:
        """Weights by level number (index 0, ``null``, weighs 0)."""
        return np.array([0.0, *(lv.weight for lv in self.levels)])

    def compare(self, left: pl.Series, right: pl.Series) -> pl.Series:
        """Level labels for raw value pairs, computed once per distinct pair."""
        if left.len() != right.len():
            raise ValueError("left and right must have the same length")
        frame = pl.DataFrame({"l": left, "r": right}).select(
            self.normal_form(pl.col("l")).alias("l"), self.normal_form(pl.col("r")).alias("r")
        )
        distinct = frame.unique(maintain_order=True)
        distinct = distinct.with_columns(self.level_numbers(distinct))
        levels = frame.join(distinct, on=["l", "r"], how="left", nulls_equal=True, maintain_order="left")["level"]
        return levels.replace_strict(list(range(len(self.labels))), list(self.labels), return_dtype=pl.String).alias(
            self.name
        )


def _jw(pairs: pl.DataFrame, left: str = "lk", right: str = "rk") -> np.ndarray:
    """Jaro–Winkler similarity per row (0 where either side is null)."""
    lv = pairs[left].fill_null("").to_list()
    rv = pairs[right].fill_null("").to_list()
    if not lv:
        return np.zeros(0)
    return process.cpdist(lv, rv, scorer=JaroWinkler.normalized_similarity, workers=-1)


def _osa(pairs: pl.DataFrame, left: str = "l", right: str = "r") -> np.ndarray:
    """Optimal string alignment distance (edits, adjacent transpositions count one)."""
    lv = pairs[left].fill_null("").to_list()
    rv = pairs[right].fill_null("").to_list()
    if not lv:
        return np.zeros(0, dtype=np.int64)
    return process.cpdist(lv, rv, scorer=OSA.distance, workers=-1)


def _select_levels(pairs: pl.DataFrame, conditions: list[pl.Expr]) -> pl.Series:
    """Level number = position (1-based) of the first true condition; 0 when null; the
    last level (else) otherwise."""
    chain: Then | ChainedThen = pl.when(pl.col("l").is_null() | pl.col("r").is_null()).then(pl.lit(0, pl.Int8))
    for i, cond in enumerate(conditions, start=1):
        chain = chain.when(cond).then(pl.lit(i, pl.Int8))
    expr = chain.otherwise(pl.lit(len(conditions) + 1, pl.Int8))
    return pairs.select(expr.alias("level"))["level"]


def _nicknames(pairs: pl.DataFrame, left: str, right: str, nick_table: pl.DataFrame) -> np.ndarray:
    """Whether each pair's ``left`` and ``right`` names are a nickname pair (``nick_table``: ``a, b, _nick``)."""
    return (
        pairs.select(left, right)
        .join(nick_table.rename({"a": left, "b": right}), on=[left, right], how="left", maintain_order="left")
        .get_column("_nick")
        .fill_null(False)
        .to_numpy()
    )


def _assign_forename(pairs: pl.DataFrame) -> pl.Series:
    p = pairs.with_columns(
        lk=pl.col("l").str.replace_all(" ", "", literal=True), rk=pl.col("r").str.replace_all(" ", "", literal=True)
    )
    nick_table = nickname_pairs().with_columns(pl.lit(True).alias("_nick"))
    nick = _nicknames(p, "lk", "rk", nick_table).copy()
    # ``nickname`` also on the first parts, and ``part``: both differ from the full names' only
    # where a name has several parts (a space; without one its first part is the whole name), so
    # the parts' lists and the second nickname join are built only for those pairs (a few in ten).
    multi = (pl.col("l").str.contains(" ", literal=True) | pl.col("r").str.contains(" ", literal=True)).fill_null(False)
    rows = p.select(multi.alias("m")).to_series().arg_true()
    part = np.zeros(p.height, dtype=bool)
    if rows.len():
        idx = rows.to_numpy()
        sub = (
            p[rows]
            .with_columns(lt=pl.col("l").str.split(" "), rt=pl.col("r").str.split(" "))
            .with_columns(lf=pl.col("lt").list.first(), rf=pl.col("rt").list.first())
        )
        nick[idx] |= _nicknames(sub, "lf", "rf", nick_table)
        shared_part = ((pl.col("lt").list.len() > 1) | (pl.col("rt").list.len() > 1)) & (
            (pl.col("lf") == pl.col("rk")) | (pl.col("rf") == pl.col("lk")) | (pl.col("lf") == pl.col("rf"))
        )
        part[idx] = sub.select(shared_part.fill_null(False)).to_series().to_numpy()
    p = p.with_columns(nick=pl.Series(nick), part=pl.Series(part), jw=pl.Series(_jw(p)))
    return _select_levels(
        p,
        [
            pl.col("lk") == pl.col("rk"),
            pl.col("nick"),
            pl.col("part"),
            ((pl.col("lk").str.len_bytes() == 1) | (pl.col("rk").str.len_bytes() == 1))
            & (pl.col("lk").str.slice(0, 1) == pl.col("rk").str.slice(0, 1)),
            pl.col("jw") >= 0.92,
            pl.col("jw") >= 0.85,
        ],
    )


def _assign_surname(pairs: pl.DataFrame) -> pl.Series:
    p = pairs.with_columns(
        lk=pl.col("l").str.replace_all(" ", "", literal=True), rk=pl.col("r").str.replace_all(" ", "", literal=True)
    )
    p = p.with_columns(jw=pl.Series(_jw(p)))
    # ``part``: either name has several parts (a space: its split has more than one), and they
    # share one. The parts' lists are built only for those pairs (a few in ten).
    multi = (pl.col("l").str.contains(" ", literal=True) | pl.col("r").str.contains(" ", literal=True)).fill_null(False)
    rows = p.select(multi.alias("m")).to_series().arg_true()
    shared = np.zeros(p.height, dtype=bool)
    if rows.len():
        sub = p[rows].with_columns(lt=pl.col("l").str.split(" "), rt=pl.col("r").str.split(" "))
        shared_part = (
            pl.col("rt").list.contains(pl.col("lk"))
            | pl.col("lt").list.contains(pl.col("rk"))
            | (pl.col("lt").list.sort() == pl.col("rt").list.sort())
        )
        shared[rows.to_numpy()] = sub.select(shared_part.fill_null(False)).to_series().to_numpy()
    p = p.with_columns(part=pl.Series(shared))
    return _select_levels(
        p,
        [
            pl.col("lk") == pl.col("rk"),
            pl.col("part"),
            pl.col("jw") >= 0.92,
            pl.col("jw") >= 0.85,
        ],
    )


def _assign_dob(pairs: pl.DataFrame) -> pl.Series:
    p = pairs.with_columns(osa=pl.Series(_osa(pairs)))

    def y(c: str) -> pl.Expr:
        return pl.col(c).str.slice(0, 4)

    def m(c: str) -> pl.Expr:
        return pl.col(c).str.slice(4, 2)

    def d(c: str) -> pl.Expr:
        return pl.col(c).str.slice(6, 2)

    def same(f: Callable[[str], pl.Expr]) -> pl.Expr:
        return (f("l") == f("r")).cast(pl.Int8)

    def as_date(c: str) -> pl.Expr:
        return pl.col(c).str.strptime(pl.Date, "%Y%m%d", strict=False)

    swap = (y("l") == y("r")) & (m("l") == d("r")) & (d("l") == m("r")) & (m("l") != d("l"))
    one_day = (as_date("l") - as_date("r")).dt.total_days().abs() == 1
    one_year = (
        (m("l") == m("r"))
        & (d("l") == d("r"))
        & ((y("l").cast(pl.Int32, strict=False) - y("r").cast(pl.Int32, strict=False)).abs() == 1)
    )
    return _select_levels(
        p,
        [
            pl.col("l") == pl.col("r"),
            swap,
            (pl.col("osa") == 1) | one_day.fill_null(False) | one_year.fill_null(False),
            (same(y) + same(m) + same(d)) >= 2,
        ],
    )


def _assign_exact_typo(min_len_for_typo: int) -> Callable[[pl.DataFrame], pl.Series]:
    def assign(pairs: pl.DataFrame) -> pl.Series:
        p = pairs.with_columns(osa=pl.Series(_osa(pairs)))
        return _select_levels(
            p,
            [
                pl.col("l") == pl.col("r"),
                (pl.col("osa") == 1) & (pl.col("l").str.len_bytes() >= min_len_for_typo),
            ],
        )

    return assign


def _assign_postcode(pairs: pl.DataFrame) -> pl.Series:
    # One edit leaves the first two or the last two characters of a postcode of five or
    # more characters untouched: other pairs cannot be one edit apart (OSA skipped).
    ends = (pl.col("l").str.slice(0, 2) == pl.col("r").str.slice(0, 2)) | (
        pl.col("l").str.slice(-2, 2) == pl.col("r").str.slice(-2, 2)
    )
    short = (pl.col("l").str.len_bytes() < 5) | (pl.col("r").str.len_bytes() < 5)
    maybe = pairs.select((ends | short).fill_null(False)).to_series().to_numpy()
    osa = np.full(pairs.height, 99, dtype=np.int64)
    idx = np.flatnonzero(maybe)
    if idx.size:
        osa[idx] = _osa(pairs[idx])
    p = pairs.with_columns(osa=pl.Series(osa))

    def sector(c: str) -> pl.Expr:
        return pl.col(c).str.slice(0, pl.col(c).str.len_bytes() - 2)

    return _select_levels(
        p,
        [
            pl.col("l") == pl.col("r"),
            (pl.col("osa") == 1)
            | ((pl.col("l").str.len_bytes() >= 5) & (pl.col("r").str.len_bytes() >= 5) & (sector("l") == sector("r"))),
        ],
    )


def _screen_one_edit(prefix: int, suffix: int) -> Callable[[pl.Series], tuple[list[np.ndarray], np.ndarray]]:
    """Strings one edit apart (substitution, adjacent transposition, insertion or
    deletion at position i) share their first ``prefix`` characters when i ≥ prefix,
    and otherwise a common suffix of at least (shorter length − prefix − 1): so the
    last ``suffix`` characters, for strings of at least ``prefix + 1 + suffix``
    characters. Shorter strings are always compared."""

    def screen(values: pl.Series) -> tuple[list[np.ndarray], np.ndarray]:
        keys = [dense_codes(values.str.slice(0, prefix)), dense_codes(values.str.slice(-suffix, suffix))]
        short = (values.str.len_chars() < prefix + 1 + suffix).fill_null(False).to_numpy()
        return keys, short

    return screen


def _screen_postcode(values: pl.Series) -> tuple[list[np.ndarray], np.ndarray]:
    """Postcodes can be ``near`` only if they share the first two or the last two
    characters (one edit, or the same sector, leaves one end of a postcode of five or
    more characters intact), or one of them is shorter than five characters."""
    codes = [dense_codes(values.str.slice(0, 2)), dense_codes(values.str.slice(-2, 2))]
    short = (values.str.len_bytes() < 5).fill_null(False).to_numpy()
    return codes, short


#: Forename. Levels in order: ``exact`` (tf) / ``nickname`` (WILLIAM~BILL, also on the
#: first part) / ``part`` (JOHN PAUL~JOHN) / ``initial`` (J~JOHN) / ``jw92`` (Jaro–Winkler
#: ≥ 0.92) / ``jw85`` (≥ 0.85) / ``else``.
FORENAME = Comparison(
    "forename",
    (
        ComparisonLevel("exact", 0.88, 0.01, tf_adjusted=True),
        ComparisonLevel("nickname", 0.04, 0.002),
        ComparisonLevel("part", 0.01, 0.0005),
        ComparisonLevel("initial", 0.01, 0.0006),
        ComparisonLevel("jw92", 0.04, 0.004),
        ComparisonLevel("jw85", 0.01, 0.015),
        ComparisonLevel("else", 0.01, 0.9679),
    ),
    fold_name,
    _assign_forename,
)

#: Surname. Levels in order: ``exact`` (tf) / ``part`` (one part of a hyphenated or
#: double-barrelled name, or the same parts reordered) / ``jw92`` / ``jw85`` / ``else``
#: (includes a change of surname, e.g. on marriage).
SURNAME = Comparison(
    "surname",
    (
        ComparisonLevel("exact", 0.87, 0.003, tf_adjusted=True),
        ComparisonLevel("part", 0.03, 0.0003),
        ComparisonLevel("jw92", 0.05, 0.002),
        ComparisonLevel("jw85", 0.02, 0.01),
        ComparisonLevel("else", 0.03, 0.9847),
    ),
    fold_name,
    _assign_surname,
)

#: Date of birth. Levels in order: ``exact`` / ``swap`` (day and month exchanged, same
#: year) / ``typo`` (one digit wrong, two adjacent digits exchanged, or one day or one
#: year out) / ``partial``
#: (two of year, month, day agree) / ``else``.
DOB = Comparison(
    "dob",
    (
        ComparisonLevel("exact", 0.90, 1 / (365.25 * 85)),
        ComparisonLevel("swap", 0.02, 1 / (365.25 * 85)),
        ComparisonLevel("typo", 0.04, 1e-3),
        ComparisonLevel("partial", 0.02, 4e-3),
        ComparisonLevel("else", 0.02, 0.994936),
    ),
    lambda e: e,  # dob_key needs the column's dtype; the caller applies it
    _assign_dob,
    coded=partial(coded_dob, fallback=_assign_dob),
)

#: PNC ID. Levels in order: ``exact`` / ``typo`` (one character wrong or two adjacent
#: exchanged) / ``else``.
PNC = Comparison(
    "pnc",
    (
        ComparisonLevel("exact", 0.95, 1e-6),
        ComparisonLevel("typo", 0.03, 2e-5),
        ComparisonLevel("else", 0.02, 0.999979),
    ),
    pnc_key,
    _assign_exact_typo(min_len_for_typo=6),
)

#: Phone number. Levels in order: ``exact`` / ``typo`` (one digit wrong or two adjacent
#: exchanged, numbers of 10+ digits) / ``else`` (people change numbers: weak evidence).
PHONE = Comparison(
    "phone",
    (
        ComparisonLevel("exact", 0.60, 1e-5),
        ComparisonLevel("typo", 0.05, 1e-4),
        ComparisonLevel("else", 0.35, 0.99989),
    ),
    phone_key,
    _assign_exact_typo(min_len_for_typo=10),
    screen=_screen_one_edit(prefix=6, suffix=4),
)

#: Postcode. Levels in order: ``exact`` (tf) / ``near`` (one character wrong, or the
#: same postcode sector) / ``else`` (people move).
POSTCODE = Comparison(
    "postcode",
    (
        ComparisonLevel("exact", 0.70, 1e-3, tf_adjusted=True),
        ComparisonLevel("near", 0.08, 0.01),
        ComparisonLevel("else", 0.22, 0.989),
    ),
    postcode_key,
    _assign_postcode,
    screen=_screen_postcode,
    coded=partial(coded_postcode, fallback=_assign_postcode),
)

COMPARISONS = {c.name: c for c in (FORENAME, SURNAME, DOB, PNC, PHONE, POSTCODE)}


def forename_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """Forename levels, in order: ``exact``, ``nickname``, ``part``, ``initial``,
    ``jw92`` (Jaro–Winkler ≥ 0.92), ``jw85`` (≥ 0.85), ``else``; ``null`` when either
    side is missing."""
    return FORENAME.compare(left, right)


def surname_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """Surname levels, in order: ``exact``, ``part`` (part of a double-barrelled or
    hyphenated name), ``jw92``, ``jw85``, ``else``; ``null`` when either side is missing."""
    return SURNAME.compare(left, right)


def dob_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """Date-of-birth levels, in order: ``exact``, ``swap`` (day/month exchanged),
    ``typo`` (one digit, two adjacent digits exchanged, one day or one year out),
    ``partial`` (two of
    year/month/day agree), ``else``; ``null`` when either side is missing."""
    frame = pl.DataFrame({"l": left, "r": right})
    frame = frame.select(
        dob_key(pl.col("l"), frame.schema["l"]).alias("l"), dob_key(pl.col("r"), frame.schema["r"]).alias("r")
    )
    return DOB.compare(frame["l"], frame["r"])


def pnc_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """PNC ID levels, in order: ``exact``, ``typo``, ``else``; ``null`` when either side is missing."""
    return PNC.compare(left, right)


def phone_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """Phone levels, in order: ``exact``, ``typo``, ``else``; ``null`` when either side is missing."""
    return PHONE.compare(left, right)


def postcode_at_thresholds(left: pl.Series, right: pl.Series) -> pl.Series:
    """Postcode levels, in order: ``exact``, ``near`` (one character or same sector),
    ``else``; ``null`` when either side is missing."""
    return POSTCODE.compare(left, right)
