"""``fsu backfill``: a range of window months, in order, resumable, each one published.

1. Decide which window months need work: a month whose cohort is in the warehouse *and* whose
   dashboard snapshot is published is done and skipped (unless ``force``); a month in the
   warehouse but not yet published is only published.
2. Load every landing month the remaining windows need (the union of their twelve-month
   windows) in **one** sources run over that range.
3. For each remaining window month, oldest first: one run of every rolling hop for that month,
   then one run of the publish asset (the dashboard snapshot), printing a line per step.

The runs go through the same pieces as ``fsu run`` (:mod:`fsu_dagster.runner`), into the Dagster
instance named by ``DAGSTER_HOME`` when set, so they show in the UI. An interrupted backfill is
resumed by running the same command again. It refuses to start while the instance has an fsu
run queued or in progress (one writer at a time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES, DagsterRunStatus, RunsFilter

from fsu_dagster.landing import month_key, months_between, window_of
from fsu_dagster.publish import list_snapshots, parse_month
from fsu_dagster.runner import (
    PipelineFailed,
    StepReport,
    _execute,
    _instance,
    _Progress,
    _step_labels,
    data_quality_summary,
)
from fsu_dagster.settings import FsuSettings
from fsu_dagster.warehouse import utc_now

__all__ = ["BackfillReport", "WriterBusy", "backfill", "warehouse_months"]


class WriterBusy(RuntimeError):
    """Another fsu run is queued or in progress in the Dagster instance."""


@dataclass
class BackfillReport:
    months: list[dt.date]
    skipped: list[dt.date] = field(default_factory=list)
    published_only: list[dt.date] = field(default_factory=list)
    built: list[dt.date] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)


def warehouse_months(warehouse: Path | str) -> set[dt.date]:
    """Window months with a cohort in the warehouse (read-only look; empty when there is none)."""
    from fsu_dagster import warehouse as wh

    if not Path(warehouse).is_file():
        return set()
    with wh.connect(str(warehouse), read_only=True) as conn:
        present = conn.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'fsu' "
            "and table_name = 'cohort'",
            [wh.WAREHOUSE_ALIAS],
        ).fetchall()[0][0]
        if not present:
            return set()
        return {r[0] for r in conn.execute("select distinct month from fsu.cohort").fetchall()}


def _check_no_writer(instance: dg.DagsterInstance) -> None:
    from fsu_dagster.defs.automation import WRITER_TAG

    statuses = [*IN_PROGRESS_RUN_STATUSES, DagsterRunStatus.QUEUED]
    busy = instance.get_run_records(RunsFilter(tags={WRITER_TAG: "writer"}, statuses=statuses), limit=1)
    if busy:
        run = busy[0].dagster_run
        raise WriterBusy(
            f"run {run.run_id[:8]} ({run.job_name}) is {run.status.value.lower()} in the Dagster instance; "
            "wait for it (or cancel it in the UI) so that one run writes the warehouse at a time"
        )


def backfill(
    first: str | dt.date,
    last: str | dt.date,
    echo: Callable[[str], None] = print,
    *,
    settings: FsuSettings,
    force: bool = False,
) -> BackfillReport:
    """Materialise and publish window months ``first`` .. ``last`` (``YYYY-MM``), oldest first.

    Raises :class:`PipelineFailed` naming the failed step (months before it stay done: run the
    command again to resume) and :class:`WriterBusy` when another fsu run holds the queue.
    """
    from fsu_dagster.definitions import build_definitions
    from fsu_dagster.defs.automation import LANDING_TAG, TRIGGER_TAG, WINDOW_TAG, WRITER_TAGS

    start, end = parse_month(first), parse_month(last)
    if end < start:
        raise ValueError(f"--to {end:%Y-%m} is before --from {start:%Y-%m}")
    report = BackfillReport(months_between(start, end))
    in_warehouse = set() if force else warehouse_months(settings.warehouse)
    published = set() if force else set(list_snapshots(settings.snapshots_dir))
    todo: list[dt.date] = []
    for month in report.months:
        if month in in_warehouse and month in published:
            report.skipped.append(month)
        elif month in in_warehouse:
            report.published_only.append(month)
        else:
            todo.append(month)
    if report.skipped:
        echo(
            "Already built and published (skipped; --force redoes them): "
            + ", ".join(f"{m:%Y-%m}" for m in report.skipped)
        )
    work = sorted(todo + report.published_only)
    if not work:
        echo("Nothing to do.")
        return report

    defs = build_definitions(settings)
    source_steps, rolling_steps = _step_labels(defs)
    graph = defs.resolve_asset_graph()
    publish_steps = {
        defs.resolve_assets_def(k).node_def.name: "/".join(k.path)
        for k in graph.get_all_asset_keys()
        if k.path[0] == "publish"
    }
    tags = {**WRITER_TAGS, TRIGGER_TAG: "backfill"}
    with _instance() as instance:
        _check_no_writer(instance)
        if todo:
            landing = sorted({m for w in todo for m in window_of(w)})
            first_m, last_m = landing[0], landing[-1]
            echo(
                f"Loading landing months {first_m:%Y-%m} .. {last_m:%Y-%m} ({len(landing)} months, "
                f"{len(source_steps)} source extracts) in one run"
            )
            sources = _Progress(source_steps, 0, len(source_steps), echo)
            started = utc_now()
            try:
                _execute(
                    defs,
                    instance,
                    sources,
                    tags={
                        **tags,
                        LANDING_TAG: f"{first_m:%Y-%m}..{last_m:%Y-%m}",
                        "dagster/asset_partition_range_start": month_key(first_m),
                        "dagster/asset_partition_range_end": month_key(last_m),
                    },
                )
            finally:
                # As at the end of `fsu run`: what the load read, refused and flagged (also on failure).
                for line in data_quality_summary(settings.warehouse, landing, since=started):
                    echo(line)
            report.steps += sources.reports
        for i, month in enumerate(work, 1):
            run_tags = {**tags, WINDOW_TAG: f"{month:%Y-%m}"}
            if month in todo:
                echo(f"Window month {month:%Y-%m} ({i}/{len(work)}): {len(rolling_steps)} rolling steps, then publish")
                rolling = _Progress(rolling_steps, 0, len(rolling_steps) + len(publish_steps), echo)
                _execute(defs, instance, rolling, partition_key=month_key(month), tags=run_tags)
                report.steps += rolling.reports
                offset = len(rolling_steps)
            else:
                echo(f"Window month {month:%Y-%m} ({i}/{len(work)}): in the warehouse, publishing it")
                offset = 0
            publish = _Progress(publish_steps, offset, offset + len(publish_steps), echo)
            _execute(defs, instance, publish, partition_key=month_key(month), tags=run_tags)
            report.steps += publish.reports
            if month in todo:
                report.built.append(month)
    return report


__all__ += ["PipelineFailed"]
