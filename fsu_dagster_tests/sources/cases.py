"""Landing-file builders for the sources tests: small CSVs written by hand, from the contract."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from fsu_dagster.contract import EXTRACTS, Column, Extract

MARCH = dt.date(2026, 3, 1)


def good_value(col: Column) -> str:
    """A valid landing text for ``col`` (first allowed value, range minimum, ...)."""
    if col.allowed is not None:
        return sorted(col.allowed)[0]
    return {
        "str": "X1",
        "int": str(col.min_value if col.min_value is not None else 1),
        "bool": "false",
        "date": "2000-01-01",
        "timestamp": "2026-03-10T12:00:00",
    }[col.type]


def good_row(extract: Extract, key: str = "K1", **overrides: str) -> dict[str, str]:
    row = {c.name: good_value(c) for c in extract.columns}
    if extract.primary_key:
        row[extract.primary_key] = key
    row.update(overrides)
    return row


def write_csv(path: Path, header: list[str], rows: list[list[str]] | list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    return path


def write_extract(landing: Path, name: str, month: dt.date, rows: list[dict[str, str]]) -> Path:
    extract = EXTRACTS[name]
    path = landing / f"{month:%Y-%m}" / f"{name}.csv"
    return write_csv(path, list(extract.column_names), rows)
