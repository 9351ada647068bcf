"""Identity typing errors: each kind does exactly what its name says.

Identity matching is scored against the generator's truth; if a "cosmetic" mention
were secretly unlinkable, or a "messy" one secretly exact, the exact-versus-fuzzy
comparison would measure the generator instead of the matcher.
"""

from __future__ import annotations

import datetime as dt

import jellyfish
import numpy as np
import polars as pl
import pytest

from fsu_dagster.synth.errors import (
    COSMETIC,
    KINDS,
    MESSY,
    K,
    apply_errors,
    format_pnc,
    type_pnc,
)
from fsu_dagster.synth.vocab import NICKNAMES

N = 60  # rows per case: the random position / letter / variant differs per row


def _norm(x: str | None) -> str | None:
    if x is None:
        return None
    return "".join(c for c in x.upper() if "A" <= c <= "Z") or None


def _type(kind: str, forename: str, surname: str, dob: dt.date, seed: int = 0) -> pl.DataFrame:
    df = pl.DataFrame({"forename": [forename] * N, "surname": [surname] * N, "dob": [dob] * N})
    return apply_errors(df, np.full(N, K[kind]), np.random.default_rng(seed))


def test_kind_lists_partition_the_kinds():
    """Cosmetic, messy and anonymous cover every kind once."""
    assert sorted((*COSMETIC, *MESSY, "anonymous")) == sorted(KINDS)


@pytest.mark.parametrize("kind", COSMETIC)
@pytest.mark.parametrize(("forename", "surname"), [("Robert", "Smith-Jones"), ("Zoë", "O'Brien"), ("Amy", "Ó Briain")])
def test_cosmetic_kinds_survive_normalisation(kind, forename, surname):
    """Case and punctuation changes must still link under the contract's normalisation."""
    out = _type(kind, forename, surname, dt.date(1980, 3, 5))
    assert set(out["forename"].map_elements(_norm, return_dtype=pl.String)) == {_norm(forename)}
    assert set(out["surname"].map_elements(_norm, return_dtype=pl.String)) == {_norm(surname)}
    assert set(out["dob"]) == {dt.date(1980, 3, 5)}


@pytest.mark.parametrize("kind", ["typo_sub", "typo_transpose", "typo_delete", "typo_insert"])
def test_typos_are_one_edit_in_one_name(kind):
    """One keying error in the forename or the surname, never both, never none."""
    out = _type(kind, "Katherine", "Richardson", dt.date(1975, 11, 20))
    for f, s in out.select("forename", "surname").iter_rows():
        df = jellyfish.damerau_levenshtein_distance(f.upper(), "KATHERINE")
        ds = jellyfish.damerau_levenshtein_distance(s.upper(), "RICHARDSON")
        assert sorted((df, ds)) == [0, 1], (f, s)
    assert set(out["dob"]) == {dt.date(1975, 11, 20)}


@pytest.mark.parametrize(
    ("kind", "forename", "surname", "dob", "check"),
    [
        ("nickname", "Robert", "Smith", dt.date(1980, 3, 5), lambda f, s, d: f in NICKNAMES["Robert"] and s == "Smith"),
        ("ascii", "Zoë", "Müller", dt.date(1990, 1, 2), lambda f, s, d: (f, s) in {("Zoe", "Muller")}),
        ("swap", "Jack", "Taylor", dt.date(1990, 1, 2), lambda f, s, d: (f, s) == ("Taylor", "Jack")),
        ("surname_part", "Amy", "Smith-Jones", dt.date(1990, 1, 2), lambda f, s, d: s in {"Smith", "Jones"}),
        ("surname_part", "Aoife", "Ó Briain", dt.date(1990, 1, 2), lambda f, s, d: s in {"Ó", "Briain"}),
        ("dob_swap", "Amy", "Smith", dt.date(1980, 3, 5), lambda f, s, d: d == dt.date(1980, 5, 3)),
        (
            "dob_typo",
            "Amy",
            "Smith",
            dt.date(1980, 3, 5),
            lambda f, s, d: (
                d != dt.date(1980, 3, 5)
                and (abs((d - dt.date(1980, 3, 5)).days) == 1 or d.year in {1979, 1981, 1970, 1990})
            ),
        ),
        ("dob_missing", "Amy", "Smith", dt.date(1980, 3, 5), lambda f, s, d: d is None and (f, s) == ("Amy", "Smith")),
        ("surname_missing", "Amy", "Smith", dt.date(1980, 3, 5), lambda f, s, d: s is None and f == "Amy"),
        ("anonymous", "Amy", "Smith", dt.date(1980, 3, 5), lambda f, s, d: (f, s, d) == (None, None, None)),
    ],
)
def test_messy_kinds(kind, forename, surname, dob, check):
    """Each messy kind makes the change it names."""
    out = _type(kind, forename, surname, dob)
    for f, s, d in out.iter_rows():
        assert check(f, s, d), (kind, f, s, d)


