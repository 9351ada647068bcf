"""Month after month without anyone remembering: jobs, the monthly schedule, the landing sensor.

Jobs (every run carries the tag ``fsu/warehouse=writer``; the shipped ``dagster.yaml`` lets one
such run at a time, so whatever launches runs — schedule, sensor, UI clicks, backfills — no two
write the DuckDB warehouse at once):

* ``fsu_sources`` — the nine source extracts, partitioned by **landing month**; a backfill over a
  month range is one run (``BackfillPolicy.single_run`` on the sources).
* ``fsu_window`` — every rolling hop and the dashboard snapshot for one **window month** M (the
  twelve landing months ending M); one run per month.
* ``fsu_monthly`` — both, for the schedule (it asks for a sources run and then a window run).

Schedule ``fsu_monthly_schedule`` (stopped until started in the UI): on ``schedule_day`` at
``schedule_hour`` in ``schedule_timezone`` (default the 5th, 06:00 Europe/London) it runs the
month that has just ended (``cadence: quarterly``: only after March, June, September and
December). It loads the window's landing months that are not loaded yet plus month M itself, then
the window. It skips, with the reason shown on the tick, when landing/M is incomplete (see
:mod:`fsu_dagster.landing`), when the window is already published or already queued.

Sensor ``fsu_landing_sensor`` (stopped until started): every ``landing_sensor_interval_seconds``
it looks at each ``landing/YYYY-MM`` folder. When a folder becomes complete (the ``_READY``
marker, or every required extract present and unchanged since the previous tick) it loads that
landing month, then refreshes every window month that includes it and is already published, and
the folder's own window month when all twelve of its folders are there. Its cursor remembers each
folder's fingerprint, and each run's ``run_key`` is built from the month and the fingerprint, so
the same folder never runs twice; a late correction (a changed file) runs again. A folder whose
every extract was loaded after its newest file change (by ``fsu backfill``, the schedule or the
UI) is not loaded again, so starting the sensor over a built history starts no runs.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.defs.partitions import landing_month
from fsu_dagster.defs.publish.assets import KEY as PUBLISH_KEY
from fsu_dagster.landing import (
    add_months,
    inspect_folder,
    landing_months,
    month_key,
    previous_complete_month,
    window_of,
    windows_including,
)
from fsu_dagster.settings import FsuSettings

#: Every fsu run carries this tag; dagster.yaml limits runs with it to one at a time.
WRITER_TAG = "fsu/warehouse"
WRITER_TAGS = {WRITER_TAG: "writer"}
WINDOW_TAG = "fsu/window"
LANDING_TAG = "fsu/landing_month"
TRIGGER_TAG = "fsu/trigger"

SOURCE_KEYS = [dg.AssetKey(["sources", name]) for name in EXTRACTS]

SOURCES = dg.AssetSelection.groups("sources")
WINDOW = dg.AssetSelection.all() - SOURCES

sources_job = dg.define_asset_job(
    "fsu_sources",
    selection=SOURCES,
    partitions_def=landing_month,
    tags=WRITER_TAGS,
    description="Load landing months into the warehouse: the nine source extracts (a month range runs as one run).",
)
window_job = dg.define_asset_job(
    "fsu_window",
    selection=WINDOW,
    partitions_def=landing_month,
    tags=WRITER_TAGS,
    description=(
        "Window month M (the twelve landing months ending M): identity, Stage 1 totals, metrics and "
        "cohort, the profiles, then the dashboard snapshot. One run per month."
    ),
)
# fsu_monthly mixes the sources' single-run policy with the hops' one-run-per-month; the schedule
# launches it with explicit asset selections and partitions, never as a backfill, so the warning
# Dagster gives when it resolves the job says nothing useful.
warnings.filterwarnings("ignore", message="Asset job fsu_monthly materializes assets with varying BackfillPolicies")
monthly_job = dg.define_asset_job(
    "fsu_monthly",
    selection=dg.AssetSelection.all(),
    partitions_def=landing_month,
    tags=WRITER_TAGS,
    description="What the monthly schedule launches: a sources run, then a window run.",
)


def _materialised(instance: dg.DagsterInstance, key: dg.AssetKey) -> set[str]:
    return set(instance.get_materialized_partitions(key))


def _loaded_months(instance: dg.DagsterInstance) -> set[str]:
    """Landing months (partition keys) that every source extract has been loaded for."""
    loaded: set[str] | None = None
    for key in SOURCE_KEYS:
        done = _materialised(instance, key)
        loaded = done if loaded is None else loaded & done
    return loaded or set()


def _loaded_after(instance: dg.DagsterInstance, month: dt.date, change_ns: int) -> bool:
    """Whether every source extract's partition ``month`` was last loaded after ``change_ns``
    (the newest change in its landing folder): then the folder holds nothing new."""
    for key in SOURCE_KEYS:
        result = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[month_key(month)]), limit=1
        )
        if not result.records or result.records[0].timestamp * 1e9 <= change_ns:
            return False
    return True


def _window_in_flight(instance: dg.DagsterInstance, month: dt.date) -> bool:
    statuses = [*IN_PROGRESS_RUN_STATUSES, DagsterRunStatus.QUEUED]
    runs = instance.get_run_records(RunsFilter(tags={WINDOW_TAG: f"{month:%Y-%m}"}, statuses=statuses), limit=1)
    return bool(runs)


def _sources_request(first: dt.date, last: dt.date, run_key: str, tags: dict[str, str], **kw) -> dg.RunRequest:
    """A sources run over landing months ``first`` .. ``last`` (one run, the sources' single-run policy)."""
    range_tags = {
        ASSET_PARTITION_RANGE_START_TAG: month_key(first),
        ASSET_PARTITION_RANGE_END_TAG: month_key(last),
        LANDING_TAG: f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}..{last:%Y-%m}",
    }
    return dg.RunRequest(run_key=run_key, tags={**tags, **range_tags}, **kw)


