"""Small helpers shared by the Stage 1 steps (internal); the exact-duration and window-month
helpers live in ``fsu_dagster.frames`` (shared with identity and the profiles)."""

from __future__ import annotations

import polars as pl


def upper_trim(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.strip_chars().str.to_uppercase()
