"""Run the pipeline for one window month through Dagster (what ``fsu run`` does).

1. Load the twelve landing months ``M-11 … M`` of every source extract (one run per extract
   over the month range; the source assets take partition ranges in one run).
2. Materialise every rolling hop for partition ``M``, one asset at a time in dependency order,
   printing progress, and stop at the first failed step or failed blocking check.

Runs are recorded in the Dagster instance named by ``DAGSTER_HOME`` when it is set (so they show
in the Dagster UI), otherwise in a temporary instance.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import dagster as dg

from fsu_dagster.defs.partitions import month_of
from fsu_dagster.settings import FsuSettings, load_settings
from fsu_dagster.window import window_months

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class PipelineFailed(RuntimeError):
    """A step or a blocking check failed; ``asset`` names it and ``reason`` says why."""

    def __init__(self, asset: str, reason: str) -> None:
        super().__init__(f"{asset}: {reason}")
        self.asset = asset
        self.reason = reason


@dataclass
class StepReport:
    asset: str
    seconds: float
    rows: int | None
    warnings: list[str] = field(default_factory=list)


@contextmanager
def _instance() -> Iterator[dg.DagsterInstance]:
    if os.environ.get("DAGSTER_HOME"):
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        with dg.DagsterInstance.get() as instance:
            yield instance
    else:
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance


def _outcome(result: dg.ExecuteInJobResult, label: str) -> tuple[int | None, list[str]]:
    """Raise PipelineFailed on a failed step or failed ERROR check; return rows and warnings."""
    rows_by_asset: dict[str, int] = {}
    warnings: list[str] = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            err = event.event_specific_data.error  # type: ignore[union-attr]
            message = (err.message if err else "step failed").strip()
            cause = err.cause if err else None
            while cause is not None:  # the user-code error is the innermost cause
                message = cause.message.strip()
                cause = cause.cause
            raise PipelineFailed(label, message)
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data  # type: ignore[union-attr]
            if not data.passed:
                detail = {k: v.value for k, v in data.metadata.items()}
                text = f"check {data.check_name} failed: {detail}"
                if data.severity == dg.AssetCheckSeverity.ERROR:
                    raise PipelineFailed("/".join(data.asset_key.path), text)
                warnings.append(text)
        if event.event_type_value == "ASSET_MATERIALIZATION":
            md = event.event_specific_data.materialization.metadata  # type: ignore[union-attr]
            if "dagster/row_count" in md:
                # A partition-range run emits one event per month, each with the run's total.
                key = event.asset_key.to_user_string() if event.asset_key else label
                rows_by_asset[key] = max(rows_by_asset.get(key, 0), int(md["dagster/row_count"].value))
    if not result.success:
        raise PipelineFailed(label, "run failed")
    return (sum(rows_by_asset.values()) if rows_by_asset else None), warnings


def run_month(
    month: str,
    echo: Callable[[str], None] = print,
    defs: dg.Definitions | None = None,
    *,
    settings: FsuSettings | None = None,
) -> list[StepReport]:
    """Materialise the sources for the window ending ``month`` and every rolling hop for it.

    The run uses ``defs`` when given, else ``build_definitions(settings)``; with neither, the
    settings are read from the environment once, here.
    """
    if defs is not None and settings is not None:
        raise TypeError("run_month takes defs or settings, not both (defs already carry their settings)")
    m = month_of(month)
    months = window_months(m)
    if defs is None:
        from fsu_dagster.definitions import build_definitions

        defs = build_definitions(settings if settings is not None else load_settings())
    graph = defs.resolve_asset_graph()
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    # One step per asset definition, in dependency order (a multi-asset's tables run together).
    steps: list[list[dg.AssetKey]] = []
    names: list[str] = []
    for key in keys:
        assets_def = defs.resolve_assets_def(key)
        group = sorted(assets_def.keys, key=keys.index)
        if group not in steps:
            steps.append(group)
            names.append("/".join(key.path) if len(group) == 1 else f"{key.path[0]}/{assets_def.node_def.name} ({len(group)} tables)")
    n_sources = sum(1 for g in steps if g[0].path[0] == "sources")
    reports: list[StepReport] = []
    range_tags = {
        "dagster/asset_partition_range_start": months[0].isoformat(),
        "dagster/asset_partition_range_end": months[-1].isoformat(),
    }
    with _instance() as instance:
        echo(
            f"Window {months[0]:%Y-%m} .. {m:%Y-%m}: {n_sources} source extracts x 12 months, "
            f"then {len(steps) - n_sources} rolling steps"
        )
        for i, (group, label) in enumerate(zip(steps, names), start=1):
            started = time.perf_counter()
            is_source = group[0].path[0] == "sources"
            kwargs = {"tags": range_tags} if is_source else {"partition_key": m.isoformat()}
            result = dg.materialize(
                assets,
                selection=dg.AssetSelection.assets(*group) | dg.AssetSelection.checks_for_assets(*group),
                resources=resources,
                instance=instance,
                run_config=QUIET,
                raise_on_error=False,
                **kwargs,
            )
            rows, warnings = _outcome(result, label)
            seconds = time.perf_counter() - started
            reports.append(StepReport(label, seconds, rows, warnings))
            rows_text = f"{rows:,} rows" if rows is not None else "done"
            echo(f"[{i:>2}/{len(steps)}] {label:<48} {rows_text:>16}  {seconds:6.1f} s")
            for w in warnings:
                echo(f"        warning: {w}")
    return reports


def cohort_summary(warehouse_path, month: str) -> str:
    """One line on the cohort of window month ``month``: its size and how many are on each list."""
    from fsu_dagster import warehouse as wh

    m = month_of(month)
    with wh.connect(str(warehouse_path), read_only=True) as conn:
        row = conn.execute(
            "select count(*), count(*) filter (in_top_investigations_custody), count(*) filter (in_top_originator), "
            "count(*) filter (in_top_subject), count(*) filter (in_top_overall) from fsu.cohort where month = ?",
            [m],
        ).fetchone()
        universe = conn.execute("select count(*) from fsu.person_totals where month = ?", [m]).fetchone()[0]
    return (
        f"Cohort {m:%Y-%m}: {row[0]} frequent service users out of {universe:,} people "
        f"(top lists: investigations & custody {row[1]}, originator {row[2]}, subject {row[3]}, overall {row[4]})"
    )