def _window_request(month: dt.date, run_key: str, tags: dict[str, str], **kw) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key, partition_key=month_key(month), tags={**tags, WINDOW_TAG: f"{month:%Y-%m}"}, **kw
    )


def cron_schedule(settings: FsuSettings) -> str:
    months = "1,4,7,10" if settings.cadence == "quarterly" else "*"
    return f"0 {settings.schedule_hour} {settings.schedule_day} {months} *"


def build_schedule(settings: FsuSettings, window_keys: list[dg.AssetKey]) -> dg.ScheduleDefinition:
    tz = ZoneInfo(settings.schedule_timezone)

    @dg.schedule(
        name="fsu_monthly_schedule",
        cron_schedule=cron_schedule(settings),
        execution_timezone=settings.schedule_timezone,
        job=monthly_job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            f"{settings.cadence.capitalize()}: on day {settings.schedule_day} at {settings.schedule_hour:02d}:00 "
            f"{settings.schedule_timezone}, run the window month that has just ended (sources, then the window "
            "and its dashboard snapshot). Skips while that month's landing folder is incomplete."
        ),
    )
    def fsu_monthly_schedule(context: dg.ScheduleEvaluationContext):
        when = context.scheduled_execution_time or dt.datetime.now(tz)
        when = when.astimezone(tz)
        month = previous_complete_month(when, settings.cadence)
        if month is None:
            return dg.SkipReason(
                f"cadence is quarterly and {add_months(when.date().replace(day=1), -1):%Y-%m} ends no quarter"
            )
        folder = inspect_folder(
            settings.landing_dir, month, settings.landing_required_extracts, settings.landing_ready_marker
        )
        ready, reason = folder.ready(now=when, settle_seconds=settings.landing_settle_seconds)
        if not ready:
            return dg.SkipReason(f"window month {month:%Y-%m} not run: {reason}")
        months = window_of(month)
        present = set(landing_months(settings.landing_dir))
        absent = [m for m in months if m not in present]
        if absent and not settings.allow_incomplete_window:
            names = ", ".join(f"{m:%Y-%m}" for m in absent)
            return dg.SkipReason(
                f"window month {month:%Y-%m} not run: no landing folder for {names} (allow_incomplete_window is off)"
            )
        instance = context.instance
        if month_key(month) in _materialised(instance, PUBLISH_KEY):
            return dg.SkipReason(f"window month {month:%Y-%m} is already published; relaunch it from the UI to redo it")
        if _window_in_flight(instance, month):
            return dg.SkipReason(f"window month {month:%Y-%m} already has a run queued or in progress")
        loaded = _loaded_months(instance)
        to_load = [m for m in months if month_key(m) not in loaded and m in present] + [month]
        tags = {**WRITER_TAGS, TRIGGER_TAG: "schedule"}
        return [
            _sources_request(
                min(to_load),
                month,
                f"{month:%Y-%m}-sources",
                tags,
                asset_selection=SOURCE_KEYS,
            ),
            _window_request(
                month,
                f"{month:%Y-%m}-window",
                tags,
                asset_selection=list(window_keys),
            ),
        ]

    return fsu_monthly_schedule


