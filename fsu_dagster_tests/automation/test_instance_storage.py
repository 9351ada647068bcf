"""The shipped dagster.yaml's instance: Dagster's SQLite files, written with kept connections, no fsync per event."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import dagster as dg

from fsu_dagster.defs.instance import KEPT_RUN_FILES, FsuInstance, FsuSqliteEventLogStorage
from fsu_dagster_tests.automation.conftest import dagster_home


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


@dg.asset_check(asset=counted)
def counted_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _run(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([counted, counted_is_positive], instance=instance, raise_on_error=True)
    return result.run_id


def test_shipped_yaml_gives_the_fsu_instance_on_dagsters_usual_folders(tmp_path):
    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, FsuInstance)
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        assert Path(storage._base_dir) == home / "history" / "runs"
        run_id = _run(instance)
    assert (home / "history" / "runs" / f"{run_id}.db").is_file()
    assert (home / "history" / "runs.db").is_file()


def test_a_stock_dagster_instance_reads_what_it_wrote(tmp_path):
    """Same files, same schema: the UI or a later Dagster without this class sees every event."""
    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = _run(instance)
        written = [e.dagster_event_type for e in instance.all_logs(run_id)]
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as stock:
        assert type(stock) is dg.DagsterInstance
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert [e.dagster_event_type for e in stock.all_logs(run_id)] == written
        assert stock.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
        [record] = stock.fetch_materializations(counted.key, limit=10).records
        assert record.asset_materialization.metadata["dagster/row_count"].value == 3
        check = stock.event_log_storage.get_latest_asset_check_execution_by_key([counted_is_positive.check_key])
        assert check[counted_is_positive.check_key].run_id == run_id
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in written
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in written


def test_every_file_is_wal_and_commits_without_fsync(tmp_path):
    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = _run(instance)
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        for shard in ("index", run_id):
            with storage._connect(shard) as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (FULL is 2)


def test_connections_are_kept_for_the_index_and_the_latest_runs_only(tmp_path):
    home = dagster_home(tmp_path / "home")
    job = dg.define_asset_job("one", [counted]).resolve(asset_graph=_graph())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        runs = [instance.create_run_for_job(job) for _ in range(KEPT_RUN_FILES + 1)]
        for run in runs:
            instance.report_engine_event("an event", run)
        assert set(storage._engines) == {"index", *(r.run_id for r in runs[-KEPT_RUN_FILES:])}
        # A run whose connection was closed is still read (its file is reopened).
        assert [e.message for e in instance.all_logs(runs[0].run_id)][-1] == "an event"
    assert not storage._engines  # disposed with the instance


def test_the_uis_live_view_sees_events_another_process_writes(tmp_path):
    """The UI watches a run's file; with kept connections the events land in its -wal file first."""
    home = dagster_home(tmp_path / "home")
    seen: list[dg.DagsterEventType | None] = []
    with dg.DagsterInstance.from_config(str(home)) as writer, dg.DagsterInstance.from_config(str(home)) as ui:
        run = writer.create_run_for_job(dg.define_asset_job("one", [counted]).resolve(asset_graph=_graph()))
        writer.report_engine_event("before the watch", run)
        cursor = None
        ui.watch_event_logs(run.run_id, cursor, lambda entry, _cursor: seen.append(entry.dagster_event_type))
        time.sleep(0.5)
        for i in range(3):
            writer.report_engine_event(f"event {i}", run)
        deadline = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        ui.end_watch_event_logs(run.run_id, seen.append)  # type: ignore[arg-type]
    assert seen.count(dg.DagsterEventType.ENGINE_EVENT) >= 4, seen


def _graph():
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

    return AssetGraph.from_assets([counted])


