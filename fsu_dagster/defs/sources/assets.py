"""The nine source assets: one landing extract per monthly partition -> ``fsu.<extract>``.

Each asset parses ``landing/YYYY-MM/<extract>.csv|parquet`` for every month in its
partition (or partition range: backfills run as one run), returns the valid rows to the
DuckDB-polars IO manager (which replaces those months in ``fsu.<extract>``), records the
month in ``fsu.landing_manifest``, its bad rows in ``fsu.quarantine`` and its summary in
``fsu.data_quality``, then reports three blocking checks: the Pandera schema, the quarantine
rate and the volume guard. Metadata is aggregates only.
"""

# No `from __future__ import annotations`: Dagster reads the asset parameters' annotations.

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from fsu_dagster.contract import EXTRACTS, MONTH_COLUMN, Extract
from fsu_dagster.defs.metadata import column_schema
from fsu_dagster.defs.partitions import landing_month
from fsu_dagster.defs.resources import WAREHOUSE_SCHEMA, SettingsResource
from fsu_dagster.defs.sources.checks import quarantine_rate_check, schema_check, source_check_specs, volume_check
from fsu_dagster.ingest import (
    QUARANTINE_SCHEMA,
    ParsedExtract,
    Plausibility,
    empty_frame,
    find_landing_file,
    month_folder,
    output_schema,
    parse_months,
)
from fsu_dagster.quality import VOLUME_ACCEPTANCES_SCHEMA, quality_rows, volume_verdicts
from fsu_dagster.settings import FsuSettings
from fsu_dagster.warehouse import ensure_table, read_frame, replace_rows_atomically, table_exists, utc_now
from fsu_dagster.window import months_from

QUARANTINE_TABLE = f"{WAREHOUSE_SCHEMA}.quarantine"
MANIFEST_TABLE = f"{WAREHOUSE_SCHEMA}.landing_manifest"
DATA_QUALITY_TABLE = f"{WAREHOUSE_SCHEMA}.data_quality"
VOLUME_ACCEPTANCES_TABLE = f"{WAREHOUSE_SCHEMA}.volume_acceptances"
#: Concurrency pool shared by assets that write the DuckDB warehouse.
WAREHOUSE_POOL = "warehouse"

#: ``fsu.quarantine``: one row per problem found in a landing row.
QUARANTINE_TABLE_SCHEMA: pl.Schema = pl.Schema({**QUARANTINE_SCHEMA, "quarantined_at": pl.Datetime("us")})
#: ``fsu.landing_manifest``: one row per (extract, month) loaded, file null when it was missing.
MANIFEST_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "extract": pl.String(),
    MONTH_COLUMN: pl.Date(),
    "file": pl.String(),
    "rows_read": pl.Int64(),
    "rows_valid": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "loaded_at": pl.Datetime("us"),
}


def months_in_window(window: dg.TimeWindow) -> list[dt.date]:
    """First days of the months in ``[window.start, window.end)`` (``window.months_from``)."""
    return months_from(window.start.date(), window.end.date())


def _manifest_rows(parsed: list[ParsedExtract], loaded_at: dt.datetime) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "extract": p.extract,
                MONTH_COLUMN: p.month,
                "file": p.source_file,
                "rows_read": p.stats["rows_read"],
                "rows_valid": p.stats["rows_valid"],
                "rows_quarantined": p.stats["rows_quarantined"],
                "loaded_at": loaded_at,
            }
            for p in parsed
        ],
        schema=MANIFEST_TABLE_SCHEMA,
    )


def _quarantine_rows(parsed: list[ParsedExtract], at: dt.datetime) -> pl.DataFrame:
    frames = [p.quarantine.with_columns(pl.lit(at, dtype=pl.Datetime("us")).alias("quarantined_at")) for p in parsed]
    return pl.concat(frames).cast(QUARANTINE_TABLE_SCHEMA) if frames else pl.DataFrame(schema=QUARANTINE_TABLE_SCHEMA)