@pytest.mark.parametrize(
    ("kind", "forename", "surname", "dob"),
    [
        ("nickname", "Keisha", "Smith", dt.date(1980, 3, 5)),  # no nickname on file
        ("ascii", "Amy", "Smith", dt.date(1980, 3, 5)),  # nothing to fold
        ("surname_part", "Amy", "Smith", dt.date(1980, 3, 5)),  # single surname
        ("dob_swap", "Amy", "Smith", dt.date(1980, 3, 25)),  # day 25 cannot be a month
        ("dob_swap", "Amy", "Smith", dt.date(1980, 4, 4)),  # swapping changes nothing
    ],
)
def test_kinds_that_cannot_apply_still_make_the_mention_messy(kind, forename, surname, dob):
    """A fallback keeps the promise that a messy mention does not link exactly."""
    out = _type(kind, forename, surname, dob)
    for f, s, d in out.iter_rows():
        assert f == forename and d == dob
        assert jellyfish.hamming_distance(s.upper(), surname.upper()) == 1


@pytest.mark.parametrize(
    ("year", "serial", "expected"),
    [(7, 123456, "07/123456X"), (0, 1, "00/000001A"), (99, 999998, "99/999998K")],
)
def test_pnc_ids_have_a_mod_23_check_letter(year, serial, expected):
    """07/123456X is the contract's example; the letter is (year*10^7 + serial) mod 23."""
    assert format_pnc(np.array([year]), np.array([serial])).to_list() == [expected]


def test_typed_pnc_ids_normalise_back_except_the_rare_wrong_digit():
    """Lower case and spaces vanish under the contract's PNC rule; a wrong digit does not."""
    pnc = pl.Series(["07/123456X"] * 2000)
    typed = type_pnc(pnc, np.random.default_rng(3), p_lower=0.2, p_space=0.2, p_typo=0.2)
    normalised = typed.str.to_uppercase().str.replace_all(" ", "")
    wrong = normalised.filter(normalised != "07/123456X")
    assert 300 < wrong.len() < 500
    assert wrong.str.contains(r"^07/\d{6}X$").all()
    assert (typed.str.contains(" ")).sum() > 300 and (typed.str.ends_with("x")).sum() > 300


def test_a_pnc_id_not_given_stays_empty():
    """No PNC ID shown means none typed: a slip cannot turn nothing into a stray digit."""
    typed = type_pnc(pl.Series([""] * 2000), np.random.default_rng(3), p_lower=0.2, p_space=0.2, p_typo=0.5)
    assert set(typed.to_list()) == {""}


@pytest.mark.parametrize("dob", [dt.date(1980, 3, 31), dt.date(1975, 12, 30), dt.date(1980, 2, 29)])
def test_a_dob_typo_changes_one_thing(dob):
    """A year slip keeps the day (the 31st stays the 31st); only 29 February, which
    other years lack, becomes the 28th. A day slip moves the date by one day."""
    out = _type("dob_typo", "Amy", "Smith", dob)
    for d in out["dob"]:
        if abs((d - dob).days) == 1:
            continue
        assert d.year - dob.year in {1, -1, 10, -10}, d
        assert (d.month, d.day) == ((2, 28) if (dob.month, dob.day) == (2, 29) else (dob.month, dob.day)), d
