"""The data-quality summary of a load: per extract and month, what was read, kept, refused or flagged.

Pure step (no Dagster import, no warehouse writes). The source assets build one row per
(extract, month) with :func:`quality_rows` and store them in ``fsu.data_quality`` (replaced per
extract and month, like the manifest); ``fsu run`` and backfills print :func:`summary_lines` of
the months they loaded. The volume guard's verdicts come from :func:`volume_verdicts`.

Everything here is aggregates: counts, reasons (which never hold a value) and column names.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from fsu_dagster.contract import MONTH_COLUMN
from fsu_dagster.ingest import ACTION_FLAG, ACTION_ROW, ACTION_VALUE, ParsedExtract, month_folder

__all__ = [
    "DATA_QUALITY_SCHEMA",
    "VOLUME_ACCEPTANCES_SCHEMA",
    "VolumeVerdict",
    "quality_rows",
    "summary_lines",
    "volume_verdicts",
]

#: ``fsu.data_quality``: one row per (extract, month) loaded.
DATA_QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "extract": pl.String(),
    MONTH_COLUMN: pl.Date(),
    "file": pl.String(),
    #: ``utf-8``, ``parquet``, the configured fallback encoding the file was read with, or null (no file).
    "encoding": pl.String(),
    "rows_read": pl.Int64(),
    "rows_accepted": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "values_nulled": pl.Int64(),
    "values_flagged": pl.Int64(),
    #: JSON objects ``{reason: count}``, one per action (rows quarantined, values nulled, values flagged).
    "quarantined_by_reason": pl.String(),
    "nulled_by_reason": pl.String(),
    "flagged_by_reason": pl.String(),
    #: Comma-separated column names.
    "ignored_columns": pl.String(),
    "missing_optional_columns": pl.String(),
    "anchor_outside_month": pl.Int64(),
    #: Child rows whose parent is not in the parent extract's same month (null: not a child extract).
    "orphan_child_rows": pl.Int64(),
    #: The volume guard: median rows read of the previous landed months, and the verdict.
    "volume_median": pl.Float64(),
    "volume_status": pl.String(),
    "checked_at": pl.Datetime("us"),
}

#: ``fsu.volume_acceptances``: months whose volume a person has accepted (``fsu accept-volume``).
VOLUME_ACCEPTANCES_SCHEMA: dict[str, pl.DataType] = {
    "extract": pl.String(),
    MONTH_COLUMN: pl.Date(),
    "reason": pl.String(),
    "accepted_by": pl.String(),
    "accepted_at": pl.Datetime("us"),
}

VOLUME_OK = "ok"
VOLUME_NO_HISTORY = "no history"
VOLUME_ACCEPTED = "accepted"
VOLUME_OUTSIDE = "outside band"
#: The month's landing folder holds no file of any extract: a missing month, which the window
#: check reports (and refuses unless ``allow_incomplete_window``), not a shrunk extract.
VOLUME_MONTH_MISSING = "month missing"


@dataclass(frozen=True)
class VolumeVerdict:
    month: dt.date
    rows: int
    #: Median of the previous landed months' rows read (None: too few of them to judge).
    median: float | None
    history: int
    status: str

    @property
    def passed(self) -> bool:
        return self.status != VOLUME_OUTSIDE


def volume_verdicts(
    counts: Mapping[dt.date, int],
    history: Mapping[dt.date, int],
    *,
    band: float,
    months_back: int = 6,
    min_history: int = 3,
    accepted: Iterable[dt.date] = (),
    absent: Iterable[dt.date] = (),
    noise_sigmas: float = 4.0,
) -> dict[dt.date, VolumeVerdict]:
    """Judge each month of ``counts`` (rows read; 0 for an empty, header-only or missing file).

    The reference is the median of up to ``months_back`` previous *landed* months (a file was
    read and held rows), taken from ``history`` (months loaded earlier) and from ``counts`` itself
    (a fresh warehouse loading twelve months compares each with the months before it in the
    range). With fewer than ``min_history`` such months the month passes (``no history``).
    Otherwise it fails below ``band`` x median or above median / ``band``, unless accepted, and
    only if it is also more than ``noise_sigmas`` x sqrt(median) from the median: a month's count
    varies by about sqrt(median) by chance (Poisson), which on a small extract (a median of 25
    missing reports) is more than the band. An empty month (0 rows) after landed months always
    fails.
    ``band`` 0 turns the guard off. ``absent`` months (no landing file of any extract) are
    missing months, left to the window check: they pass with status ``month missing``.
    """
    landed = {m: n for m, n in {**history, **counts}.items() if n > 0}
    accepted, absent = set(accepted), set(absent)
    out = {}
    for month in sorted(counts):
        rows = int(counts[month])
        before = sorted(m for m in landed if m < month)[-months_back:] if months_back > 0 else []
        if month in absent and rows == 0:
            median = statistics.median(landed[m] for m in before) if before else None
            out[month] = VolumeVerdict(month, rows, median, len(before), VOLUME_MONTH_MISSING)
            continue
        if band <= 0 or len(before) < max(min_history, 1):
            median = statistics.median(landed[m] for m in before) if before else None
            out[month] = VolumeVerdict(month, rows, median, len(before), VOLUME_NO_HISTORY if band > 0 else VOLUME_OK)
            continue
        median = float(statistics.median(landed[m] for m in before))
        inside = (band * median <= rows <= median / band) or (
            rows > 0 and abs(rows - median) <= noise_sigmas * math.sqrt(median)
        )
        status = VOLUME_OK if inside else (VOLUME_ACCEPTED if month in accepted else VOLUME_OUTSIDE)
        out[month] = VolumeVerdict(month, rows, median, len(before), status)
    return out


def _by_reason(quarantine: pl.DataFrame, action: str) -> dict[str, int]:
    reasons = quarantine.filter(pl.col("action") == action).get_column("reason").str.split(" (first seen").list.first()
    counted = reasons.value_counts(name="n").sort("reason")
    return {str(k): int(v) for k, v in counted.iter_rows()}


def quality_rows(
    parsed: list[ParsedExtract],
    at: dt.datetime,
    *,
    orphans: Mapping[dt.date, int] | None = None,
    volume: Mapping[dt.date, VolumeVerdict] | None = None,
) -> pl.DataFrame:
    """One ``fsu.data_quality`` row per parsed month."""
    rows: list[dict[str, Any]] = []
    for p in parsed:
        s = p.stats
        verdict = (volume or {}).get(p.month)
        rows.append(
            {
                "extract": p.extract,
                MONTH_COLUMN: p.month,
                "file": p.source_file,
                "encoding": s.get("encoding") if p.source_file else None,
                "rows_read": s["rows_read"],
                "rows_accepted": s["rows_valid"],
                "rows_quarantined": s["rows_quarantined"],
                "values_nulled": s["values_nulled"],
                "values_flagged": s.get("values_flagged", 0),
                "quarantined_by_reason": json.dumps(_by_reason(p.quarantine, ACTION_ROW)),
                "nulled_by_reason": json.dumps(_by_reason(p.quarantine, ACTION_VALUE)),
                "flagged_by_reason": json.dumps(_by_reason(p.quarantine, ACTION_FLAG)),
                "ignored_columns": ",".join(s["extra_columns_ignored"]),
                "missing_optional_columns": ",".join(s["missing_optional_columns"]),
                "anchor_outside_month": s["anchor_outside_month"],
                "orphan_child_rows": None if orphans is None else int(orphans.get(p.month, 0)),
                "volume_median": None if verdict is None or verdict.median is None else float(verdict.median),
                "volume_status": None if verdict is None else verdict.status,
                "checked_at": at,
            }
        )
    return pl.DataFrame(rows, schema=DATA_QUALITY_SCHEMA)


def _merge_counts(values: Iterable[str | None]) -> dict[str, int]:
    total: dict[str, int] = {}
    for text in values:
        for k, v in json.loads(text or "{}").items():
            total[k] = total.get(k, 0) + int(v)
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def summary_lines(frame: pl.DataFrame) -> list[str]:
    """A compact printout of ``fsu.data_quality`` rows: one line per extract with a problem, then totals.

    A problem is any quarantined row, nulled or flagged value, ignored or missing optional column,
    record anchored outside its folder's month, orphan child row, missing file, or a volume verdict
    other than ``ok``/``no history``.
    """
    if frame.is_empty():
        return ["Data quality: nothing loaded"]
    lines = []
    months = frame.get_column(MONTH_COLUMN).unique().sort()
    for extract in frame.get_column("extract").unique(maintain_order=True).to_list():
        f = frame.filter(pl.col("extract") == extract).sort(MONTH_COLUMN)
        parts = []
        quarantined = int(f["rows_quarantined"].sum())
        if quarantined:
            parts.append(
                f"{quarantined:,} rows quarantined ({_counts_text(_merge_counts(f['quarantined_by_reason']))})"
            )
        nulled = int(f["values_nulled"].sum())
        if nulled:
            parts.append(f"{nulled:,} values set to null ({_counts_text(_merge_counts(f['nulled_by_reason']))})")
        flagged = int(f["values_flagged"].sum())
        if flagged:
            parts.append(f"{flagged:,} values flagged ({_counts_text(_merge_counts(f['flagged_by_reason']))})")
        for column, label in (
            ("ignored_columns", "ignored columns"),
            ("missing_optional_columns", "missing optional columns"),
        ):
            names = sorted({n for text in f[column].drop_nulls() for n in text.split(",") if n})
            if names:
                parts.append(f"{label} {', '.join(names)}")
        outside = int(f["anchor_outside_month"].sum())
        if outside:
            parts.append(f"{outside:,} records anchored outside their folder's month")
        orphans = f["orphan_child_rows"].drop_nulls()
        if orphans.len() and int(orphans.sum()):
            parts.append(f"{int(orphans.sum()):,} orphan child rows (parent not in that month)")
        no_file = [month_folder(m) for m in f.filter(pl.col("file").is_null())[MONTH_COLUMN]]
        if no_file:
            parts.append(f"no file for {', '.join(no_file)}")
        encodings = sorted({e for e in f["encoding"].drop_nulls() if e not in ("utf-8", "parquet")})
        if encodings:
            parts.append(f"read with fallback encoding {', '.join(encodings)}")
        for row in f.filter(pl.col("volume_status").is_in(["outside band", "accepted"])).iter_rows(named=True):
            parts.append(
                f"volume {month_folder(row[MONTH_COLUMN])}: {row['rows_read']:,} rows read vs median "
                f"{row['volume_median']:,.0f} ({row['volume_status']})"
            )
        if parts:
            read, accepted = int(f["rows_read"].sum()), int(f["rows_accepted"].sum())
            lines.append(f"  {extract}: {read:,} read, {accepted:,} accepted; " + "; ".join(parts))
    total = (
        f"Data quality, {frame.get_column('extract').n_unique()} extracts x {months.len()} months "
        f"({month_folder(months[0])} .. {month_folder(months[-1])}): {int(frame['rows_read'].sum()):,} rows read, "
        f"{int(frame['rows_accepted'].sum()):,} accepted, {int(frame['rows_quarantined'].sum()):,} quarantined, "
        f"{int(frame['values_nulled'].sum()):,} values set to null, {int(frame['values_flagged'].sum()):,} flagged"
        + ("" if lines else "; no problems found")
    )
    return [total, *lines] + (["  (details: table fsu.data_quality and fsu.quarantine)"] if lines else [])
