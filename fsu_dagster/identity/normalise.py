"""Normalisation for identity matching (data contract section 3), as polars expressions.

* Names: upper case, keep only the letters A–Z (so spaces, hyphens, apostrophes, digits
  and letters outside A–Z such as ``É`` are dropped); a name that normalises to the
  empty string is missing (null).
* PNC IDs: upper case, spaces removed; empty is missing (null).

Upper-casing uses Unicode full case mapping (polars/Rust ``to_uppercase``, the same as
Python's ``str.upper``), so ``ß`` becomes ``SS`` before the A–Z filter.
"""

from __future__ import annotations

import polars as pl

__all__ = ["normalise_name", "normalise_pnc"]


def normalise_name(expr: pl.Expr | str) -> pl.Expr:
    """Upper case, keep only A–Z; empty -> null."""
    e = pl.col(expr) if isinstance(expr, str) else expr
    out = e.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    return pl.when(out.str.len_bytes() > 0).then(out).otherwise(None)


def normalise_pnc(expr: pl.Expr | str) -> pl.Expr:
    """Upper case, spaces (U+0020) removed; empty -> null."""
    e = pl.col(expr) if isinstance(expr, str) else expr
    out = e.cast(pl.String).str.to_uppercase().str.replace_all(" ", "", literal=True)
    return pl.when(out.str.len_bytes() > 0).then(out).otherwise(None)
