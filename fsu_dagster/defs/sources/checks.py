"""The two blocking checks of every source asset, evaluated inside the asset's run.

* ``<extract>_schema``: the Pandera schema from the contract (``schemas.py``).
* ``<extract>_quarantine_rate``: each month's quarantined share of rows read is at most
  ``settings.quarantine_max_rate``.

Metadata holds counts, rates and check names only, never a value from the data.
"""

from typing import Any

import dagster as dg
import polars as pl

from fsu_dagster.contract import Extract
from fsu_dagster.defs.checks import pandera_check_result
from fsu_dagster.defs.sources.schemas import SOURCE_SCHEMAS
from fsu_dagster.ingest import ParsedExtract, month_folder


def source_check_specs(extract: Extract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            f"{extract.name}_schema",
            asset=key,
            blocking=True,
            description="Pandera schema from the landing contract: dtypes, required, allowed values, ranges, unique key.",
        ),
        dg.AssetCheckSpec(
            f"{extract.name}_quarantine_rate",
            asset=key,
            blocking=True,
            description="Each month's quarantined share of rows read is at most settings.quarantine_max_rate.",
        ),
    ]


def schema_check(extract: Extract, frame: pl.DataFrame) -> dg.AssetCheckResult:
    """Pandera validation of the output; metadata names failing checks and counts, never values."""
    return pandera_check_result(f"{extract.name}_schema", SOURCE_SCHEMAS[extract.name], frame)


def quarantine_rate_check(extract: Extract, parsed: list[ParsedExtract], max_rate: float) -> dg.AssetCheckResult:
    """Passes when every month's quarantined share of rows read is at most ``max_rate``."""
    per_month: dict[str, dict[str, Any]] = {}
    failing = []
    for p in parsed:
        read, bad = p.stats["rows_read"], p.stats["rows_quarantined"]
        rate = bad / read if read else 0.0
        per_month[month_folder(p.month)] = {"rows_read": read, "rows_quarantined": bad, "rate": round(rate, 6)}
        if rate > max_rate:
            failing.append(month_folder(p.month))
    total_read = sum(p.stats["rows_read"] for p in parsed)
    total_bad = sum(p.stats["rows_quarantined"] for p in parsed)
    return dg.AssetCheckResult(
        check_name=f"{extract.name}_quarantine_rate",
        passed=not failing,
        metadata={
            "max_rate": max_rate,
            "rows_read": total_read,
            "rows_quarantined": total_bad,
            "rate": round(total_bad / total_read, 6) if total_read else 0.0,
            "months_over_threshold": dg.MetadataValue.json(failing),
            "per_month": dg.MetadataValue.json(per_month),
        },
    )
