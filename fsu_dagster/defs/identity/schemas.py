"""Pandera (polars) models for the identity layer's own tables.

The identity index and the link frame share Stage 1's models (``defs/stage1/schemas.py``).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

VARIANT_FIELDS = ["forename", "surname", "dob", "pnc_id", "phone"]
LINK_MODES = ["exact", "fuzzy"]


class IdentityVariants(pa.DataFrameModel):
    """One row per person, field and distinct value seen in the window."""

    month: pl.Date = pa.Field(nullable=False)
    person_id: str = pa.Field(nullable=False)
    field: str = pa.Field(nullable=False, isin=VARIANT_FIELDS)
    value: str = pa.Field(nullable=False)
    n_versions: pl.Int64 = pa.Field(nullable=False, ge=1)
    n_months: pl.Int64 = pa.Field(nullable=False, ge=1, le=12)
    first_seen: pl.Date = pa.Field(nullable=False)
    last_seen: pl.Date = pa.Field(nullable=False)

    @pa.dataframe_check
    @classmethod
    def first_seen_not_after_last_seen(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("first_seen") <= pl.col("last_seen"))

    @pa.dataframe_check
    @classmethod
    def one_row_per_person_field_value(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.struct("person_id", "field", "value").is_duplicated())

    class Config:
        strict = False


class LinkQuality(pa.DataFrameModel):
    """Aggregate link quality per link mode and log month: counts and shares only."""

    month: pl.Date = pa.Field(nullable=False)
    mode: str = pa.Field(nullable=False, isin=LINK_MODES)
    log_month: pl.Date = pa.Field(nullable=False)
    n_logs: pl.Int64 = pa.Field(nullable=False, ge=0)
    n_originator_linked: pl.Int64 = pa.Field(nullable=False, ge=0)
    n_subject_linked: pl.Int64 = pa.Field(nullable=False, ge=0)
    share_originator_linked: pl.Float64 = pa.Field(nullable=False, ge=0, le=1)
    share_subject_linked: pl.Float64 = pa.Field(nullable=False, ge=0, le=1)

    class Config:
        strict = False
