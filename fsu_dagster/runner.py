"""Run the pipeline for one window month through Dagster (what ``fsu run`` does).

1. Load the twelve landing months ``M-11 … M`` of every source extract (one run per extract
   over the month range; the source assets take partition ranges in one run).
2. Materialise every rolling hop for partition ``M`` in one run, steps in dependency order,
   printing a line per finished step, and stop at the first failed step or failed blocking check.

Runs are recorded in the Dagster instance named by ``DAGSTER_HOME`` when it is set (so they show
in the Dagster UI), otherwise in a temporary instance.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.execute_in_process import core_execute_in_process, merge_run_tags
from dagster._core.utils import make_new_run_id

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
        from fsu_dagster.defs.instance import ephemeral_instance

        with ephemeral_instance() as instance:
            yield instance


def _error_message(event: dg.DagsterEvent) -> str:
    err = event.event_specific_data.error  # type: ignore[union-attr]
    message = (err.message if err else "step failed").strip()
    cause = err.cause if err else None
    while cause is not None:  # the user-code error is the innermost cause
        message = cause.message.strip()
        cause = cause.cause
    return message


@dataclass
class _Step:
    """What the run's events say about one step (one asset definition)."""

    label: str
    started: float | None = None
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class _Progress:
    """Follows one run's events: prints a line per finished step, remembers the first failure."""

    def __init__(self, labels: dict[str, str], offset: int, total: int, echo: Callable[[str], None]) -> None:
        self.steps = {key: _Step(label) for key, label in labels.items()}
        self.offset, self.total, self.echo = offset, total, echo
        self.reports: list[StepReport] = []
        self.failure: PipelineFailed | None = None

    def __call__(self, entry: object) -> None:
        event = getattr(entry, "dagster_event", None)
        if event is None or event.step_key not in self.steps:
            return
        step = self.steps[event.step_key]
        kind = event.event_type_value
        if kind == "STEP_START":
            step.started = time.perf_counter()
        elif kind == "ASSET_MATERIALIZATION":
            md = event.event_specific_data.materialization.metadata
            if "dagster/row_count" in md:
                # A partition-range run emits one event per month, each with the run's total.
                key = event.asset_key.to_user_string() if event.asset_key else step.label
                step.rows[key] = max(step.rows.get(key, 0), int(md["dagster/row_count"].value))
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data
            if not data.passed:
                detail = {k: v.value for k, v in data.metadata.items()}
                # A check that explains itself (the volume guard) is quoted; others show their metadata.
                text = f"check {data.check_name} failed: {detail.get('message') or detail}"
                if data.severity == dg.AssetCheckSeverity.ERROR:
                    self.failure = self.failure or PipelineFailed("/".join(data.asset_key.path), text)
                else:
                    step.warnings.append(text)
        elif kind == "STEP_FAILURE":
            self.failure = self.failure or PipelineFailed(step.label, _error_message(event))
        elif kind == "STEP_SUCCESS" and self.failure is None:
            seconds = time.perf_counter() - (step.started or time.perf_counter())
            rows = sum(step.rows.values()) if step.rows else None
            self.reports.append(StepReport(step.label, seconds, rows, step.warnings))
            rows_text = f"{rows:,} rows" if rows is not None else "done"
            number = self.offset + len(self.reports)
            self.echo(f"[{number:>2}/{self.total}] {step.label:<48} {rows_text:>16}  {seconds:6.1f} s")
            for w in step.warnings:
                self.echo(f"        warning: {w}")


def _step_labels(defs: dg.Definitions) -> tuple[dict[str, str], dict[str, str]]:
    """Step key -> label, for the source steps and the rolling steps, each in dependency order."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    sources: dict[str, str] = {}
    rolling: dict[str, str] = {}
    for key in keys:
        if key.path[0] == "publish":  # `fsu publish` (or `fsu backfill`, or the window job) publishes
            continue
        assets_def = defs.resolve_assets_def(key)
        step = assets_def.node_def.name
        target = sources if key.path[0] == "sources" else rolling
        if step not in target:
            n = len(assets_def.keys)
            target[step] = "/".join(key.path) if n == 1 else f"{key.path[0]}/{step} ({n} tables)"
    return sources, rolling


def _execute(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    progress: _Progress,
    *,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """One in-process run of ``progress``'s steps (their assets and checks), followed live."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    selected = [k for k in keys if defs.resolve_assets_def(k).node_def.name in progress.steps]
    job = dg.Definitions(
        assets=list(defs.assets or []),
        resources=dict(defs.resources or {}),
        jobs=[
            dg.define_asset_job(
                "fsu_run",
                selection=dg.AssetSelection.assets(*selected) | dg.AssetSelection.checks_for_assets(*selected),
            )
        ],
    ).resolve_job_def("fsu_run")
    run_id = make_new_run_id()
    instance.add_event_listener(run_id, progress)
    # JobDefinition.execute_in_process keeps every step's output in memory for the result
    # (output capture): a force window's source frames would all stay alive until the end.
    # The same call without it; the outputs live in the warehouse.
    ephemeral = job.as_ephemeral_job(resource_defs={}, input_values={})
    result = core_execute_in_process(
        run_config=QUIET,
        job=InMemoryJob(job_def=ephemeral),
        instance=instance,
        output_capturing_enabled=False,
        raise_on_error=False,
        run_tags=merge_run_tags(
            job_def=ephemeral,
            partition_key=partition_key,
            tags=tags,
            asset_selection=None,
            instance=instance,
            run_config=QUIET,
        ),
        run_id=run_id,
    )
    if progress.failure is not None:
        raise progress.failure
    if not result.success:
        raise PipelineFailed("run", "run failed")


