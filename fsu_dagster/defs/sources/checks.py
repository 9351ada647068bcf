"""The two blocking checks of every source asset, evaluated inside the asset's run.

* ``<extract>_schema``: the Pandera schema from the contract (``schemas.py``).
* ``<extract>_quarantine_rate``: each month's quarantined share of rows read is at most
  ``settings.quarantine_max_rate``.
* ``<extract>_volume``: each month's rows read lie within ``settings.volume_band`` of the median
  of the previous landed months, unless the month was accepted (``fsu accept-volume``).

Metadata holds counts, rates and check names only, never a value from the data.
"""

from typing import Any

import dagster as dg
import polars as pl

from fsu_dagster.contract import Extract
from fsu_dagster.defs.checks import pandera_check_result
from fsu_dagster.defs.sources.schemas import SOURCE_SCHEMAS
from fsu_dagster.ingest import ParsedExtract, month_folder
from fsu_dagster.quality import VolumeVerdict


def source_check_specs(extract: Extract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            f"{extract.name}_schema",
            asset=key,
            blocking=True,
            description=(
                "Pandera schema from the landing contract: dtypes, required, allowed values, ranges, unique key."
            ),
        ),
        dg.AssetCheckSpec(
            f"{extract.name}_quarantine_rate",
            asset=key,
            blocking=True,
            description="Each month's quarantined share of rows read is at most settings.quarantine_max_rate.",
        ),
        dg.AssetCheckSpec(
            f"{extract.name}_volume",
            asset=key,
            blocking=True,
            description="Each month's rows read (0 for an empty, header-only or missing file) lie within "
            "settings.volume_band of the median of the previous landed months, or the month is accepted "
            "(fsu accept-volume).",
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


def volume_message(extract: Extract, failing: list[VolumeVerdict], band: float) -> str:
    """A sentence per failing month: extract, month, count, median, band and how to accept it."""
    parts = [
        f"{extract.name} {month_folder(v.month)}: {v.rows:,} rows read"
        + (" (empty, header-only or missing file)" if v.rows == 0 else "")
        + f", outside {band:.0%}..{1 / band:.0%} of the median {v.median:,.0f}"
        + f" of the {v.history} previous landed months"
        for v in failing
    ]
    fix = (
        f"fix the landing file, or accept with: fsu accept-volume --extract {extract.name} "
        f'--month {month_folder(failing[0].month)} --reason "..."'
    )
    return "; ".join(parts) + f" ({fix})"


def volume_check(extract: Extract, verdicts: list[VolumeVerdict], band: float) -> dg.AssetCheckResult:
    """Passes when no month's volume is outside the band (accepted months pass, with a note)."""
    failing = [v for v in verdicts if not v.passed]
    accepted = [month_folder(v.month) for v in verdicts if v.status == "accepted"]
    metadata: dict[str, Any] = {
        "band": band,
        "per_month": dg.MetadataValue.json(
            {
                month_folder(v.month): {
                    "rows_read": v.rows,
                    "median": v.median,
                    "history": v.history,
                    "status": v.status,
                }
                for v in verdicts
            }
        ),
        "months_outside_band": dg.MetadataValue.json([month_folder(v.month) for v in failing]),
        "months_accepted": dg.MetadataValue.json(accepted),
    }
    if failing:
        message = volume_message(extract, failing, band)
        metadata["message"] = message
    elif accepted:
        message = f"volume outside the band accepted for {', '.join(accepted)} (fsu.volume_acceptances)"
        metadata["note"] = message
    else:
        message = "every month's volume is within the band (or has too little history to judge)"
    return dg.AssetCheckResult(
        check_name=f"{extract.name}_volume", passed=not failing, metadata=metadata, description=message
    )
