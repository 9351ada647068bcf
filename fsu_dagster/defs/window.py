"""The factory every rolling hop uses: partition ``M`` = the twelve landing months ending ``M``.

A window asset declared with :func:`window_asset`

* reads source extracts through ``window_mapping`` (the IO manager loads months M-11..M) and
  other rolling hops of the same month ``M``;
* refuses to run when a landing month of its window was never loaded (``fsu.landing_manifest``),
  unless ``allow_incomplete_window`` is set, in which case it runs and says so in its metadata and
  in a failing (warning) ``<name>_window_complete`` check — the IO manager would otherwise skip a
  missing month silently;
* validates its output with its Pandera schema as a blocking ``<name>_schema`` check;
* reports aggregates only (row counts, months), never a personal value.

The wrapped function is a thin adapter: it receives ``month``, ``settings``, ``context`` and the
loaded inputs, calls the pure step functions, and returns a frame or a :class:`Produced`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from fsu_dagster import warehouse as wh
from fsu_dagster.defs.checks import pandera_check_result
from fsu_dagster.defs.metadata import column_schema
from fsu_dagster.defs.partitions import landing_month, month_of, window_mapping
from fsu_dagster.settings import FsuSettings
from fsu_dagster.window import WINDOW_MONTHS, latest_versions, missing_window_months, window_months

SOURCE_LAYER = "sources"


@dataclass
class Produced:
    """A hop's output frame plus aggregate-only metadata for the Dagster UI."""

    frame: pl.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def source_in(extract: str, columns: Sequence[str] | None = None, rows: str | None = None) -> dg.AssetIn:
    """Input: twelve landing months of a source extract.

    ``columns``: load only these (the IO manager's ``SELECT`` lists them, in this order). A
    hop that reads a few columns of a wide extract names them; they must include the landing
    ``month`` and the extract's primary key (``latest_versions`` resolves versions on them).
    ``rows``: load only the rows satisfying this SQL condition (``{month}`` is the window month
    M), in the order a whole load gives them. Only for a hop whose functions read no other rows,
    whatever the data: the result must be the same as with the whole window.
    """
    return dg.AssetIn(
        key=[SOURCE_LAYER, extract], partition_mapping=window_mapping, metadata=_load_metadata(columns, rows)
    )


def hop_in(layer: str, name: str, columns: Sequence[str] | None = None, rows: str | None = None) -> dg.AssetIn:
    """Input: another rolling hop for the same window month (``columns``, ``rows``: as for :func:`source_in`)."""
    return dg.AssetIn(key=[layer, name], metadata=_load_metadata(columns, rows))


def _load_metadata(columns: Sequence[str] | None, rows: str | None) -> dict[str, Any] | None:
    metadata: dict[str, Any] = {}
    if columns is not None:
        metadata["columns"] = list(columns)
    if rows is not None:
        metadata["rows"] = rows
    return metadata or None


def read_manifest(warehouse: DuckDBResource, month: dt.date) -> pl.DataFrame:
    months = window_months(month, WINDOW_MONTHS)
    with warehouse.get_connection() as conn:
        if not wh.table_exists(conn, "fsu.landing_manifest"):
            return pl.DataFrame(schema={"extract": pl.String, "month": pl.Date, "file": pl.String})
        return wh.read_frame(
            conn,
            "select extract, month, file from fsu.landing_manifest where month between ? and ?",
            [months[0], months[-1]],
        )


def window_asset(
    *,
    layer: str,
    name: str,
    ins: dict[str, dg.AssetIn],
    schema: Any,
    description: str,
) -> Callable[[Callable[..., pl.DataFrame | Produced]], dg.AssetsDefinition]:
    """A rolling hop with one output table ``fsu.<name>``; see the module docstring."""

    def decorator(fn: Callable[..., pl.DataFrame | Produced]) -> dg.AssetsDefinition:
        def single(**kwargs: Any) -> dict[str, pl.DataFrame | Produced]:
            return {name: fn(**kwargs)}

        single.__doc__ = fn.__doc__
        return window_multi_asset(layer=layer, name=name, outputs={name: schema}, ins=ins, description=description)(
            single
        )

    return decorator


