"""``fsu backfill`` builds and publishes two window months; ``fsu export`` writes and logs them."""

from __future__ import annotations

import datetime as dt
import json
import stat

import dagster as dg
import duckdb
import polars as pl
from typer.testing import CliRunner

from fsu_dagster.cli import app
from fsu_dagster.defs.publish.assets import KEY as PUBLISH_KEY
from fsu_dagster.publish import latest_snapshot, list_snapshots
from fsu_dagster.warehouse import connect

MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]


def test_backfill_builds_every_month_into_the_warehouse(backfilled):
    with connect(str(backfilled.warehouse), read_only=True) as conn:
        cohort = dict(conn.execute("select month, count(*) from fsu.cohort group by month order by month").fetchall())
        loaded = conn.execute("select min(month), max(month) from fsu.landing_manifest").fetchone()
    assert sorted(cohort) == MONTHS and all(n > 0 for n in cohort.values())
    # One sources run loaded every landing month the two windows need, 2025-10 .. 2026-10 (the landing
    # area starts at 2025-08).
    assert loaded == (dt.date(2025, 10, 1), dt.date(2026, 10, 1))
    assert "Loading landing months 2025-10 .. 2026-10 (13 months" in backfilled.output
    for i, month in enumerate(MONTHS, 1):
        assert f"Window month {month:%Y-%m} ({i}/2)" in backfilled.output


def test_backfill_prints_the_data_quality_summary_of_what_it_loaded(backfilled):
    """Like `fsu run`, a backfill ends its load with the data-quality summary (counts only)."""
    with connect(str(backfilled.warehouse), read_only=True) as conn:
        rows_read = conn.execute("select sum(rows_read) from fsu.data_quality").fetchone()[0]
    assert "Data quality, 9 extracts x 13 months (2025-10 .. 2026-10)" in backfilled.output
    assert f"{rows_read:,} rows read" in backfilled.output


def test_backfill_publishes_each_month_and_records_it_in_dagster(backfilled):
    snapshots = list_snapshots(backfilled.snapshots)
    assert sorted(snapshots) == MONTHS
    assert latest_snapshot(backfilled.snapshots) == snapshots[MONTHS[-1]]
    with duckdb.connect(str(snapshots[MONTHS[0]]), read_only=True) as conn:
        assert conn.execute("select month from fsu.snapshot_info").fetchone()[0] == MONTHS[0]
    # The later windows see the earlier ones: month-over-month changes are not all "new".
    with duckdb.connect(str(snapshots[MONTHS[-1]]), read_only=True) as conn:
        statuses = {r[0] for r in conn.execute("select distinct status from fsu.cohort_changes").fetchall()}
    assert len(statuses) > 1, statuses
    with dg.DagsterInstance.from_config(str(backfilled.dagster_home)) as instance:
        assert instance.get_materialized_partitions(PUBLISH_KEY) == {f"{m}" for m in MONTHS}


def test_backfill_again_skips_what_is_done(backfilled):
    result = CliRunner().invoke(app, ["backfill", "--from", "2026-09", "--to", "2026-10"], env=backfilled.env)
    assert result.exit_code == 0, result.output
    assert "Nothing to do." in result.output and "skipped: 2" in result.output


def test_backfill_rejects_a_reversed_range(backfilled):
    result = CliRunner().invoke(app, ["backfill", "--from", "2026-10", "--to", "2026-08"], env=backfilled.env)
    assert result.exit_code == 2 and "before" in result.output


def test_export_writes_private_files_and_logs_who_what_and_how_many(backfilled, tmp_path):
    # The backfill is shared (read-only): this test's exports are logged in an audit log of its own.
    env = {**backfilled.env, "FSU_AUDIT_LOG": str(tmp_path / "audit.log")}
    runner = CliRunner()
    result = runner.invoke(
        app, ["export", "--month", "2026-10", "--format", "csv", "--out", str(tmp_path), "--user", "analyst1"], env=env
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "fsu-2026-10"
    files = sorted(folder.glob("*.csv"))
    assert {"cohort.csv", "person_names.csv", "cohort_changes.csv"} <= {f.name for f in files}
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    rows = sum(pl.read_csv(f, infer_schema_length=0).height for f in files)
    parquet = runner.invoke(
        app, ["export", "--month", "2026-09", "--format", "parquet", "--out", str(tmp_path)], env=env
    )
    assert parquet.exit_code == 0, parquet.output
    assert pl.read_parquet(tmp_path / "fsu-2026-09" / "cohort.parquet").height > 0
    records = [json.loads(line) for line in open(env["FSU_AUDIT_LOG"], encoding="utf-8")][-2:]
    csv_line, parquet_line = records
    assert csv_line["event"] == "export" and csv_line["user"] == "analyst1" and csv_line["month"] == "2026-10"
    assert csv_line["format"] == "csv" and csv_line["rows"] == rows and csv_line["tables"] == len(files)
    assert csv_line["time"].endswith("Z")
    assert parquet_line["user"]  # the OS user when --user is not given
    missing = runner.invoke(app, ["export", "--month", "2025-01", "--format", "csv", "--out", str(tmp_path)], env=env)
    assert missing.exit_code == 1 and "not published" in missing.output


def test_backfill_refuses_to_start_while_another_writer_is_running(tiny15, tmp_path):
    from dagster._core.test_utils import create_run_for_test

    from fsu_dagster.defs.automation import WRITER_TAGS
    from fsu_dagster_tests.automation.conftest import dagster_home

    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        create_run_for_test(instance, job_name="fsu_window", status=dg.DagsterRunStatus.STARTED, tags=WRITER_TAGS)
    env = {
        "DAGSTER_HOME": str(home),
        "FSU_DATA_DIR": str(tiny15),
        "FSU_WAREHOUSE": str(tmp_path / "fsu.duckdb"),
        "FSU_SNAPSHOT_DIR": str(tmp_path / "snapshots"),
    }
    result = CliRunner().invoke(app, ["backfill", "--from", "2026-10", "--to", "2026-10"], env=env)
    assert result.exit_code == 2, result.output
    assert "is started" in result.output and "one run writes the warehouse at a time" in result.output
    assert not (tmp_path / "snapshots").exists()