def _recorded(instance: dg.DagsterInstance, run_id: str) -> dict:
    """What an instance holds of a run: its events (without times and ids), asset and check records."""
    events = [
        (e.dagster_event_type, e.step_key, e.message if e.dagster_event_type is None else None)
        for e in instance.all_logs(run_id)
    ]
    [record] = instance.fetch_materializations(counted.key, limit=10).records
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key([counted_is_positive.check_key])
    [asset] = instance.get_asset_records([counted.key])
    return {
        "events": events,
        "materialization": dict(record.asset_materialization.metadata),
        "check": (checks[counted_is_positive.check_key].status, checks[counted_is_positive.check_key].run_id == run_id),
        "asset_last_run": asset.asset_entry.last_run_id == run_id,
    }


def test_the_ephemeral_instance_records_what_dagsters_own_records():
    """`fsu run` without DAGSTER_HOME: the kept-connection in-memory event log stores the same things."""
    from fsu_dagster.defs.instance import FsuInMemoryEventLogStorage, ephemeral_instance

    with dg.DagsterInstance.ephemeral() as stock, ephemeral_instance() as ours:
        assert isinstance(ours.event_log_storage, FsuInMemoryEventLogStorage)
        assert ours.is_ephemeral
        expected, got = _recorded(stock, _run(stock)), _recorded(ours, _run(ours))
        with ours.event_log_storage._connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert got == expected
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in [kind for kind, _, _ in got["events"]]


def test_run_month_without_dagster_home_uses_the_fsu_ephemeral_instance(monkeypatch):
    from fsu_dagster import runner
    from fsu_dagster.defs.instance import FsuInMemoryEventLogStorage

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with runner._instance() as instance:
        assert isinstance(instance.event_log_storage, FsuInMemoryEventLogStorage)


def test_a_table_or_column_found_is_not_looked_up_again_a_missing_one_is(tmp_path, monkeypatch):
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        engines: list[str] = []
        real_create_engine = sqlite_event_log.create_engine

        def counting_create_engine(*args, **kwargs):
            engines.append(str(args[0]))
            return real_create_engine(*args, **kwargs)

        monkeypatch.setattr(sqlite_event_log, "create_engine", counting_create_engine)
        assert storage.has_table("asset_check_executions") and storage.supports_asset_checks
        assert storage.has_table("asset_check_executions")
        assert len(engines) == 1  # looked up once, then remembered
        assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
        assert len(engines) == 3  # a missing table is looked up every time, as Dagster does
        assert storage.has_asset_key_index_cols() and storage.has_asset_key_col("last_materialization_timestamp")
        assert not storage.has_asset_key_col("no_such_column")
        assert storage._fsu_asset_key_columns == {"last_materialization_timestamp"}
        # And the events still land where Dagster puts them.
        run_id = _run(instance)
        assert instance.get_asset_records([counted.key])[0].asset_entry.last_run_id == run_id


