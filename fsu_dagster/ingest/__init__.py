"""Landing files -> typed polars frames, with a quarantine for rows that break the contract.

Pure step (no Dagster import). ``docs/ingest.md`` documents every rule implemented here;
the column names, types, keys and allowed values all come from :mod:`fsu_dagster.contract`.

* :func:`find_landing_file` locates ``landing/YYYY-MM/<extract>.csv`` (or ``.parquet``).
* :func:`parse_extract` reads one month's file (or an in-memory frame) and returns a
  :class:`ParsedExtract`: the valid rows in the pipeline's types (``month`` first, then the
  contract columns in contract order), one quarantine row per problem found, and
  aggregate-only statistics.
* A file that cannot be read at all, or that lacks a required column, raises
  :class:`LandingFileError` naming the file, the line and what was expected. Messages never
  contain a field's value: landing files hold personal data.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from fsu_dagster.contract import LOCAL_TZ, MONTH_COLUMN, Extract
from fsu_dagster.ingest.columns import (
    _parse_plan,
    _plain_timestamp_columns,
    _run_stages,
)
from fsu_dagster.ingest.common import (
    _ROW,
    ACTION_FLAG,
    ACTION_ROW,
    ACTION_VALUE,
    ORDER_RULES,
    PIPELINE_DTYPES,
    QUARANTINE_SCHEMA,
    REASON_BEFORE,
    REASON_DOB,
    REASON_DST_GAP,
    REASON_DUPLICATE_KEY,
    REASON_FUTURE,
    REASON_MISSING,
    REASON_NOT_ALLOWED,
    REASON_OUT_OF_RANGE,
    REASON_OVER_CAP,
    UNPARSEABLE,
    LandingFileError,
    ParsedExtract,
    Plausibility,
)

# Re-exported: the package's public names, and reader internals the tests exercise directly.
from fsu_dagster.ingest.reader import (  # noqa: F401
    _display,
    _read_csv,
    _read_csv_bytes,
    _read_csv_fast,
    _read_csv_strict,
    _read_parquet,
    _scan_csv,
    find_landing_file,
    month_folder,
)

__all__ = [
    "ACTION_FLAG",
    "ACTION_ROW",
    "ACTION_VALUE",
    "LandingFileError",
    "ORDER_RULES",
    "ParsedExtract",
    "Plausibility",
    "PIPELINE_DTYPES",
    "QUARANTINE_SCHEMA",
    "REASON_DUPLICATE_KEY",
    "REASON_DST_GAP",
    "REASON_MISSING",
    "REASON_NOT_ALLOWED",
    "REASON_OUT_OF_RANGE",
    "UNPARSEABLE",
    "empty_frame",
    "find_landing_file",
    "month_folder",
    "output_schema",
    "parse_extract",
    "parse_months",
]


# --------------------------------------------------------------------------- schemas


def output_schema(extract: Extract) -> dict[str, pl.DataType]:
    """``month`` then the contract columns with their pipeline dtypes."""
    return {MONTH_COLUMN: pl.Date(), **{c.name: PIPELINE_DTYPES[c.type] for c in extract.columns}}


def empty_frame(extract: Extract) -> pl.DataFrame:
    return pl.DataFrame(schema=output_schema(extract))


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


# --------------------------------------------------------------------------- the step


def parse_extract(
    source: Path | str | pl.DataFrame | None,
    extract: Extract,
    month: dt.date,
    *,
    source_name: str | None = None,
    encoding: str | None = None,
    plausibility: Plausibility | None = None,
) -> ParsedExtract:
    """Parse one month of one extract; see ``docs/ingest.md`` for the rules.

    ``source`` is a landing file (CSV or Parquet), an in-memory frame (typed or text
    columns, treated like Parquet), or None for a missing file (an empty extract).
    ``encoding``: the fallback for CSV files that are not UTF-8 (None: such a file is an error).
    ``plausibility``: the rules for values that parse but cannot be right (None: not checked).
    """
    month = dt.date(month.year, month.month, 1)
    if source is None:
        return ParsedExtract(
            extract.name,
            month,
            None,
            empty_frame(extract),
            _empty_quarantine(),
            _stats(extract, 0, 0, 0, [], [], [], 0),
        )
    used = {"encoding": "utf-8"}
    if isinstance(source, pl.DataFrame):
        raw, name = source, source_name or "<frame>"
    else:
        path = Path(source)
        name = source_name or _display(path)
        if path.suffix.lower() == ".parquet":
            raw = _read_parquet(path)
            used["encoding"] = "parquet"
        else:
            # Empty fields may come back null: the text rules treat null and "" alike (_as_text).
            raw = _read_csv(path, encoding, used, empty_as_null=True)
    names = [c.strip().lower() for c in raw.columns]
    dupes = sorted(h for h, k in Counter(names).items() if k > 1)
    if dupes:
        raise LandingFileError(f"{name} line 1: header names {dupes} more than once")
    raw = raw.rename(dict(zip(raw.columns, names, strict=True)))

    present = set(raw.columns)
    missing_required = [c.name for c in extract.columns if c.required and c.name not in present]
    if missing_required:
        raise LandingFileError(f"{name} line 1: missing required column(s) {', '.join(missing_required)}")
    missing_optional = [c.name for c in extract.columns if c.name not in present]
    extra = sorted(present - set(extract.column_names))

    n = raw.height
    frame = raw.select([c for c in extract.column_names if c in present]).with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in missing_optional]
    )
    frame = frame.with_row_index(_ROW, offset=1).with_columns(pl.col(_ROW).cast(pl.Int64))

    # Contract section 1: a bad value in a *required* column (or a duplicate key) is a data error and
    # the row is quarantined; a bad value in an optional column is loaded as null, and recorded.
    plain = frozenset(_plain_timestamp_columns(frame, extract))
    plan = _parse_plan(extract, tuple(frame.schema[c.name] for c in extract.columns), plain)
    work = _run_stages(frame, plan.stages).with_columns(plan.reasons)
    parsed = work.select(pl.col(_ROW), *plan.values)
    problems = (
        work.filter(plan.any_problem)
        .select(pl.col(_ROW), *plan.problems)
        .unpivot(index=_ROW, variable_name="column", value_name="reason")
        .drop_nulls("reason")
    )
    del work

    if extract.primary_key is not None:
        pk = extract.primary_key
        keyed = parsed.select(_ROW, pk).drop_nulls(pk)
        duplicate_keys = (
            keyed.with_columns(pl.col(_ROW).min().over(pk).alias("__first"))
            .filter(pl.col(_ROW) != pl.col("__first"))
            .select(
                pl.col(_ROW),
                pl.lit(pk).alias("column"),
                pl.format(REASON_DUPLICATE_KEY + " (first seen at row {})", pl.col("__first")).alias("reason"),
            )
        )
        problems = pl.concat([problems, duplicate_keys])

    order = {c: i for i, c in enumerate(extract.column_names)}
    problems = problems.sort(_ROW, pl.col("column").replace_strict(order, return_dtype=pl.Int64))
    row_level = pl.col("column").is_in([c.name for c in extract.columns if c.required]) | pl.col(
        "reason"
    ).str.starts_with(REASON_DUPLICATE_KEY)
    problems = problems.with_columns(
        pl.when(row_level).then(pl.lit(ACTION_ROW)).otherwise(pl.lit(ACTION_VALUE)).alias("action")
    )
    bad_rows = problems.filter(pl.col("action") == ACTION_ROW).get_column(_ROW).unique()
    kept = parsed.filter(~pl.col(_ROW).is_in(bad_rows.implode()))
    if plausibility is not None and kept.height:
        kept, implausible = _plausibility(kept, extract, month, plausibility)
        if implausible.height:
            problems = pl.concat([problems, implausible]).sort(
                _ROW, pl.col("column").replace_strict(order, return_dtype=pl.Int64), maintain_order=True
            )
    valid = kept.drop(_ROW).select(pl.lit(month).alias(MONTH_COLUMN), *extract.column_names)
    quarantine = problems.select(
        pl.lit(extract.name).alias("extract"),
        pl.lit(month).alias(MONTH_COLUMN),
        pl.col(_ROW).alias("row_number"),
        pl.col("column"),
        pl.col("reason"),
        pl.col("action"),
        pl.lit(name).alias("source_file"),
    ).cast(QUARANTINE_SCHEMA)

    outside = 0
    if extract.anchor is not None and valid.height:
        local = pl.col(extract.anchor).dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ)
        outside = valid.select(((local.dt.year() != month.year) | (local.dt.month() != month.month)).sum()).item()
    stats = _stats(
        extract,
        n,
        valid.height,
        bad_rows.len(),
        quarantine.get_column("reason"),
        missing_optional,
        extra,
        int(outside),
        problems.get_column("column"),
        values_nulled=int((problems.get_column("action") == ACTION_VALUE).sum()),
        values_flagged=int((problems.get_column("action") == ACTION_FLAG).sum()),
        encoding=used["encoding"],
    )
    return ParsedExtract(extract.name, month, name, valid, quarantine, stats)


def parse_months(
    sources: Sequence[tuple[Path | str | None, dt.date]],
    extract: Extract,
    *,
    encoding: str | None = None,
    plausibility: Plausibility | None = None,
    threads: int | None = None,
) -> list[ParsedExtract]:
    """:func:`parse_extract` for each ``(file, month)`` of one extract, in the order given.

    Months are parsed on up to ``threads`` threads at once (default: one per CPU). Each month's
    parse is independent and pure, so the results (and the first error, in the order given) are
    those of parsing one month after another; polars, numpy and file reads release the GIL, so
    the months' pure-Python stretches and single-threaded scans overlap.
    """

    def one(item: tuple[Path | str | None, dt.date]) -> ParsedExtract:
        return parse_extract(item[0], extract, item[1], encoding=encoding, plausibility=plausibility)

    workers = max(1, min(len(sources), threads if threads is not None else (os.cpu_count() or 1)))
    if workers == 1:
        return [one(item) for item in sources]
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"parse-{extract.name}")
    try:
        return list(pool.map(one, sources))
    finally:  # on an error, months not started yet are not parsed
        pool.shutdown(wait=True, cancel_futures=True)


def _month_end(month: dt.date) -> dt.date:
    """First day of the month after ``month``."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _plausibility(
    kept: pl.DataFrame, extract: Extract, month: dt.date, rules: Plausibility
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the plausibility rules to the loaded rows: (rows, possibly with values nulled; findings).

    Findings have the problem columns (row number, column, reason, action). Only aggregates and
    column names appear in reasons, never a value.
    """
    end = _month_end(month)
    horizon = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=rules.future_days)
    oldest = dt.date(end.year - rules.max_age_years, end.month, end.day)
    found: list[tuple[str, pl.Expr, str, bool]] = []  # (column, condition, reason, may null)
    future = f"{REASON_FUTURE} (over {rules.future_days} days after the landing month)"
    dob = f"{REASON_DOB} (in the future or over {rules.max_age_years} years ago)"
    for col in extract.columns:
        c = pl.col(col.name)
        if col.type == "timestamp":
            found.append((col.name, c > horizon, future, not col.required))
        elif col.type == "date" and col.name.endswith("dob"):
            found.append((col.name, (c >= end) | (c < oldest), dob, not col.required))
    for later, earlier in ORDER_RULES.get(extract.name, ()):
        col = extract.column(later)
        found.append((later, pl.col(later) < pl.col(earlier), f"{REASON_BEFORE} {earlier}", not col.required))
    if extract.name == "connect_custody":
        over = (pl.col("released_at") - pl.col("arrival_at")) > dt.timedelta(hours=rules.custody_cap_hours)
        cap = f"{REASON_OVER_CAP} ({rules.custody_cap_hours:g} h; clipped to the cap in Stage 1)"
        found.append(("released_at", over, cap, False))
    flags = kept.select(
        pl.col(_ROW), *[cond.fill_null(False).alias(f"__rule{i}") for i, (_, cond, _, _) in enumerate(found)]
    )
    frames = []
    null_masks: dict[str, pl.Series] = {}
    for i, (column, _, reason, may_null) in enumerate(found):
        hit = flags.get_column(f"__rule{i}")
        if not hit.any():
            continue
        action = ACTION_VALUE if (rules.action == "null" and may_null) else ACTION_FLAG
        frames.append(
            flags.filter(hit).select(
                pl.col(_ROW),
                pl.lit(column).alias("column"),
                pl.lit(reason).alias("reason"),
                pl.lit(action).alias("action"),
            )
        )
        if action == ACTION_VALUE:
            null_masks[column] = null_masks[column] | hit if column in null_masks else hit
    if null_masks:
        kept = kept.with_columns(
            pl.when(pl.lit(mask)).then(None).otherwise(pl.col(column)).alias(column)
            for column, mask in null_masks.items()
        )
    schema = {_ROW: pl.Int64, "column": pl.String, "reason": pl.String, "action": pl.String}
    return kept, (pl.concat(frames) if frames else pl.DataFrame(schema=schema))


def _stats(
    extract: Extract,
    rows_read: int,
    rows_valid: int,
    rows_quarantined: int,
    reasons: pl.Series | list[str],
    missing_optional: list[str],
    extra: list[str],
    outside: int,
    columns: pl.Series | list[str] | None = None,
    values_nulled: int = 0,
    values_flagged: int = 0,
    encoding: str | None = None,
) -> dict[str, Any]:
    reasons = pl.Series("reason", reasons, dtype=pl.String)
    kinds = reasons.str.split(" (first seen").list.first()
    return {
        "rows_read": rows_read,
        "rows_valid": rows_valid,
        "rows_quarantined": rows_quarantined,
        "values_nulled": values_nulled,
        "problems": reasons.len(),
        "reasons": _counts(kinds),
        "problems_by_column": _counts(pl.Series("column", [] if columns is None else columns, dtype=pl.String)),
        "missing_optional_columns": list(missing_optional),
        "extra_columns_ignored": list(extra),
        "anchor_outside_month": outside,
        "values_flagged": values_flagged,
        "encoding": encoding,
    }


def _counts(values: pl.Series) -> dict[str, int]:
    """``{value: count}`` sorted by value (one entry per distinct value, never per row)."""
    counted = values.value_counts(name="n").sort(values.name)
    return {str(k): int(v) for k, v in counted.iter_rows()}
