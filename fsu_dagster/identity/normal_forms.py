"""Normal forms: every value the linker (and the profiles) compare, in one canonical form.

Two families:

* the data contract's exact rule (section 3): ``normalise_name`` (upper case, only
  A–Z; empty is missing) and ``normalise_pnc`` (upper case, spaces removed). Upper-
  casing uses Unicode full case mapping (polars/Rust ``to_uppercase``, the same as
  Python's ``str.upper``), so ``ß`` becomes ``SS`` before the A–Z filter;
* the fuzzy normal forms (``fold_name``, ``name_key``, ``dob_key``, ``pnc_key``,
  ``phone_key``, ``postcode_key``). They go further than the exact rule: accents are
  folded (``Zoë`` → ``ZOE``, ``Łukasz`` → ``LUKASZ``), and name parts are kept apart
  by single spaces (``Smith-Jones`` → ``SMITH JONES``) so double-barrelled names can be
  compared part by part. ``name_key`` then drops the spaces, giving the contract's
  normal form for ASCII names.

The phone rule (``phone_key``) is the one rule for phone numbers everywhere: linking,
provisional individuals and the profiles' caller matching (``docs/identity.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

__all__ = [
    "column_form",
    "dob_key",
    "fold_name",
    "name_key",
    "normalise_name",
    "normalise_pnc",
    "on_distinct",
    "phone_key",
    "pnc_key",
    "postcode_key",
]


#: Letters that Unicode decomposition (NFKD) does not reduce to A–Z.
_SPECIAL_LETTERS = {
    "Ł": "L",
    "ł": "l",
    "Ø": "O",
    "ø": "o",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "TH",
    "þ": "th",
    "ı": "i",
    "ß": "ss",
}


def _col(expr: pl.Expr | str) -> pl.Expr:
    return pl.col(expr) if isinstance(expr, str) else expr


def _null_if_empty(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_bytes() > 0).then(e).otherwise(None)


def fold_name(expr: pl.Expr | str) -> pl.Expr:
    """A name in fuzzy normal form: accents folded, upper case, A–Z parts joined by one space.

    Apostrophes vanish (``O'Brien`` → ``OBRIEN``); every other run of non-letters
    separates parts (``Smith-Jones`` → ``SMITH JONES``). Empty → null.
    """
    e = (
        _col(expr)
        .cast(pl.String)
        .str.replace_many(list(_SPECIAL_LETTERS), list(_SPECIAL_LETTERS.values()))
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_uppercase()
        .str.replace_all(r"['’‘`]", "")
        .str.replace_all(r"[^A-Z]+", " ")
        .str.strip_chars()
    )
    return _null_if_empty(e)


def name_key(expr: pl.Expr | str) -> pl.Expr:
    """A folded name without its spaces (``SMITH JONES`` → ``SMITHJONES``)."""
    return _null_if_empty(_col(expr).str.replace_all(" ", "", literal=True))


def dob_key(expr: pl.Expr | str, dtype: pl.DataType | None = None) -> pl.Expr:
    """A date of birth as an 8-digit ``YYYYMMDD`` string (null when unreadable).

    Accepts dates, datetimes, integers like ``19560409`` and strings in ISO
    (``1956-04-09``), compact (``19560409``) or British (``09/04/1956``) order. Strings
    are not checked as calendar dates, so a typed ``19561304`` can still be compared
    (it is a day/month swap of ``19560413``), and a string of 7 or 9 digits is kept as
    typed (a dropped or doubled digit is one edit from the right date).
    """
    e = _col(expr)
    if dtype is not None and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        return e.dt.strftime("%Y%m%d")
    if dtype is not None and dtype.is_integer():
        e = e.cast(pl.String)
    s = e.cast(pl.String).str.strip_chars()
    british = s.str.extract_groups(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
    british_key = pl.concat_str(
        british.struct.field("3"),
        british.struct.field("2").str.zfill(2),
        british.struct.field("1").str.zfill(2),
    )
    iso = s.str.extract_groups(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")
    iso_key = pl.concat_str(
        iso.struct.field("1"), iso.struct.field("2").str.zfill(2), iso.struct.field("3").str.zfill(2)
    )
    compact = s.str.extract(r"^(\d{8})$", 1)
    # A digit dropped or doubled in typing: kept as typed so it still compares as a typo.
    near = s.str.extract(r"^(\d{7}|\d{9})$", 1)
    return pl.coalesce(compact, iso_key, british_key, near)


def pnc_key(expr: pl.Expr | str) -> pl.Expr:
    """A PNC ID in a canonical form: ``YY/NNNNNNNL`` with the year's century and the
    number's leading zeros dropped (``2007/0123456X`` and ``07/123456x`` agree); any
    other value is upper-cased with everything but A–Z and 0–9 removed."""
    s = _col(expr).cast(pl.String).str.to_uppercase().str.replace_all(r"\s", "")
    parts = s.str.extract_groups(r"^(?:19|20)?(\d{2})/0*(\d{1,8})([A-Z])$")
    canonical = pl.concat_str(parts.struct.field("1"), pl.lit("/"), parts.struct.field("2"), parts.struct.field("3"))
    other = s.str.replace_all(r"[^A-Z0-9]", "")
    return _null_if_empty(pl.coalesce(canonical, other))


def phone_key(expr: pl.Expr | str) -> pl.Expr:
    """A phone number as digits in UK national form (``+44 7700 900123`` → ``07700900123``);
    fewer than 7 digits → null."""
    d = _col(expr).cast(pl.String).str.replace_all(r"[^0-9]", "")
    d = (
        pl.when(d.str.starts_with("0044"))
        .then(pl.concat_str(pl.lit("0"), d.str.slice(4)))
        .when(d.str.starts_with("44") & (d.str.len_bytes() >= 12))
        .then(pl.concat_str(pl.lit("0"), d.str.slice(2)))
        .otherwise(d)
    )
    return pl.when(d.str.len_bytes() >= 7).then(d).otherwise(None)


def postcode_key(expr: pl.Expr | str) -> pl.Expr:
    """A postcode upper-cased with everything but A–Z and 0–9 removed (``b15 2tt`` → ``B152TT``)."""
    return _null_if_empty(_col(expr).cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", ""))


def normalise_name(expr: pl.Expr | str) -> pl.Expr:
    """The contract's name rule: upper case, keep only A–Z; empty -> null."""
    out = _col(expr).cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    return _null_if_empty(out)


def normalise_pnc(expr: pl.Expr | str) -> pl.Expr:
    """The contract's PNC ID rule: upper case, spaces (U+0020) removed; empty -> null."""
    out = _col(expr).cast(pl.String).str.to_uppercase().str.replace_all(" ", "", literal=True)
    return _null_if_empty(out)


def on_distinct(values: pl.Series, form: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``form`` (an element-wise normal form, e.g. ``fold_name``) of every value, worked out once
    per distinct value and joined back: names, numbers and postcodes repeat (a force window's
    1.2 M ControlWorks mentions carry 62 k distinct surnames). The same Series, name included,
    as ``values.to_frame().select(form(pl.col(values.name))).to_series()``."""
    frame = values.to_frame("_v")
    table = frame.unique("_v").with_columns(form(pl.col("_v")).alias("_nf"))
    out = frame.join(table, on="_v", how="left", nulls_equal=True, maintain_order="left")["_nf"]
    return out.alias(values.name)


def column_form(frame: pl.DataFrame, form: Callable[[pl.Expr], pl.Expr], *names: str, alias: str) -> pl.Series:
    """``form`` of the first of ``names`` that ``frame`` has (:func:`on_distinct`), as ``alias``;
    all null (String) when it has none of them."""
    column = next((n for n in names if n in frame.columns), None)
    if column is None:
        return pl.Series(alias, [None] * frame.height, dtype=pl.String)
    return on_distinct(frame[column], form).alias(alias)
