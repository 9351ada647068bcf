"""A schedule tick and landing-sensor ticks, evaluated as the daemon evaluates them."""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.defs.automation import (
    LANDING_TAG,
    WINDOW_TAG,
    WRITER_TAG,
    build_landing_sensor,
    build_schedule,
    cron_schedule,
)
from fsu_dagster.defs.publish.assets import KEY as PUBLISH_KEY
from fsu_dagster.landing import add_months, months_between
from fsu_dagster.settings import load_settings
from fsu_dagster_tests.automation.conftest import dagster_home
from fsu_dagster_tests.automation.test_landing import write_month

LONDON = ZoneInfo("Europe/London")
OCT = dt.date(2026, 10, 1)
TICK = dt.datetime(2026, 11, 5, 6, 0, tzinfo=LONDON)
WINDOW_KEYS = [dg.AssetKey(["stage1", "cohort"]), PUBLISH_KEY]


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance on the shipped dagster.yaml in a temporary DAGSTER_HOME: the FsuInstance the daemon's
    ticks see (Dagster's stock test instance committed and fsynced every event: 50-60 ms each under load)."""
    home = dagster_home(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as inst:
        yield inst


def settings_for(data_dir, **kw):
    return load_settings(data_dir=data_dir, **kw)


def age(folder, hours=2):
    old = (TICK - dt.timedelta(hours=hours)).timestamp()
    for path in folder.iterdir():
        os.utime(path, (old, old))


def full_window(landing, last=OCT, **kw):
    for month in months_between(add_months(last, -11), last):
        age(write_month(landing, month, **kw))


def _repository(settings):
    from fsu_dagster.definitions import build_definitions

    return build_definitions(settings).get_repository_def()


def schedule_tick(settings, instance, when=TICK):
    repo = _repository(settings)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when, repository_def=repo)
    return repo.get_schedule_def("fsu_monthly_schedule").evaluate_tick(context)


def sensor_tick(settings, instance, cursor=None):
    repo = _repository(settings)
    context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo)
    return repo.get_sensor_def("fsu_landing_sensor").evaluate_tick(context)


def test_default_schedule_is_the_5th_at_six_london_and_stopped():
    settings = load_settings()
    schedule = build_schedule(settings, WINDOW_KEYS)
    assert schedule.cron_schedule == "0 6 5 * *"
    assert schedule.execution_timezone == "Europe/London"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert cron_schedule(load_settings(cadence="quarterly", schedule_day=2, schedule_hour=7)) == "0 7 2 1,4,7,10 *"
    assert build_landing_sensor(settings).default_status == dg.DefaultSensorStatus.STOPPED


def test_schedule_runs_the_month_just_ended_when_its_folder_is_complete(tmp_path, instance):
    full_window(tmp_path / "landing")
    data = schedule_tick(settings_for(tmp_path), instance)
    assert data.skip_message is None
    sources, window = data.run_requests
    # Nothing loaded yet: the sources run covers the whole window, as one run.
    assert sources.tags["dagster/asset_partition_range_start"] == "2025-11-01"
    assert sources.tags["dagster/asset_partition_range_end"] == "2026-10-01"
    assert {k.path[0] for k in sources.asset_selection} == {"sources"}
    assert window.partition_key == "2026-10-01" and window.tags[WINDOW_TAG] == "2026-10"
    assert PUBLISH_KEY in window.asset_selection
    assert {k.path[0] for k in window.asset_selection} == {"identity", "stage1", "profiles", "publish"}


def test_schedule_loads_only_months_not_yet_loaded(tmp_path, instance):
    full_window(tmp_path / "landing")
    for key in [dg.AssetKey(["sources", e]) for e in EXTRACTS]:
        for month in months_between(dt.date(2025, 11, 1), dt.date(2026, 9, 1)):
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=month.isoformat()))
    sources, _ = schedule_tick(settings_for(tmp_path), instance).run_requests
    assert sources.tags["dagster/asset_partition_range_start"] == "2026-10-01"
    assert sources.tags[LANDING_TAG] == "2026-10"


def test_schedule_skips_an_incomplete_folder_with_the_reason(tmp_path, instance):
    full_window(tmp_path / "landing", last=dt.date(2026, 9, 1))
    age(write_month(tmp_path / "landing", OCT, extracts=[e for e in EXTRACTS if e != "compact_missing"]))
    data = schedule_tick(settings_for(tmp_path), instance)
    assert data.run_requests == []
    assert "2026-10" in data.skip_message and "compact_missing" in data.skip_message


def test_schedule_skips_files_still_being_written(tmp_path, instance):
    full_window(tmp_path / "landing")
    age(tmp_path / "landing" / "2026-10", hours=0)
    data = schedule_tick(settings_for(tmp_path), instance)
    assert data.run_requests == [] and "unchanged" in data.skip_message