def _output_metadata(extract: Extract, parsed: list[ParsedExtract], frame: pl.DataFrame) -> dict[str, Any]:
    def per_month(key: str) -> dict[str, Any]:
        return {month_folder(p.month): p.stats[key] for p in parsed}

    missing_files = [month_folder(p.month) for p in parsed if p.source_file is None]
    reasons: dict[str, int] = {}
    for p in parsed:
        for reason, n in p.stats["reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": column_schema(frame.schema),
        "months": dg.MetadataValue.json([month_folder(p.month) for p in parsed]),
        "rows_per_month": dg.MetadataValue.json(per_month("rows_valid")),
        "rows_read": sum(p.stats["rows_read"] for p in parsed),
        "rows_quarantined": sum(p.stats["rows_quarantined"] for p in parsed),
        "values_nulled": sum(p.stats["values_nulled"] for p in parsed),
        "values_flagged": sum(p.stats.get("values_flagged", 0) for p in parsed),
        "quarantined_per_month": dg.MetadataValue.json(per_month("rows_quarantined")),
        "quarantine_reasons": dg.MetadataValue.json(reasons),
        "columns": dg.MetadataValue.json(list(frame.columns)),
        "missing_optional_columns": dg.MetadataValue.json(per_month("missing_optional_columns")),
        "extra_columns_ignored": dg.MetadataValue.json(per_month("extra_columns_ignored")),
        "anchor_outside_month": sum(p.stats["anchor_outside_month"] for p in parsed),
        "months_without_file": dg.MetadataValue.json(missing_files),
    }


def plausibility_rules(settings: FsuSettings) -> Plausibility:
    return Plausibility(
        future_days=settings.plausibility_future_days,
        max_age_years=settings.plausibility_max_age_years,
        custody_cap_hours=settings.custody_cap_hours,
        action=settings.plausibility_action,
    )


def _in_list(months: list[dt.date]) -> str:
    return ", ".join(f"DATE '{m.isoformat()}'" for m in months)


def _volume_history(conn: Any, extract: Extract, months: list[dt.date]) -> tuple[dict[dt.date, int], set[dt.date]]:
    """Rows read of the extract's months loaded earlier (not in this run), and its accepted months."""
    history: dict[dt.date, int] = {}
    if table_exists(conn, MANIFEST_TABLE):
        rows = read_frame(
            conn,
            f"select month, rows_read from {MANIFEST_TABLE} where extract = ? and file is not null "
            f"and month < ? and month not in ({_in_list(months)})",
            [extract.name, max(months)],
        )
        history = {m: int(n) for m, n in rows.iter_rows()}
    accepted: set[dt.date] = set()
    if table_exists(conn, VOLUME_ACCEPTANCES_TABLE):
        rows = read_frame(
            conn,
            f"select distinct month from {VOLUME_ACCEPTANCES_TABLE} "
            f"where extract = ? and month in ({_in_list(months)})",
            [extract.name],
        )
        accepted = set(rows.get_column(MONTH_COLUMN).to_list())
    return history, accepted


def _orphans(conn: Any, extract: Extract, frame: pl.DataFrame, months: list[dt.date]) -> dict[dt.date, int] | None:
    """Child rows per month whose parent key is not among the parent extract's rows of that month."""
    if extract.parent is None:
        return None
    from fsu_dagster.contract import EXTRACTS

    parent = EXTRACTS[extract.parent]
    key = parent.primary_key
    table = f"{WAREHOUSE_SCHEMA}.{parent.name}"
    if key is None or not table_exists(conn, table):
        return None
    # No ``distinct``: an anti join keeps the same rows whatever the parents' duplicates, and DuckDB's
    # hash aggregate over a window of keys cost several times the plain scan.
    parents = read_frame(conn, f"select month, {key} from {table} where month in ({_in_list(months)})")
    lost = frame.select(MONTH_COLUMN, key).join(parents, on=[MONTH_COLUMN, key], how="anti")
    counts = {m: 0 for m in months}
    for m, n in lost.group_by(MONTH_COLUMN).len().iter_rows():
        counts[m] = int(n)
    return counts


def _month_has_files(settings: FsuSettings, month: dt.date) -> bool:
    """Whether the month's landing folder holds a file of any extract (else it is a missing month)."""
    from fsu_dagster.contract import EXTRACTS

    return any(find_landing_file(settings.landing_dir, name, month) is not None for name in EXTRACTS)


