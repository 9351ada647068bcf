"""Write extracts exactly per the landing contract (column order, formats)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fsu_dagster.contract import Extract
from fsu_dagster.synth.clock import to_local

__all__ = ["TIMESTAMP_FORMAT", "to_contract", "write_extract", "write_truth"]

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
_TYPES = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean, "date": pl.Date}


def to_contract(df: pl.DataFrame, extract: Extract) -> pl.DataFrame:
    """Columns in contract order with contract types; instants become local wall-clock times."""
    missing = [c for c in extract.column_names if c not in df.columns]
    extra = [c for c in df.columns if c not in extract.column_names]
    if missing or extra:
        raise ValueError(
            f"{extract.name}: generator frame differs from the contract (missing {missing}, extra {extra})"
        )
    exprs = []
    for col in extract.columns:
        if col.type == "timestamp":
            exprs.append(to_local(pl.col(col.name).cast(pl.Int64)).alias(col.name))
        else:
            exprs.append(pl.col(col.name).cast(_TYPES[col.type]).alias(col.name))
    return df.select(exprs)


def write_extract(df: pl.DataFrame, extract: Extract, folder: Path, fmt: str) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    out = to_contract(df, extract)
    if fmt == "csv":
        out.write_csv(
            folder / f"{extract.name}.csv", datetime_format=TIMESTAMP_FORMAT, date_format=DATE_FORMAT, null_value=""
        )
    elif fmt == "parquet":
        out.write_parquet(folder / f"{extract.name}.parquet", compression="zstd", statistics=True)
    else:
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    return out.height


def write_truth(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, date_format=DATE_FORMAT, null_value="")
