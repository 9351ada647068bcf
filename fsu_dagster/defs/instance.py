"""The Dagster instance's event log, lighter on the disk: what ``dagster.yaml`` names.

Dagster's ``SqliteEventLogStorage`` keeps one SQLite file per run plus an index file, and for
every event it builds a SQLAlchemy engine, opens the file, commits (an ``fsync`` of the WAL) and
closes it again; an asset event is written twice (the run's file and the index). A tiny month is
about 900 events, and on a shared disk each commit's ``fsync`` took 5-10 ms: most of what a
UI-launched month cost over ``fsu run`` (docs/performance.md, "A month through Dagster").

:class:`FsuSqliteEventLogStorage` is the same storage, same files and schema, with three changes:

* **Connections are kept.** One engine (a small pool) per file, for the index and the most recent
  runs, instead of a new engine and connection per event.
* **Commits are not fsynced** (``PRAGMA synchronous=NORMAL`` on files in WAL mode, which every
  file Dagster creates is): SQLite's documented setting for WAL, still atomic and never corrupt;
  a power cut (not a crash of the process) may lose the last events. The run history is the only
  thing at stake; the warehouse is DuckDB and not affected.
* **A new run's file is a copy** of one file initialised by Dagster's own ``_initdb`` once per
  storage (tables, indexes, alembic stamp, WAL mode), instead of ``create_all``, two alembic script
  scans and a stamp for every run (0.2-0.4 s a run). A file that already exists is checked by
  ``_initdb`` as before.

Because a kept connection does not checkpoint the WAL into the run's file on every write, the UI's
live log view (a file watch on the run's ``.db``) also watches the run's ``-wal`` file.

:class:`FsuInstance` is a plain ``DagsterInstance`` whose default event log storage is this one
(the same folder, ``$DAGSTER_HOME/history/runs``); ``dagster.yaml`` selects it with
``instance_class``. An ``event_log_storage`` block in ``dagster.yaml`` still overrides it.

Without ``DAGSTER_HOME`` (``fsu run`` in a temporary instance, the tests), :func:`ephemeral_instance`
is Dagster's ephemeral instance with :class:`FsuInMemoryEventLogStorage`: the same in-memory
tables, written through a kept connection instead of a new one (and two PRAGMAs) per statement.
Both storages remember the tables and columns they have found (:class:`_SchemaLookupsKept`)
instead of reflecting the schema for every event. Replaying one tiny ``fsu run``'s 842 events
(medians of 5, same process): in memory 5.2 -> 3.2 s, on disk 6.0 -> 5.1 s (docs/performance.md).
Both also serialize a materialization once: its ``asset_keys`` record is built from the event
row's text (:class:`_MaterializationSerializedOnce`; the replay's CPU 8-10% less, session 9).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import DagsterInstance
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.in_memory import InMemoryEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from dagster._time import datetime_from_timestamp
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

#: Run files whose engine is kept open (the index's is always kept); older ones are closed.
KEPT_RUN_FILES = 4
#: SQLite's busy timeout, as Dagster's storage sets it (another process holds the write lock).
BUSY_TIMEOUT_SECONDS = 120


def _no_fsync_in_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode and str(mode[0]).lower() == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class _SchemaLookupsKept:
    """An event log storage that remembers the tables and ``asset_keys`` columns it has found.

    Dagster asks, for nearly every event it stores, whether the tags table and the asset-check
    table exist and whether ``asset_keys`` has its index columns, each time by reflecting the
    schema (the SQLite storage builds a new engine for every ``has_table``). Tables and columns
    are only ever added (by ``dagster instance migrate``), never dropped, so an answer of *yes* is
    kept for the storage's lifetime; *no* is asked again each time, as before.
    """

    def has_table(self, table_name: str) -> bool:
        found: set[str] = self.__dict__.setdefault("_fsu_tables_found", set())
        if table_name in found:
            return True
        exists = super().has_table(table_name)  # type: ignore[misc]
        if exists:
            found.add(table_name)
        return exists

    def has_asset_key_col(self, column_name: str) -> bool:
        if column_name in self.__dict__.setdefault("_fsu_asset_key_columns", set()):
            return True
        return super().has_asset_key_col(column_name)  # type: ignore[misc]

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        found: set[str] = self.__dict__.setdefault("_fsu_asset_key_columns", set())
        if column_name in found:
            return True
        exists = super()._has_asset_key_col_on_connection(conn, column_name)  # type: ignore[misc]
        if exists:
            found.add(column_name)
        return exists


class _MaterializationSerializedOnce:
    """An event log storage that serializes a materialization once, not twice.

    Dagster stores a materialization as its event row (``serialize_value(event)``) and, in
    ``asset_keys.last_materialization``, as ``serialize_value(EventLogRecord(event_id, event))``: the
    same event serialized again inside a record (a tiny ``fsu run``'s 150 materializations, 9 kB
    each). Serialized JSON has sorted keys, so the record's text is the event's text between
    ``{"__class__": "EventLogRecord", "event_log_entry": `` and ``, "storage_id": <id>}``; it is built
    from the text just made for the event row (the same string ``serialize_value`` gives: tested).
    Any other event, or an event whose row text is not the one kept, goes through Dagster as before.
    """

    def _event_to_row(self, event: EventLogEntry) -> dict[str, Any]:
        row = super()._event_to_row(event)  # type: ignore[misc]
        self.__dict__["_fsu_last_serialized"] = (event, row["event"])
        return row

    def _get_asset_entry_values(
        self, event: EventLogEntry, event_id: int, has_asset_key_index_cols: bool
    ) -> dict[str, Any]:
        last = self.__dict__.get("_fsu_last_serialized")
        dagster_event = event.dagster_event
        if last is None or last[0] is not event or dagster_event is None or not dagster_event.is_step_materialization:
            return super()._get_asset_entry_values(event, event_id, has_asset_key_index_cols)  # type: ignore[misc]
        # What SqlEventLogStorage._get_asset_entry_values gives for a materialization.
        record = (
            f'{{"__class__": "EventLogRecord", "event_log_entry": {last[1]}, "storage_id": {json.dumps(event_id)}}}'
        )
        values: dict[str, Any] = {"last_materialization": record, "last_run_id": event.run_id}
        if has_asset_key_index_cols:
            values["last_materialization_timestamp"] = datetime_from_timestamp(event.timestamp)
        return values


class FsuInMemoryEventLogStorage(_MaterializationSerializedOnce, _SchemaLookupsKept, InMemoryEventLogStorage):
    """Dagster's in-memory event log (an ephemeral instance's: ``fsu run`` without ``DAGSTER_HOME``,
    the tests), with one kept connection instead of a new one per statement.

    The stock storage opens a new connection to its in-memory database for every statement group
    (four per stored event) and sets two PRAGMAs on it each time: ``journal_mode=WAL``, which an
    in-memory database ignores (its journal is always in memory), and ``foreign_keys=ON``, which is
    set here once on the kept connection. Same database, same tables, same rows.
    """

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(inst_data=inst_data)
        # The stock engine (no pool) and its held connection keep the shared in-memory database
        # alive; this engine keeps a connection (one per thread: SQLAlchemy's pool for in-memory
        # SQLite) to the same database for the statements.
        self._kept_engine = create_engine(self._engine.url)
        event.listen(self._kept_engine, "connect", _foreign_keys_on)

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._db_lock:
            with self._kept_engine.connect() as conn:
                with conn.begin():
                    yield conn

    def dispose(self) -> None:
        self._kept_engine.dispose()
        super().dispose()


def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def ephemeral_instance() -> DagsterInstance:
    """``DagsterInstance.ephemeral()`` with :class:`FsuInMemoryEventLogStorage` as its event log."""
    from dagster._core.instance.types import InstanceType
    from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
    from dagster._core.run_coordinator import DefaultRunCoordinator
    from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
    from dagster._core.storage.root import TemporaryLocalArtifactStorage
    from dagster._core.storage.runs import InMemoryRunStorage

    # What dagster._core.instance.factory.create_ephemeral_instance builds, but the event log.
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=FsuInMemoryEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )


class FsuSqliteEventLogStorage(_MaterializationSerializedOnce, _SchemaLookupsKept, SqliteEventLogStorage):
    """``SqliteEventLogStorage`` keeping its connections, with WAL commits not fsynced (see module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> FsuSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
                pool_size=1,
                max_overflow=4,
            )
            event.listen(engine, "connect", _no_fsync_in_wal)
            self._engines[shard] = engine
            runs = [k for k in self._engines if k != "index"]
            for old in runs[:-KEPT_RUN_FILES]:
                self._engines.pop(old).dispose()
            return engine

    def _run_file_template(self) -> bytes:
        """A new run file's bytes as ``_initdb`` makes them (tables, indexes, alembic stamp, WAL), made once."""
        template: bytes | None = self.__dict__.get("_fsu_run_template")
        if template is None:
            with tempfile.TemporaryDirectory(prefix="fsu-run-template-") as folder:
                engine = create_engine(
                    create_db_conn_string(folder, "template"),
                    poolclass=NullPool,
                    connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
                )
                try:
                    self._initdb(engine)
                finally:
                    engine.dispose()
                path = os.path.join(folder, "template.db")
                # The last connection closed checkpoints the WAL into the file and removes it.
                if os.path.exists(path + "-wal"):
                    raise RuntimeError("the run file template still has a WAL file")
                with open(path, "rb") as f:
                    template = f.read()
            self.__dict__["_fsu_run_template"] = template
        return template

    def _new_run_file(self, shard: str) -> bool:
        """Create a run's missing file from :meth:`_run_file_template`; False if it exists (or appeared)."""
        path = self.path_for_shard(shard)
        if shard == INDEX_SHARD_NAME or os.path.exists(path):
            return False
        template = self._run_file_template()
        # Written beside it under a name Dagster's ``*.db`` globs do not see, then linked into place:
        # a file another process created meanwhile is kept (and checked by ``_initdb`` as before).
        partial = os.path.join(self._base_dir, f".{shard}.{os.getpid()}.{threading.get_ident()}.partial")
        try:
            with open(partial, "wb") as f:
                f.write(template)
            try:
                os.link(partial, path)
            except OSError:  # the file appeared meanwhile, or no hard links here: _initdb as before
                return False
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return True

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                # A new run's file is a copy of one initialised file (the schema, two alembic script
                # scans and a stamp per run were 0.2-0.4 s a run); an existing one is checked as before.
                if not self._new_run_file(shard):
                    self._initdb(engine)
                # A new file is switched to WAL by _initdb, after the pool's first connection was
                # made (and left fsyncing): reconnect so the WAL setting applies.
                engine.dispose()
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def watch(self, run_id: str, cursor: str | None, callback: Any) -> None:
        from watchdog.observers import Observer

        if not self._obs:
            self._obs = Observer()  # type: ignore[assignment]  # Dagster types it as None
            self._obs.start()  # type: ignore[attr-defined]
        observer: Any = self._obs
        watchdog = _WalWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, observer.schedule(watchdog, self._base_dir, recursive=True))

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