def test_schedule_skips_a_published_month_and_non_quarter_months(tmp_path, instance):
    full_window(tmp_path / "landing")
    quarterly = schedule_tick(settings_for(tmp_path, cadence="quarterly"), instance)
    assert quarterly.run_requests == [] and "quarter" in quarterly.skip_message
    instance.report_runless_asset_event(dg.AssetMaterialization(PUBLISH_KEY, partition="2026-10-01"))
    data = schedule_tick(settings_for(tmp_path), instance)
    assert data.run_requests == [] and "already published" in data.skip_message


def test_sensor_waits_for_missing_extracts(tmp_path, instance):
    write_month(tmp_path / "landing", OCT, extracts=["avaya_calls", "cw_incidents"])
    first = sensor_tick(settings_for(tmp_path), instance)
    second = sensor_tick(settings_for(tmp_path), instance, first.cursor)
    for data in (first, second):
        assert data.run_requests == []
        assert "landing/2026-10 is incomplete" in data.skip_message and "connect_persons" in data.skip_message


def test_sensor_runs_a_complete_folder_once_after_it_stops_growing(tmp_path, instance):
    landing = tmp_path / "landing"
    write_month(landing, OCT)
    settings = settings_for(tmp_path)
    first = sensor_tick(settings, instance)
    assert first.run_requests == [] and "stop growing" in first.skip_message
    second = sensor_tick(settings, instance, first.cursor)
    assert [r.job_name for r in second.run_requests] == ["fsu_sources"]  # its window is not all there
    request = second.run_requests[0]
    assert request.partition_key == "2026-10-01" and request.tags[LANDING_TAG] == "2026-10"
    assert request.run_key.startswith("sources-2026-10-")
    third = sensor_tick(settings, instance, second.cursor)
    assert third.run_requests == [] and "no landing month has changed" in third.skip_message
    # The cursor is lost: the same folder gives the same run key, which Dagster runs only once.
    again = sensor_tick(settings, instance, json.dumps({"seen": json.loads(second.cursor)["seen"]}))
    assert [r.run_key for r in again.run_requests] == [request.run_key]


def test_sensor_ready_marker_starts_at_once_and_runs_the_new_window(tmp_path, instance):
    full_window(tmp_path / "landing", last=dt.date(2026, 9, 1), marker=True)
    write_month(tmp_path / "landing", OCT, marker=True)
    data = sensor_tick(settings_for(tmp_path), instance)
    jobs = [(r.job_name, r.tags.get(LANDING_TAG) or r.tags.get(WINDOW_TAG)) for r in data.run_requests]
    # Every folder is loaded, then the windows whose twelve folders are all there, in order.
    assert jobs[:12] == [("fsu_sources", f"{m:%Y-%m}") for m in months_between(dt.date(2025, 10, 1), OCT)][:12]
    assert jobs[-2:] == [("fsu_window", "2026-09"), ("fsu_window", "2026-10")]
    assert all(r.tags[WRITER_TAG] == "writer" for r in data.run_requests)  # the jobs' tag, for the run queue


def test_sensor_late_correction_refreshes_the_published_windows_that_include_it(tmp_path, instance):
    landing = tmp_path / "landing"
    full_window(landing, marker=True)
    settings = settings_for(tmp_path)
    for month in ("2026-08-01", "2026-09-01", "2026-10-01"):
        instance.report_runless_asset_event(dg.AssetMaterialization(PUBLISH_KEY, partition=month))
    first = sensor_tick(settings, instance)
    assert first.run_requests
    with open(landing / "2026-03" / "connect_persons.csv", "a") as fh:  # a corrected file arrives
        fh.write("corrected\n")
    data = sensor_tick(settings, instance, first.cursor)
    assert [(r.job_name, r.partition_key) for r in data.run_requests] == [
        ("fsu_sources", "2026-03-01"),
        ("fsu_window", "2026-08-01"),
        ("fsu_window", "2026-09-01"),
        ("fsu_window", "2026-10-01"),
    ]
    assert all("after-2026-03" in r.run_key for r in data.run_requests[1:])


def test_sensor_does_not_reload_a_month_loaded_since_its_files_last_changed(tmp_path, instance):
    landing = tmp_path / "landing"
    full_window(landing, marker=True)  # files from two hours before the tick
    settings = settings_for(tmp_path)
    for key in [dg.AssetKey(["sources", e]) for e in EXTRACTS]:  # a backfill loaded every month since
        for month in months_between(dt.date(2025, 11, 1), OCT):
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=month.isoformat()))
    first = sensor_tick(settings, instance)
    assert first.run_requests == [] and "no landing month has changed" in first.skip_message
    with open(landing / "2026-10" / "cw_incidents.csv", "a") as fh:  # a correction after that load
        fh.write("corrected\n")
    second = sensor_tick(settings, instance, first.cursor)
    # October is reloaded, then its window (all twelve folders are there and it is not published yet).
    assert [(r.job_name, r.partition_key) for r in second.run_requests] == [
        ("fsu_sources", "2026-10-01"),
        ("fsu_window", "2026-10-01"),
    ]