def build_landing_sensor(settings: FsuSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name="fsu_landing_sensor",
        jobs=[sources_job, window_job],
        minimum_interval_seconds=settings.landing_sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Starts the runs when a landing month folder becomes complete (the _READY marker, or every "
            "required extract present and unchanged since the previous tick): loads that month, then every "
            "published window month that includes it (a late correction refreshes the windows it touches)."
        ),
    )
    def fsu_landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        cursor = json.loads(context.cursor) if context.cursor else {}
        seen: dict[str, str] = cursor.get("seen", {})
        done: dict[str, str] = cursor.get("done", {})
        present = set(landing_months(settings.landing_dir))
        published: set[str] | None = None
        sources: list[dg.RunRequest] = []
        windows: dict[dt.date, dg.RunRequest] = {}
        waiting: list[str] = []
        for month in sorted(present):
            key = f"{month:%Y-%m}"
            folder = inspect_folder(
                settings.landing_dir, month, settings.landing_required_extracts, settings.landing_ready_marker
            )
            fingerprint = folder.fingerprint
            previous, seen[key] = seen.get(key), fingerprint
            if done.get(key) == fingerprint:
                continue
            ready, reason = folder.ready(previous_fingerprint=previous)
            if not ready:
                waiting.append(reason)
                continue
            done[key] = fingerprint
            if _loaded_after(context.instance, month, folder.newest_change_ns):
                continue  # loaded (by a backfill, the schedule, the UI) since its files last changed
            tags = {**WRITER_TAGS, TRIGGER_TAG: "landing-sensor"}
            sources.append(
                dg.RunRequest(
                    run_key=f"sources-{key}-{fingerprint}",
                    job_name=sources_job.name,
                    partition_key=month_key(month),
                    tags={**tags, LANDING_TAG: key},
                )
            )
            if published is None:
                published = _materialised(context.instance, PUBLISH_KEY)
            for window in windows_including(month):
                is_new = window == month and all(m in present for m in window_of(window))
                if month_key(window) in published or is_new:
                    windows.pop(window, None)  # keep one request per window, after every load it needs
                    windows[window] = _window_request(
                        window, f"window-{window:%Y-%m}-after-{key}-{fingerprint}", tags, job_name=window_job.name
                    )
        new_cursor = json.dumps({"seen": seen, "done": done}, sort_keys=True)
        if not sources:
            reason = "; ".join(waiting) if waiting else "no landing month has changed since it was last loaded"
            if not present:
                reason = f"no landing month folders in {settings.landing_dir} yet"
            return dg.SensorResult(skip_reason=reason, cursor=new_cursor)
        ordered = [windows[w] for w in sorted(windows)]
        return dg.SensorResult(run_requests=[*sources, *ordered], cursor=new_cursor)

    return fsu_landing_sensor


def defs(settings: FsuSettings, window_keys: list[dg.AssetKey]) -> dg.Definitions:
    """The jobs, the schedule and the sensor; ``window_keys`` are the rolling hops' and publish's assets."""
    return dg.Definitions(
        jobs=[sources_job, window_job, monthly_job],
        schedules=[build_schedule(settings, window_keys)],
        sensors=[build_landing_sensor(settings)],
    )


__all__ = [
    "WRITER_TAG",
    "build_landing_sensor",
    "build_schedule",
    "cron_schedule",
    "defs",
    "monthly_job",
    "sources_job",
    "window_job",
]