class _WalWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watch on a run's file, also firing when the run's ``-wal`` file changes."""

    def __init__(self, storage: SqliteEventLogStorage, run_id: str, callback: Any, cursor: str | None) -> None:
        super().__init__(storage, run_id, callback, cursor)
        self._paths = {self._log_path, self._log_path + "-wal"}
        # PatternMatchingEventHandler: match the WAL file too.
        self._patterns = sorted(self._paths)

    def on_modified(self, event: Any) -> None:
        if event.src_path in self._paths:
            self._process_log()


class FsuSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, schedules, event log in ``base_dir``) with :class:`FsuSqliteEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = FsuSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)  # type: ignore[arg-type]  # what DagsterSqliteStorage does

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> FsuSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @property
    def event_storage_data(self) -> ConfigurableClassData | None:
        return ConfigurableClassData(
            __name__,
            FsuSqliteEventLogStorage.__name__,
            json.dumps({"base_dir": _event_logs_directory(self.base_dir)}),
        )


class FsuInstance(DagsterInstance):
    """A ``DagsterInstance`` whose default storage uses :class:`FsuSqliteEventLogStorage` (same files)."""

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        # Config is YAML; JSON is YAML.
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, FsuSqliteStorage.__name__, json.dumps({"base_dir": base_dir})
        )
        defaults["event_log_storage"] = ConfigurableClassData(
            __name__, FsuSqliteEventLogStorage.__name__, json.dumps({"base_dir": _event_logs_directory(base_dir)})
        )
        return defaults
