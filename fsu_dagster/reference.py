"""Reference tables shipped with the package (``fsu_dagster/reference/*.csv``).

* ``cchi.csv``: Cambridge Crime Harm Index days per Home Office offence code. The
  packaged values are documented approximations (``docs/reference-data.md``); a force
  points ``cchi_path`` in its settings at the official table, which only needs the
  columns ``offence_code`` and ``harm_days``.
* ``offence_codes.csv``: the offence codes the synthetic generator uses, with
  description, main group and whether the code is a crime.
* ``outcome_codes.csv``: Home Office crime outcomes 1-22.
* ``response_grades.csv``: ControlWorks response grades P1-P4.

Every loader returns a polars DataFrame with fixed column names and types, so the
steps that use them never depend on how the CSV was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

__all__ = [
    "REFERENCE_DIR",
    "load_cchi",
    "load_offence_codes",
    "load_outcome_codes",
    "load_response_grades",
]

REFERENCE_DIR = Path(__file__).with_name("reference")

CCHI_SCHEMA = {"offence_code": pl.String, "offence_description": pl.String, "harm_days": pl.Float64, "basis": pl.String}


def _read(path: Path, schema: Mapping[str, pl.DataType | type[pl.DataType]], required: tuple[str, ...]) -> pl.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"reference table {path} does not exist")
    df = pl.read_csv(path, infer_schema=False)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"reference table {path} lacks required column(s) {missing}; it has {df.columns}")
    out = []
    for name, dtype in schema.items():
        if name in df.columns:
            col = pl.col(name).str.strip_chars()
            if dtype == pl.Boolean:
                out.append(
                    col.str.to_lowercase()
                    .replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
                    .alias(name)
                )
            else:
                out.append(col.cast(dtype).alias(name))
        else:
            out.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(out)


def load_cchi(path: Path | str | None = None) -> pl.DataFrame:
    """Cambridge Crime Harm Index: ``offence_code`` (str, upper case), ``offence_description``,
    ``harm_days`` (Float64), ``basis``; one row per offence code.

    ``path`` is a force's own table (settings ``cchi_path``); it needs only
    ``offence_code`` and ``harm_days``. A duplicated code is an error, because the
    harm of an investigation would otherwise depend on which row wins.
    """
    p = Path(path) if path is not None else REFERENCE_DIR / "cchi.csv"
    df = _read(p, CCHI_SCHEMA, ("offence_code", "harm_days"))
    df = df.with_columns(pl.col("offence_code").str.to_uppercase())
    dupes = df.filter(pl.col("offence_code").is_duplicated())["offence_code"].unique().sort().to_list()
    if dupes:
        raise ValueError(f"CCHI table {p} repeats offence code(s) {dupes[:10]}")
    if df["harm_days"].null_count():
        raise ValueError(f"CCHI table {p} has {df['harm_days'].null_count()} row(s) without harm_days")
    return df


def load_offence_codes(path: Path | str | None = None) -> pl.DataFrame:
    """Offence codes: ``offence_code, offence_description, main_group, is_crime`` (Boolean)."""
    p = Path(path) if path is not None else REFERENCE_DIR / "offence_codes.csv"
    schema = {
        "offence_code": pl.String,
        "offence_description": pl.String,
        "main_group": pl.String,
        "is_crime": pl.Boolean,
    }
    return _read(p, schema, tuple(schema))


def load_outcome_codes(path: Path | str | None = None) -> pl.DataFrame:
    """Home Office crime outcomes: ``outcome_code`` (Int64, 1-22), ``outcome_description``, ``outcome_group``."""
    p = Path(path) if path is not None else REFERENCE_DIR / "outcome_codes.csv"
    schema = {"outcome_code": pl.Int64, "outcome_description": pl.String, "outcome_group": pl.String}
    return _read(p, schema, tuple(schema))


def load_response_grades(path: Path | str | None = None) -> pl.DataFrame:
    """Response grades: ``response_grade`` (P1-P4), ``label``, ``description``, ``target``."""
    p = Path(path) if path is not None else REFERENCE_DIR / "response_grades.csv"
    schema = {"response_grade": pl.String, "label": pl.String, "description": pl.String, "target": pl.String}
    return _read(p, schema, tuple(schema))
