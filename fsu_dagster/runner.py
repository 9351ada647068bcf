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
from fsu_dagster.window import window_months

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


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
    rows: int | None = None
    warnings: list[str] = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            err = event.event_specific_data.error  # type: ignore[union-attr]
            message = (err.message if err else "step failed").strip()
            cause = err.cause if err else None
            while cause is not None:  # the user-code error is the innermost cause
                message = cause.message.strip()
                cause = cause.cause
            raise PipelineFailed(event.step_key or label, message)
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data  # type: ignore[union-attr]
            if not data.passed:
                detail = {k: v.value for k, v in data.metadata.items()}
                text = f"check {data.check_name} failed: {detail}"
                if data.severity == dg.AssetCheckSeverity.ERROR:
                    raise PipelineFailed("/".join(data.asset_key.path), text)
                warnings.append(text)
        if event.event_type_value == "ASSET_MATERIALIZATION":
            md = event.asset_materialization.metadata  # type: ignore[union-attr]
            if "dagster/row_count" in md:
                rows = (rows or 0) + int(md["dagster/row_count"].value)
    if not result.success:
        raise PipelineFailed(label, "run failed")
    return rows, warnings


def run_month(month: str, echo: Callable[[str], None] = print, defs: dg.Definitions | None = None) -> list[StepReport]:
    """Materialise the sources for the window ending ``month`` and every rolling hop for it."""
    from fsu_dagster.definitions import build_definitions

    m = month_of(month)
    months = window_months(m)
    defs = defs or build_definitions()
    graph = defs.resolve_asset_graph()
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    sources = [k for k in keys if k.path[0] == "sources"]
    hops = [k for k in keys if k.path[0] != "sources"]
    total = len(sources) + len(hops)
    reports: list[StepReport] = []
    range_tags = {
        "dagster/asset_partition_range_start": months[0].isoformat(),
        "dagster/asset_partition_range_end": months[-1].isoformat(),
    }
    with _instance() as instance:
        echo(f"Window {months[0]:%Y-%m} .. {m:%Y-%m}: {len(sources)} source extracts x 12 months, then {len(hops)} rolling hops")
        for i, key in enumerate(sources + hops, start=1):
            label = "/".join(key.path)
            started = time.perf_counter()
            kwargs = {"tags": range_tags} if key in sources else {"partition_key": m.isoformat()}
            result = dg.materialize(
                assets,
                selection=dg.AssetSelection.assets(key) | dg.AssetSelection.checks_for_assets(key),
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
            echo(f"[{i:>2}/{total}] {label:<40} {rows_text:>16}  {seconds:6.1f} s")
            for w in warnings:
                echo(f"        warning: {w}")
    return reports
