"""Forename short forms and nicknames, from the packaged table ``reference/nicknames.csv``.

The table has one row per ``name,variant`` pair (``WILLIAM,BILL``, ``MARGARET,PEGGY``,
``MOHAMMED,MUHAMMAD``), written in the normalised form (upper case, A–Z only). It
covers the formal names common in England and their usual British short forms,
pet names and spelling variants. It deliberately leaves out pairs that are
separate given names in current use (``JOHN``/``IAN``, ``MARGARET``/``MEGAN``),
because treating them as the same name would link different people.

Two forenames are *nickname-related* when they belong to the same group: one is the
formal name and the other a variant of it (``WILLIAM``/``BILL``), or both are
variants of the same formal name (``BILL``/``WILL``). The relation is symmetric.
A force can extend the table by adding rows; nothing else needs to change.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

__all__ = ["NICKNAMES_CSV", "are_nicknames", "nickname_groups", "nickname_pairs"]

#: The packaged table (``fsu_dagster/reference/nicknames.csv``).
NICKNAMES_CSV = Path(__file__).resolve().parent.parent / "reference" / "nicknames.csv"


def _read_table() -> pl.DataFrame:
    table = pl.read_csv(NICKNAMES_CSV, schema={"name": pl.String, "variant": pl.String}, comment_prefix="#")

    def clean(c: str) -> pl.Expr:
        return pl.col(c).str.to_uppercase().str.replace_all(r"[^A-Z]", "")

    return table.select(clean("name"), clean("variant")).filter(
        (pl.col("name").str.len_bytes() > 0) & (pl.col("variant").str.len_bytes() > 0)
    )


@lru_cache(maxsize=1)
def nickname_groups() -> pl.DataFrame:
    """``group, name``: each formal name's group holds the formal name and its variants."""
    table = _read_table()
    return (
        pl.concat(
            [
                table.select(pl.col("name").alias("group"), pl.col("name")),
                table.select(pl.col("name").alias("group"), pl.col("variant").alias("name")),
            ]
        )
        .unique()
        .sort("group", "name")
    )


@lru_cache(maxsize=1)
def nickname_pairs() -> pl.DataFrame:
    """``a, b``: every ordered pair of distinct nickname-related forenames (symmetric)."""
    g = nickname_groups()
    return (
        g.join(g, on="group", suffix="_b")
        .filter(pl.col("name") != pl.col("name_b"))
        .select(pl.col("name").alias("a"), pl.col("name_b").alias("b"))
        .unique()
        .sort("a", "b")
    )


@lru_cache(maxsize=1)
def _pair_set() -> frozenset[tuple[str, str]]:
    p = nickname_pairs()
    return frozenset(zip(p["a"].to_list(), p["b"].to_list(), strict=True))


def are_nicknames(a: str | None, b: str | None) -> bool:
    """True when two normalised forenames are different but nickname-related."""
    if not a or not b or a == b:
        return False
    return (a, b) in _pair_set()