def run_month(
    month: str,
    echo: Callable[[str], None] = print,
    defs: dg.Definitions | None = None,
    *,
    settings: FsuSettings | None = None,
) -> list[StepReport]:
    """Materialise the sources for the window ending ``month`` and every rolling hop for it.

    Two runs: every source extract over the twelve landing months (one run over the partition
    range), then every rolling hop for partition ``month`` (one run, steps in dependency order).
    A failed step or failed blocking check stops the run (downstream steps are skipped) and
    raises :class:`PipelineFailed` naming it.

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
    source_steps, rolling_steps = _step_labels(defs)
    total = len(source_steps) + len(rolling_steps)
    range_tags = {
        "dagster/asset_partition_range_start": months[0].isoformat(),
        "dagster/asset_partition_range_end": months[-1].isoformat(),
    }
    warehouse_path = _warehouse_path(defs)
    from fsu_dagster.warehouse import utc_now

    started = utc_now()
    with _instance() as instance:
        echo(
            f"Window {months[0]:%Y-%m} .. {m:%Y-%m}: {len(source_steps)} source extracts x 12 months, "
            f"then {len(rolling_steps)} rolling steps"
        )
        sources = _Progress(source_steps, 0, total, echo)
        try:
            _execute(defs, instance, sources, tags=range_tags)
            rolling = _Progress(rolling_steps, len(source_steps), total, echo)
            _execute(defs, instance, rolling, partition_key=m.isoformat())
        finally:
            # Printed whether the run succeeded or not: a failed volume or quarantine check is
            # explained by the same figures.
            if warehouse_path is not None:
                for line in data_quality_summary(warehouse_path, months, since=started):
                    echo(line)
    return sources.reports + rolling.reports


def _warehouse_path(defs: dg.Definitions) -> str | None:
    resource = (defs.resources or {}).get("fsu_settings")
    get = getattr(resource, "get", None)
    try:
        return str(get().warehouse) if get is not None else None
    except Exception:  # noqa: BLE001 - a summary is best effort, never the reason a run fails
        return None


def data_quality_summary(warehouse_path, months, since=None) -> list[str]:
    """The data-quality summary of ``months`` (dates) from ``fsu.data_quality``: lines to print.

    What ``fsu run`` prints at its end; a backfill calls it with the months it loaded. Aggregates
    only (counts, reasons, column names). Empty when the warehouse has no such table yet.
    ``since`` (naive UTC): only rows written from then on, i.e. by this run; extracts with none
    are listed as not loaded (their step failed, or was skipped after an upstream failure).
    """
    from fsu_dagster import warehouse as wh
    from fsu_dagster.quality import summary_lines

    months = sorted(months)
    if not months or not os.path.exists(str(warehouse_path)):
        return []
    try:
        with wh.connect(str(warehouse_path), read_only=True) as conn:
            if not wh.table_exists(conn, "fsu.data_quality"):
                return []
            frame = wh.read_frame(
                conn,
                "select * from fsu.data_quality where month between ? and ? "
                + ("and checked_at >= ? " if since is not None else "")
                + "order by extract, month",
                [months[0], months[-1]] + ([since] if since is not None else []),
            )
    except Exception as exc:  # noqa: BLE001 - best effort; say why instead of failing the run
        return [f"Data quality: summary unavailable ({type(exc).__name__})"]
    lines = summary_lines(frame)
    if since is not None:
        from fsu_dagster.contract import EXTRACTS

        loaded = set(frame.get_column("extract").to_list())
        absent = [e for e in EXTRACTS if e not in loaded]
        if absent:
            at = len(lines) - 1 if lines[-1].startswith("  (details") else len(lines)
            lines.insert(at, f"  not loaded by this run (step failed or skipped): {', '.join(absent)}")
    return lines


def cohort_summary(warehouse_path, month: str) -> str:
    """One line on the cohort of window month ``month``: its size and how many are on each list."""
    from fsu_dagster import warehouse as wh

    m = month_of(month)
    with wh.connect(str(warehouse_path), read_only=True) as conn:
        row = conn.execute(
            "select count(*), count(*) filter (in_top_investigations_custody), count(*) filter (in_top_originator), "
            "count(*) filter (in_top_subject), count(*) filter (in_top_overall) from fsu.cohort where month = ?",
            [m],
        ).fetchall()[0]  # count(*) always returns one row (fetchone() is typed as possibly None)
        universe = conn.execute("select count(*) from fsu.person_totals where month = ?", [m]).fetchall()[0][0]
    return (
        f"Cohort {m:%Y-%m}: {row[0]} frequent service users out of {universe:,} people "
        f"(top lists: investigations & custody {row[1]}, originator {row[2]}, subject {row[3]}, overall {row[4]})"
    )
