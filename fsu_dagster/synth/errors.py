"""How identities get mangled when typed: the messiness of ControlWorks names and of
Connect's other versions of a person.

Everything is vectorised: a frame of true identities (``forename, surname, dob``)
plus one error kind per row goes in, the typed identities come out. Kinds:

* cosmetic (exact after the contract's normalisation: upper case, A-Z only):
  ``exact``, ``case``, ``punct``;
* messy (a normalised name or the DOB differs, so exact linking fails):
  ``typo_sub``, ``typo_transpose``, ``typo_delete``, ``typo_insert`` (one edit in the
  forename or the surname), ``nickname`` (Bob for Robert), ``ascii`` (Zoe for Zoë),
  ``swap`` (forename and surname swapped), ``surname_part`` (one half of a
  double-barrelled surname), ``dob_swap`` (day and month swapped), ``dob_typo``,
  ``dob_missing``, ``surname_missing``;
* ``anonymous``: nothing typed.

A kind that cannot apply to a row (``nickname`` for a forename without one, ``ascii``
for an ASCII name, ``surname_part`` for a single surname, ``dob_swap`` when day and
month cannot be swapped) falls back to a one-letter substitution in the surname, so
every messy row really is messy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fsu_dagster.synth.vocab import NICKNAMES

__all__ = ["COSMETIC", "KINDS", "MESSY", "apply_errors", "case_style", "format_pnc", "type_pnc"]

KINDS = (
    "exact",
    "case",
    "punct",
    "typo_sub",
    "typo_transpose",
    "typo_delete",
    "typo_insert",
    "nickname",
    "ascii",
    "swap",
    "surname_part",
    "dob_swap",
    "dob_typo",
    "dob_missing",
    "surname_missing",
    "anonymous",
)
K = {k: i for i, k in enumerate(KINDS)}
COSMETIC = ("exact", "case", "punct")
MESSY = KINDS[3:-1]

_NICK_MAP = {formal: "|".join(nicks) for formal, nicks in NICKNAMES.items()}
_ASCII_FOLD = {
    "ë": "e",
    "é": "e",
    "è": "e",
    "á": "a",
    "à": "a",
    "ó": "o",
    "Ó": "O",
    "ö": "o",
    "ü": "u",
    "ä": "a",
    "í": "i",
    "ł": "l",
    "Ł": "L",
    "ś": "s",
    "ń": "n",
    "ç": "c",
    "â": "a",
    "ê": "e",
}
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
#: DOB typos, paired: (days, years) = one day out, or the year one or ten out.
_DOB_DAYS = np.array([1, -1, 0, 0, 0, 0], dtype=np.int32)
_DOB_YEARS = np.array([0, 0, 1, -1, 10, -10], dtype=np.int32)
_PNC_CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"


def _edit(col: pl.Expr, kind: pl.Expr, u: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """One typing edit in ``col`` chosen by ``kind`` (sub/transpose/delete/insert), at a
    position drawn from ``u`` in [0, 1)."""
    n = col.str.len_chars()
    p = (u * n).floor().cast(pl.Int64).clip(0, None)
    pt = (u * (n - 1)).floor().cast(pl.Int64).clip(0, None)
    head, tail = col.str.slice(0, p), col.str.slice(p + 1)
    return (
        pl.when(n < 2)
        .then(col + letter)
        .when(kind == K["typo_transpose"])
        .then(col.str.slice(0, pt) + col.str.slice(pt + 1, 1) + col.str.slice(pt, 1) + col.str.slice(pt + 2))
        .when((kind == K["typo_delete"]) & (n > 3))
        .then(head + tail)
        .when(kind == K["typo_insert"])
        .then(col.str.slice(0, p) + letter + col.str.slice(p))
        .otherwise(
            # Substitution; a letter equal to the one replaced would be no error, so bump it.
            pl.when(col.str.slice(p, 1).str.to_lowercase() == letter)
            .then(head + pl.when(letter == "z").then(pl.lit("a")).otherwise(pl.lit("e")) + tail)
            .otherwise(head + letter + tail)
        )
    )


def apply_errors(
    df: pl.DataFrame, kinds: np.ndarray, rng: np.random.Generator, with_kind: bool = False
) -> pl.DataFrame:
    """Type ``df`` (``forename``, ``surname`` str; ``dob`` Date) with one error per row.

    Returns the same columns, typed, in the same row order; with ``with_kind`` also
    ``kind``, the name of the kind actually applied (after any fallback).
    """
    n = df.height
    if n == 0:
        return df.select(
            "forename", "surname", "dob", *([pl.lit(None, dtype=pl.String).alias("kind")] if with_kind else [])
        )
    j = rng.integers(0, _DOB_DAYS.size, n)
    aux = pl.DataFrame(
        {
            "_k": kinds.astype(np.int8),
            "_u": rng.random(n),
            "_v": rng.random(n),
            "_tgt": rng.random(n) < 0.45,  # True: the edit falls in the forename
            "_l": _LETTERS[rng.integers(0, 26, n)],
            "_dd": _DOB_DAYS[j],
            "_dy": _DOB_YEARS[j],
        }
    )
    f, s, d = pl.col("forename"), pl.col("surname"), pl.col("dob")
    k, u, v, letter = pl.col("_k"), pl.col("_u"), pl.col("_v"), pl.col("_l")

    nick_all = f.replace_strict(_NICK_MAP, default=None, return_dtype=pl.String).str.split("|")
    nick = nick_all.list.get((v * nick_all.list.len()).floor().cast(pl.Int64), null_on_oob=True)
    f_ascii = f.str.replace_many(_ASCII_FOLD)
    s_ascii = s.str.replace_many(_ASCII_FOLD)
    parts = s.str.replace_all(r"[- ]+", "-").str.split("-")
    s_part = pl.when(v < 0.5).then(parts.list.first()).otherwise(parts.list.last())
    has_parts = parts.list.len() > 1
    day, month, year = d.dt.day(), d.dt.month(), d.dt.year()
    can_swap = (day <= 12) & (day != month)

    # Fallbacks: a kind that cannot apply becomes a substitution in the surname.
    fallback = (
        ((k == K["nickname"]) & nick.is_null())
        | ((k == K["ascii"]) & (f_ascii == f) & (s_ascii == s))
        | ((k == K["surname_part"]) & ~has_parts)
        | ((k == K["dob_swap"]) & (d.is_null() | ~can_swap))
    )
    kf = pl.when(fallback).then(pl.lit(K["typo_sub"], dtype=pl.Int8)).otherwise(k)
    tgt = pl.when(fallback).then(pl.lit(False)).otherwise(pl.col("_tgt"))

    out = pl.concat([df.select("forename", "surname", "dob"), aux], how="horizontal").with_columns(_kf=kf, _tg=tgt)
    k2 = pl.col("_kf")
    is_typo = k2.is_in([K["typo_sub"], K["typo_transpose"], K["typo_delete"], K["typo_insert"]])

    def punct(c: pl.Expr) -> pl.Expr:
        return pl.when(v < 0.5).then(c.str.replace_all(r"['\-]", "")).otherwise(c.str.replace_all(r"['\-]", " "))

    forename = (
        pl.when(k2 == K["anonymous"])
        .then(pl.lit(None, dtype=pl.String))
        .when(k2 == K["swap"])
        .then(s)
        .when(k2 == K["nickname"])
        .then(nick)
        .when(k2 == K["ascii"])
        .then(f_ascii)
        .when(k2 == K["punct"])
        .then(punct(f))
        .when(k2 == K["case"])
        .then(f.str.to_lowercase())
        .when(is_typo & pl.col("_tg"))
        .then(_edit(f, k2, u, letter))
        .otherwise(f)
    )
    surname = (
        pl.when(k2.is_in([K["anonymous"], K["surname_missing"]]))
        .then(pl.lit(None, dtype=pl.String))
        .when(k2 == K["swap"])
        .then(f)
        .when(k2 == K["ascii"])
        .then(s_ascii)
        .when(k2 == K["surname_part"])
        .then(s_part)
        .when(k2 == K["punct"])
        .then(punct(s))
        .when(k2 == K["case"])
        .then(s.str.to_uppercase())
        .when(is_typo & ~pl.col("_tg"))
        .then(_edit(s, k2, u, letter))
        .otherwise(s)
    )
    dob = (
        pl.when(k2.is_in([K["anonymous"], K["dob_missing"]]))
        .then(pl.lit(None, dtype=pl.Date))
        .when(k2 == K["dob_swap"])
        .then(pl.date(year, day, month))
        .when(k2 == K["dob_typo"])
        .then(
            pl.when(pl.col("_dy") != 0)
            # Only 29 February has no twin in another year: it becomes the 28th.
            .then(pl.date(year + pl.col("_dy"), month, pl.when((month == 2) & (day == 29)).then(28).otherwise(day)))
            .otherwise(d + pl.duration(days=pl.col("_dd")))
        )
        .otherwise(d)
    )
    cols = [forename.alias("forename"), surname.alias("surname"), dob.alias("dob")]
    if with_kind:
        cols.append(k2.replace_strict(dict(enumerate(KINDS)), return_dtype=pl.String).alias("kind"))
    return out.select(cols)


def case_style(
    df: pl.DataFrame,
    rng: np.random.Generator,
    cols=("forename", "surname"),
    p_upper: float = 0.45,
    p_lower: float = 0.07,
) -> pl.DataFrame:
    """Typists' casing: UPPER, lower or as recorded; cosmetic under normalisation."""
    n = df.height
    r = pl.Series("_r", rng.random(n))
    exprs = []
    for c in cols:
        col = pl.col(c)
        exprs.append(
            pl.when(r < p_upper)
            .then(col.str.to_uppercase())
            .when(r < p_upper + p_lower)
            .then(col.str.to_lowercase())
            .otherwise(col)
            .alias(c)
        )
    return df.with_columns(r).with_columns(exprs).drop("_r")