def build_source_asset(extract: Extract) -> dg.AssetsDefinition:
    """One monthly-partitioned asset ``["sources", <extract>]`` -> table ``fsu.<extract>``."""
    key = dg.AssetKey(["sources", extract.name])
    pk = f" Primary key `{extract.primary_key}`." if extract.primary_key else " No key: every row counts."
    anchor = f" Anchor `{extract.anchor}`." if extract.anchor else ""
    parent = f" Child rows of `{extract.parent}`." if extract.parent else ""

    @dg.asset(
        key=key,
        group_name="sources",
        partitions_def=landing_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        metadata={"partition_expr": MONTH_COLUMN},
        kinds={"polars", "duckdb"},
        # DuckDB allows one writing process per file: give every warehouse writer the same pool
        # (limit it to 1 in the instance config when running with the multiprocess executor).
        pool=WAREHOUSE_POOL,
        description=f"{extract.description}{pk}{anchor}{parent} One landing month per partition.",
        check_specs=source_check_specs(extract, key),
        # Child rows are checked against their parent's rows of the same month (orphan count),
        # so the parent is loaded first.
        deps=[dg.AssetKey(["sources", extract.parent])] if extract.parent else None,
    )
    def _source(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource, fsu_settings: SettingsResource
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:
        settings = fsu_settings.get()
        months = months_in_window(context.partition_time_window)
        files = [(find_landing_file(settings.landing_dir, extract.name, month), month) for month in months]
        parsed = parse_months(
            files, extract, encoding=settings.landing_encoding, plausibility=plausibility_rules(settings)
        )
        # One log line per run, not per month: each is an event the instance stores (per-month
        # counts are in the metadata below).
        missing = [month_folder(p.month) for p in parsed if p.source_file is None]
        context.log.info(
            f"{extract.name}, {len(parsed)} months: "
            + ", ".join(
                f"{sum(p.stats[k] for p in parsed):,} {k.removeprefix('rows_')}"
                for k in ("rows_read", "rows_valid", "rows_quarantined")
            )
            + (f"; no file (empty extract) for {', '.join(missing)}" if missing else "")
        )
        frame = pl.concat([p.valid for p in parsed]) if parsed else empty_frame(extract)

        # The IO manager skips empty frames without creating the table; create it so that
        # readers of an extract that is empty everywhere still find a typed table.
        with warehouse.get_connection() as conn:
            ensure_table(conn, f"{WAREHOUSE_SCHEMA}.{extract.name}", output_schema(extract))
            history, accepted = _volume_history(conn, extract, months) if months else ({}, set())
            orphans = _orphans(conn, extract, frame, months)
        verdicts = volume_verdicts(
            {p.month: p.stats["rows_read"] for p in parsed},
            history,
            band=settings.volume_band,
            months_back=settings.volume_history_months,
            min_history=settings.volume_min_history,
            noise_sigmas=settings.volume_noise_sigmas,
            accepted=accepted,
            absent=[m for m in months if not _month_has_files(settings, m)],
        )

        yield dg.Output(frame, metadata=_output_metadata(extract, parsed, frame))

        # The IO manager has stored the rows by now: record the months as loaded.
        now = utc_now()
        match = {"extract": extract.name, MONTH_COLUMN: months}
        with warehouse.get_connection() as conn:
            ensure_table(conn, VOLUME_ACCEPTANCES_TABLE, VOLUME_ACCEPTANCES_SCHEMA)
            replace_rows_atomically(
                conn,
                [
                    (QUARANTINE_TABLE, _quarantine_rows(parsed, now), match),
                    (MANIFEST_TABLE, _manifest_rows(parsed, now), match),
                    (DATA_QUALITY_TABLE, quality_rows(parsed, now, orphans=orphans, volume=verdicts), match),
                ],
            )

        yield schema_check(extract, frame)
        yield quarantine_rate_check(extract, parsed, settings.quarantine_max_rate)
        yield volume_check(extract, list(verdicts.values()), settings.volume_band)

    return _source


SOURCE_ASSETS: list[dg.AssetsDefinition] = [build_source_asset(e) for e in EXTRACTS.values()]