def _schema(path: Path) -> tuple[list[tuple], list[tuple], str]:
    with sqlite3.connect(path) as conn:
        objects = sorted(conn.execute("select type, name, tbl_name, sql from sqlite_master").fetchall())
        stamp = conn.execute("select version_num from alembic_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return objects, stamp, mode


def test_a_new_run_file_is_a_copy_of_what_dagsters_initdb_makes(tmp_path):
    """A run's file is made from one file initialised by Dagster's own ``_initdb`` (once per storage):
    the same tables, indexes, alembic stamp and WAL mode as ``_initdb`` gives a file of its own."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        first, second = _run(instance), _run(instance)
        assert "_fsu_run_template" in storage.__dict__  # made once, used for both runs
        events = [e.dagster_event_type for e in instance.all_logs(second)]
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    try:
        with stock.run_connection("a-run"):
            pass
    finally:
        stock.dispose()
    expected = _schema(tmp_path / "stock" / "a-run.db")
    assert expected[0] and expected[1] and expected[2] == "wal"
    runs = home / "history" / "runs"
    for run_id in (first, second):
        assert _schema(runs / f"{run_id}.db") == expected
    assert not list(runs.glob(".*"))  # no partial file left behind
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in events


def test_a_run_file_that_exists_is_not_replaced(tmp_path):
    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        run_id = _run(instance)
        written = [e.dagster_event_type for e in instance.all_logs(run_id)]
    with dg.DagsterInstance.from_config(str(home)) as again:
        storage = again.event_log_storage
        assert isinstance(storage, FsuSqliteEventLogStorage)
        assert not storage._new_run_file(run_id)
        assert [e.dagster_event_type for e in again.all_logs(run_id)] == written


def test_without_hard_links_a_run_file_is_initialised_by_dagster_as_before(tmp_path, monkeypatch):
    import errno
    import os

    def no_links(src, dst):
        raise OSError(errno.EPERM, "hard links not supported here")

    home = dagster_home(tmp_path / "home")
    monkeypatch.setattr(os, "link", no_links)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = _run(instance)
        events = [e.dagster_event_type for e in instance.all_logs(run_id)]
    runs = home / "history" / "runs"
    objects, stamp, mode = _schema(runs / f"{run_id}.db")
    assert objects and stamp and mode == "wal"
    assert not list(runs.glob(".*"))
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in events


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
def described() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 2,
            "share": 0.1 + 0.2,
            "note": dg.MetadataValue.text('naïve "quoted" \\ text\n'),
            "counts": dg.MetadataValue.json({"b": [1, 2.5, None], "a": {"z": True}}),
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn("person_id", "VARCHAR")]),
        }
    )


def _no_second_serialization(*_args, **_kwargs):
    raise AssertionError("the materialization was serialized again")


def test_a_materialization_is_serialized_once_and_stored_as_dagster_stores_it(tmp_path, monkeypatch):
    """``last_materialization`` is built from the event row's text: the same string Dagster makes."""
    from dagster._core.storage.event_log import sql_event_log
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    from fsu_dagster.defs.instance import FsuInMemoryEventLogStorage, ephemeral_instance

    home = dagster_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as on_disk, ephemeral_instance() as in_memory:
        for instance in (on_disk, in_memory):
            storage = instance.event_log_storage
            assert isinstance(storage, (FsuSqliteEventLogStorage, FsuInMemoryEventLogStorage))
            run_ids = [
                dg.materialize([described], instance=instance, partition_key=key, raise_on_error=True).run_id
                for key in ("a", "b")
            ] + [_run(instance)]
            compared = 0
            for run_id in run_ids:
                for event in instance.all_logs(run_id):
                    storage._event_to_row(event)
                    for index_cols in (True, False):
                        got = storage._get_asset_entry_values(event, 4_321, index_cols)
                        assert got == SqlEventLogStorage._get_asset_entry_values(storage, event, 4_321, index_cols)
                    compared += event.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            assert compared == 3
            [first, *_] = instance.all_logs(run_ids[0], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            storage._event_to_row(first)
            with monkeypatch.context() as mp:
                mp.setattr(sql_event_log, "serialize_value", _no_second_serialization)
                assert storage._get_asset_entry_values(first, 7, True)["last_run_id"] == run_ids[0]
            # Without the event row's text (another event's was made last), Dagster's own path.
            storage._event_to_row(instance.all_logs(run_ids[1])[0])
            assert storage._get_asset_entry_values(first, 7, True) == SqlEventLogStorage._get_asset_entry_values(
                storage, first, 7, True
            )
            # What was stored reads back: the latest materialization of each partition and its run.
            [record] = instance.get_asset_records([described.key])
            assert record.asset_entry.last_run_id == run_ids[1]
            assert record.asset_entry.last_materialization.asset_materialization.partition == "b"
            latest = instance.fetch_materializations(described.key, limit=10).records
            assert [r.asset_materialization.partition for r in latest] == ["b", "a"]
            assert latest[0].asset_materialization.metadata["share"].value == 0.1 + 0.2
