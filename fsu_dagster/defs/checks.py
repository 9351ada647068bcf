"""Pandera validation as an asset check result: counts and check names, never row values."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dagster as dg
import pandera.errors
import polars as pl


def pandera_failures(schema: Any, frame: pl.DataFrame) -> Counter[str]:
    """Validate ``frame`` with a Pandera (polars) schema or model; count failures per check.

    Returns an empty counter when the frame is valid. Only check and column names are kept.
    """
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        counts: Counter[str] = Counter()
        cases = exc.failure_cases
        if isinstance(cases, pl.DataFrame) and {"column", "check"} <= set(cases.columns):
            for row in cases.group_by(["column", "check"]).len().iter_rows(named=True):
                counts[f"{row['column']}: {row['check']}"] += int(row["len"])
        else:
            counts["schema"] += 1
        return counts
    except pandera.errors.SchemaError as exc:  # non-lazy errors (e.g. wrong dtype)
        return Counter({f"{getattr(exc, 'column_name', None) or 'frame'}: {type(exc).__name__}": 1})
    return Counter()


def pandera_check_result(
    check_name: str, schema: Any, frame: pl.DataFrame, asset_key: dg.AssetKey | None = None
) -> dg.AssetCheckResult:
    failures = pandera_failures(schema, frame)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not failures,
        metadata={
            "failure_count": sum(failures.values()),
            "failures_by_check": dg.MetadataValue.json(dict(failures)),
            "rows_checked": frame.height,
        },
    )