def window_multi_asset(
    *,
    layer: str,
    name: str,
    outputs: dict[str, Any],
    ins: dict[str, dg.AssetIn],
    description: str,
) -> Callable[[Callable[..., dict[str, pl.DataFrame | Produced]]], dg.AssetsDefinition]:
    """Rolling hops that share their (expensive) inputs: one table per key of ``outputs``.

    ``outputs`` maps each table name to its Pandera schema; the wrapped function returns a dict
    with the same keys. The inputs are loaded once and each table gets its own blocking
    ``<table>_schema`` check; the window completeness check belongs to the first table.
    """
    first = next(iter(outputs))
    source_inputs = {n: i.key.path[-1] for n, i in ins.items() if i.key is not None and i.key.path[0] == SOURCE_LAYER}
    extracts = tuple(source_inputs.values())
    check_specs = [
        dg.AssetCheckSpec(
            f"{out}_schema", asset=[layer, out], blocking=True, description=f"{out} satisfies its Pandera schema."
        )
        for out in outputs
    ]
    if extracts:
        check_specs.append(
            dg.AssetCheckSpec(
                f"{first}_window_complete",
                asset=[layer, first],
                blocking=True,
                description="All twelve landing months of the window were loaded for " + ", ".join(extracts) + ".",
            )
        )
    outs = {
        out: dg.AssetOut(
            key_prefix=[layer],
            group_name=layer,
            metadata={"partition_expr": "month"},
            description=description if len(outputs) == 1 else f"{description} Table: {out}.",
            kinds={"polars", "duckdb"},
        )
        for out in outputs
    }

    def decorator(fn: Callable[..., dict[str, pl.DataFrame | Produced]]) -> dg.AssetsDefinition:
        @dg.multi_asset(
            name=name,
            outs=outs,
            ins=ins,
            partitions_def=landing_month,
            check_specs=check_specs,
            required_resource_keys={"fsu_settings", "warehouse"},
            can_subset=False,
        )
        def _asset(context, **inputs: pl.DataFrame):
            month = month_of(context.partition_key)
            settings: FsuSettings = context.resources.fsu_settings.get()  # the object build_definitions got
            missing: dict[str, list[str]] = {}
            if extracts:
                missing = missing_window_months(read_manifest(context.resources.warehouse, month), month, extracts)
                if missing and not settings.allow_incomplete_window:
                    raise dg.Failure(
                        description=(
                            f"window ending {month:%Y-%m} is missing landing months "
                            f"{', '.join(sorted(missing))}: load them first (fsu run loads all twelve) "
                            "or set allow_incomplete_window"
                        ),
                        metadata={"missing_months": dg.MetadataValue.json(missing)},
                    )
            # A record that landed again in a later month is a newer version: keep that one only.
            resolved, superseded = latest_versions({source_inputs[n]: inputs[n] for n in source_inputs})
            inputs = {**inputs, **{n: resolved[source_inputs[n]] for n in source_inputs}}
            results = fn(month=month, settings=settings, context=context, **inputs)
            if set(results) != set(outputs):
                raise dg.Failure(description=f"{name} returned tables {sorted(results)}, expected {sorted(outputs)}")
            for out, schema in outputs.items():
                result = results[out]
                produced = result if isinstance(result, Produced) else Produced(result)
                frame = produced.frame
                metadata: dict[str, Any] = {
                    "dagster/row_count": frame.height,
                    "window": f"{window_months(month)[0]:%Y-%m} .. {month:%Y-%m}",
                    "columns": ", ".join(frame.columns),
                    "dagster/column_schema": column_schema(frame.schema),
                    **produced.metadata,
                }
                if missing:
                    metadata["window_incomplete"] = dg.MetadataValue.json(missing)
                if superseded:
                    metadata["superseded_versions"] = dg.MetadataValue.json(superseded)
                yield dg.Output(frame, output_name=out, metadata=metadata)
                yield pandera_check_result(f"{out}_schema", schema, frame, asset_key=dg.AssetKey([layer, out]))
            if extracts:
                yield dg.AssetCheckResult(
                    asset_key=dg.AssetKey([layer, first]),
                    check_name=f"{first}_window_complete",
                    passed=not missing,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"missing_months": dg.MetadataValue.json(missing), "months_expected": WINDOW_MONTHS},
                )

        return _asset

    return decorator
