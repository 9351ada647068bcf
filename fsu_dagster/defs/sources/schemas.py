"""Pandera (polars) schemas of the nine source tables, built from the landing contract.

One schema per extract: ``month`` first (DATE, non-null), then the contract columns in
contract order with the pipeline dtypes; required columns non-null; allowed values via
``isin``; integer ranges; a primary key unique within each landing month (one run may load a
range of months; the same key landing again in a later month is a newer version of the record,
resolved by the window, see ``fsu_dagster.window.latest_versions``). Strict and ordered, so an
extra or misplaced column fails too. Used by the ``<extract>_schema`` asset checks.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from fsu_dagster.contract import EXTRACTS, MONTH_COLUMN, Column, Extract
from fsu_dagster.ingest import PIPELINE_DTYPES

__all__ = ["SOURCE_SCHEMAS", "source_schema"]


def _column(col: Column, extract: Extract) -> pa.Column:
    checks = []
    if col.allowed is not None:
        checks.append(pa.Check.isin(sorted(col.allowed)))
    if col.min_value is not None:
        checks.append(pa.Check.ge(col.min_value))
    if col.max_value is not None:
        checks.append(pa.Check.le(col.max_value))
    return pa.Column(
        PIPELINE_DTYPES[col.type],
        checks=checks or None,
        nullable=not col.required,
        description=f"{col.type}{', required' if col.required else ''}"
        + (", primary key" if col.name == extract.primary_key else ""),
    )


def source_schema(extract: Extract) -> pa.DataFrameSchema:
    columns = {MONTH_COLUMN: pa.Column(pl.Date, nullable=False, description="landing month (first day)")}
    columns.update({c.name: _column(c, extract) for c in extract.columns})
    return pa.DataFrameSchema(
        columns,
        unique=[MONTH_COLUMN, extract.primary_key] if extract.primary_key else None,
        strict=True,
        ordered=True,
        name=extract.name,
        description=extract.description,
    )


SOURCE_SCHEMAS: dict[str, pa.DataFrameSchema] = {name: source_schema(e) for name, e in EXTRACTS.items()}