def format_pnc(year2: np.ndarray, serial: np.ndarray) -> pl.Series:
    """PNC IDs like ``07/123456X``: two-digit year, serial, mod-23 check letter."""
    value = year2.astype(np.int64) * 10_000_000 + serial.astype(np.int64)
    letters = np.array(list(_PNC_CHECK))[value % 23]
    return (
        pl.DataFrame({"y": year2, "s": serial, "l": letters})
        .select(
            pl.format(
                "{}/{}{}",
                pl.col("y").cast(pl.String).str.zfill(2),
                pl.col("s").cast(pl.String).str.zfill(6),
                pl.col("l"),
            )
        )
        .to_series()
        .alias("pnc_id")
    )


def type_pnc(
    pnc: pl.Series, rng: np.random.Generator, p_lower: float = 0.05, p_space: float = 0.03, p_typo: float = 0.02
) -> pl.Series:
    """A PNC ID as typed: sometimes lower case or spaced (still matches once upper-cased
    with spaces removed), rarely one digit wrong (matches nobody)."""
    n = pnc.len()
    r = rng.random(n)
    digit = rng.integers(0, 10, n).astype(str)
    df = pl.DataFrame({"p": pnc, "r": r, "d": digit})
    p = pl.col("p")
    return df.select(
        # Nothing typed stays nothing: a slip needs a PNC ID to slip on.
        pl.when(p == "")
        .then(p)
        .when(pl.col("r") < p_lower)
        .then(p.str.to_lowercase())
        .when(pl.col("r") < p_lower + p_space)
        .then(p.str.replace("/", "/ "))
        .when(pl.col("r") < p_lower + p_space + p_typo)
        .then(
            pl.when(p.str.slice(5, 1) == pl.col("d"))
            .then(p.str.slice(0, 5) + ((pl.col("d").cast(pl.Int64) + 1) % 10).cast(pl.String) + p.str.slice(6))
            .otherwise(p.str.slice(0, 5) + pl.col("d") + p.str.slice(6))
        )
        .otherwise(p)
        .alias(pnc.name)
    ).to_series()
