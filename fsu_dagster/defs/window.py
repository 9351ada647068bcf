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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from fsu_dagster.defs.checks import pandera_check_result
from fsu_dagster.defs.partitions import landing_month, month_of, window_mapping
from fsu_dagster.window import WINDOW_MONTHS, missing_window_months, window_months

SOURCE_LAYER = "sources"


@dataclass
class Produced:
    """A hop's output frame plus aggregate-only metadata for the Dagster UI."""

    frame: pl.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def source_in(extract: str) -> dg.AssetIn:
    """Input: twelve landing months of a source extract."""
    return dg.AssetIn(key=[SOURCE_LAYER, extract], partition_mapping=window_mapping)


def hop_in(layer: str, name: str) -> dg.AssetIn:
    """Input: another rolling hop for the same window month."""
    return dg.AssetIn(key=[layer, name])


def read_manifest(warehouse: DuckDBResource, month: dt.date) -> pl.DataFrame:
    months = window_months(month, WINDOW_MONTHS)
    empty = pl.DataFrame(schema={"extract": pl.String, "month": pl.Date, "file": pl.String})
    with warehouse.get_connection() as conn:
        exists = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'fsu' and table_name = 'landing_manifest'"
        ).fetchone()[0]
        if not exists:
            return empty
        rel = conn.execute(
            "select extract, month, file from fsu.landing_manifest where month between ? and ?",
            [months[0], months[-1]],
        )
        return pl.from_arrow(rel.fetch_arrow_table()) if rel is not None else empty


def window_asset(
    *,
    layer: str,
    name: str,
    ins: dict[str, dg.AssetIn],
    schema: Any,
    description: str,
) -> Callable[[Callable[..., pl.DataFrame | Produced]], dg.AssetsDefinition]:
    key = [layer, name]
    extracts = tuple(i.key.path[-1] for i in ins.values() if i.key is not None and i.key.path[0] == SOURCE_LAYER)
    check_specs = [
        dg.AssetCheckSpec(f"{name}_schema", asset=key, blocking=True, description=f"{name} satisfies its Pandera schema."),
    ]
    if extracts:
        check_specs.append(
            dg.AssetCheckSpec(
                f"{name}_window_complete",
                asset=key,
                blocking=True,
                description="All twelve landing months of the window were loaded for " + ", ".join(extracts) + ".",
            )
        )

    def decorator(fn: Callable[..., pl.DataFrame | Produced]) -> dg.AssetsDefinition:
        @dg.asset(
            name=name,
            key_prefix=[layer],
            group_name=layer,
            partitions_def=landing_month,
            ins=ins,
            metadata={"partition_expr": "month"},
            check_specs=check_specs,
            required_resource_keys={"fsu_settings", "warehouse"},
            description=description,
            kinds={"polars", "duckdb"},
        )
        def _asset(context, **inputs: pl.DataFrame):
            month = month_of(context.partition_key)
            settings = context.resources.fsu_settings.get()
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
            produced = fn(month=month, settings=settings, context=context, **inputs)
            if not isinstance(produced, Produced):
                produced = Produced(produced)
            frame = produced.frame
            metadata: dict[str, Any] = {
                "dagster/row_count": frame.height,
                "window": f"{window_months(month)[0]:%Y-%m} .. {month:%Y-%m}",
                "columns": ", ".join(frame.columns),
                **produced.metadata,
            }
            if missing:
                metadata["window_incomplete"] = dg.MetadataValue.json(missing)
            yield dg.Output(frame, metadata=metadata)
            yield pandera_check_result(f"{name}_schema", schema, frame)
            if extracts:
                yield dg.AssetCheckResult(
                    check_name=f"{name}_window_complete",
                    passed=not missing,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"missing_months": dg.MetadataValue.json(missing), "months_expected": WINDOW_MONTHS},
                )

        _asset.__doc__ = fn.__doc__
        return _asset

    return decorator
