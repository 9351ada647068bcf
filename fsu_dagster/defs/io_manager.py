"""The warehouse IO manager: polars frames <-> DuckDB tables, one month (partition) at a time.

It is Dagster's DuckDB-polars IO manager with two changes:

* **A write is one transaction.** Dagster's version deletes the partition's rows and then
  inserts the new ones as two commits, so a run killed between them loses the month. Here the
  delete and the insert commit together: a failed or killed write leaves the previous rows.
* **A run loads each table slice once.** Several hops read the same twelve-month window of a
  source extract (``cw_incidents`` feeds ``cw_logs``, the ControlWorks profiles and the monthly
  trend). The first load of a slice (a ``SELECT`` statement) is kept for the rest of the run
  and later loads of the same statement get the same frame; writing a table drops what was
  kept of it. At most ``load_cache_mb`` of frames are kept (least recently used go first).
  The cache belongs to one run's IO manager, so nothing survives the run and a
  write by another process can never be served stale within a later run.
* **A rolling hop's output is kept for the hops after it.** A frame a rolling hop (a
  single-month partition) wrote is kept in the same cache under the statement a later hop's load
  of that month runs, so ``cw_logs``, the links, the totals and the metrics are not read back
  from the file they were just written to. Only frames whose column types come back from DuckDB
  unchanged are kept (``_ROUND_TRIP_TYPES``); the source extracts' multi-month writes are not kept
  (the run that writes them reads nothing).
* **A hop may load a few columns only** (``columns`` in the input's metadata: ``source_in`` and
  ``hop_in`` in ``fsu_dagster/defs/window.py``): the ``SELECT`` lists them, and a slice that is
  kept whole serves the projection without reading the file.
* **A hop may load some rows only** (``rows`` in the input's metadata: a SQL condition, with
  ``{month}`` standing for the run's window month as a ``DATE``): the ``SELECT`` adds it to the
  partition's ``WHERE`` and orders by ``rowid``, so the rows come in the order a whole load gives
  them. The ControlWorks profiles load the logs, resources and calls of the cohort's logs only
  (a few percent of the window). Such a load is never served from a frame kept whole.
* **Loads go straight to polars** (``DuckDBPyRelation.pl()``), not through a pyarrow record
  batch reader.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import dagster as dg
import duckdb
import polars as pl
from dagster import InputContext, OutputContext
from dagster._core.definitions.metadata.metadata_set import TableMetadataSet
from dagster._core.errors import DagsterInvalidMetadata
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster._utils.backoff import backoff
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_polars import DuckDBPolarsIOManager, DuckDBPolarsTypeHandler
from pydantic import Field

from fsu_dagster import warehouse as wh
from fsu_dagster.defs.metadata import column_schema
from fsu_dagster.defs.partitions import month_of

#: Retry opening the warehouse while another connection holds its write lock.
RETRY: dict[str, Any] = {"retry_on": (RuntimeError, duckdb.IOException), "max_retries": 30}


class WarehouseClient(DuckDbClient):
    """DuckDB client connecting through :func:`fsu_dagster.warehouse.connect` (fixed catalog alias)."""

    @staticmethod
    @contextmanager
    def connect(context: Any, _: Any) -> Iterator[duckdb.DuckDBPyConnection]:
        config = context.resource_config
        kwargs = {"path": config["database"], "compress_strings": config.get("compress_strings", True)}
        conn = backoff(fn=wh.connect, kwargs=kwargs, **RETRY)
        try:
            yield conn
        finally:
            conn.close()


class PolarsTypeHandler(DuckDBPolarsTypeHandler):
    """Dagster's polars handler, loading with ``.pl()`` (DuckDB builds the frame; no record batch reader)
    and writing the frame's own Arrow buffers.

    Dagster's handler hands DuckDB ``frame.to_arrow()``, which copies every text column into the oldest
    Arrow string layout; polars' own layout (string views, ``CompatLevel.newest()``) is handed over
    without a copy, and DuckDB stores the same ``VARCHAR`` values.
    """

    def handle_output(self, context: OutputContext, table_slice: TableSlice, obj: pl.DataFrame, connection: Any):
        if obj.is_empty():
            context.log.warning("Skipping DuckDB write for empty DataFrame. An empty table will not be created.")
        else:
            table = f"{table_slice.schema}.{table_slice.table}"
            obj_arrow = obj.to_arrow(compat_level=pl.CompatLevel.newest())  # noqa: F841 - named in the SQL
            connection.execute(f"create schema if not exists {table_slice.schema};")
            with wh.one_thread(connection):  # an append: half the CPU, the same wall (wh.one_thread)
                connection.execute(f"create table if not exists {table} as select * from obj_arrow;")
                if not connection.fetchall():  # the table was there already: insert
                    connection.execute(f"insert into {table} select * from obj_arrow")
        context.add_output_metadata({"row_count": obj.shape[0], "dataframe_columns": column_schema(obj.schema)})

    def load_input(self, context: InputContext, table_slice: TableSlice, connection: Any) -> pl.DataFrame:
        if table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return pl.DataFrame()
        return connection.execute(DuckDbClient.get_select_statement(table_slice)).pl()


#: Column types that a DuckDB round trip gives back as they were (a kept output must equal a load).
_ROUND_TRIP_TYPES = (
    pl.String,
    pl.Int64,
    pl.Int32,
    pl.UInt32,
    pl.Float64,
    pl.Boolean,
    pl.Date,
)


def _round_trips(frame: pl.DataFrame) -> bool:
    return all(
        isinstance(t, _ROUND_TRIP_TYPES) or (isinstance(t, pl.Datetime) and t.time_zone is None and t.time_unit == "us")
        for t in frame.schema.dtypes()
    )


def _one_month(table_slice: TableSlice) -> bool:
    """Whether the slice is a single monthly partition (a rolling hop's, not a range of source months)."""
    dims = table_slice.partition_dimensions or []
    if len(dims) != 1:
        return False
    window = dims[0].partitions
    if not isinstance(window, dg.TimeWindow):
        return False
    start, end = window.start, window.end
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1


class _RunIOManager(DbIOManager):
    """One run's IO manager: transactional writes and a per-run cache of loaded slices."""

    def __init__(self, *, cache_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache_bytes = cache_bytes
        #: (table, select statement) -> frame, least recently used first.
        self._loaded: OrderedDict[tuple[str, str], pl.DataFrame] = OrderedDict()

    def handle_output(self, context: OutputContext, obj: object) -> None:
        if obj is None:
            super().handle_output(context, obj)  # raises Dagster's own error for a None output
            return
        self._check_supported_type(type(obj))
        table_slice = self._get_table_slice(context, context)
        with self._db_client.connect(context, table_slice) as conn:
            with wh.transaction(conn):
                self._db_client.ensure_schema_exists(context, table_slice, conn)
                self._db_client.delete_table_slice(context, table_slice, conn)
                handler_metadata = self._resolve_handler(type(obj)).handle_output(context, table_slice, obj, conn)
        self._forget(table_slice)
        if isinstance(obj, pl.DataFrame) and _one_month(table_slice) and _round_trips(obj):
            self._keep(
                (f"{table_slice.schema}.{table_slice.table}", self._db_client.get_select_statement(table_slice)), obj
            )
        context.add_output_metadata(
            {**(handler_metadata or {}), "Query": self._db_client.get_select_statement(table_slice)}
        )
        try:
            context.add_output_metadata(dict(TableMetadataSet(table_name=self._db_client.get_table_name(table_slice))))
        except DagsterInvalidMetadata:  # the asset attached its own relation identifier
            pass

    def load_input(self, context: InputContext) -> object:
        table_slice = self._get_table_slice(context, cast("OutputContext", context.upstream_output))
        table = f"{table_slice.schema}.{table_slice.table}"
        rows = (context.definition_metadata or {}).get("rows")
        if rows is not None:
            return self._load_rows(context, table_slice, str(rows))
        key = (table, self._db_client.get_select_statement(table_slice))
        kept = self._kept(key)
        if kept is not None:
            return kept
        if table_slice.columns:
            # A projection of a slice kept whole: its columns, in the order asked (no copy).
            whole = self._kept((table, self._db_client.get_select_statement(table_slice._replace(columns=None))))
            if whole is not None:
                return whole.select(table_slice.columns)
        frame = super().load_input(context)
        if isinstance(frame, pl.DataFrame):
            self._keep(key, frame)
        return frame

    def _load_rows(self, context: InputContext, table_slice: TableSlice, rows: str) -> pl.DataFrame:
        """The slice's rows that satisfy ``rows`` (``{month}``: the run's window month), in table order."""
        if not table_slice.partition_dimensions:
            raise ValueError(f"input {context.name}: 'rows' needs a partitioned table")
        if len(context.asset_partition_keys) == 0:
            return pl.DataFrame()
        month = month_of(context.partition_key)
        condition = rows.replace("{month}", f"DATE '{month.isoformat()}'")
        statement = f"{self._db_client.get_select_statement(table_slice)} AND ({condition}) ORDER BY rowid"
        key = (f"{table_slice.schema}.{table_slice.table}", statement)
        kept = self._kept(key)
        if kept is not None:
            return kept
        with self._db_client.connect(context, table_slice) as conn:
            frame = conn.execute(statement).pl()
        self._keep(key, frame)
        return frame

    def _kept(self, key: tuple[str, str]) -> pl.DataFrame | None:
        """The frame kept for ``key`` (now the most recently used), or None."""
        frame = self._loaded.get(key)
        if frame is not None:
            self._loaded.move_to_end(key)
        return frame

    def _forget(self, table_slice: TableSlice) -> None:
        table = f"{table_slice.schema}.{table_slice.table}"
        for key in [k for k in self._loaded if k[0] == table]:
            del self._loaded[key]

    def _keep(self, key: tuple[str, str], frame: pl.DataFrame) -> None:
        if frame.estimated_size() > self._cache_bytes:
            return
        self._loaded[key] = frame
        while sum(f.estimated_size() for f in self._loaded.values()) > self._cache_bytes:
            self._loaded.popitem(last=False)


class WarehouseIOManager(DuckDBPolarsIOManager):
    """Stores polars frames in the warehouse; a partitioned asset's rerun replaces its month."""

    compress_strings: bool = Field(True, description="Compress text columns (settings.warehouse_compress_strings).")
    memory_mb: int | None = Field(None, description="DuckDB memory cap for a run, MB (settings.warehouse_memory_mb).")
    load_cache_mb: int = Field(128, ge=0, description="Frames a run keeps for reuse, in MB (settings.load_cache_mb).")

    @contextmanager
    def yield_for_execution(self, context: Any) -> Iterator[DbIOManager]:
        # One warehouse connection for the whole run (see fsu_dagster.warehouse.session).
        with wh.session(self.database, compress_strings=self.compress_strings, memory_mb=self.memory_mb):
            yield self.create_io_manager(context)

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [PolarsTypeHandler()]

    def create_io_manager(self, context: Any) -> DbIOManager:
        return _RunIOManager(
            cache_bytes=self.load_cache_mb * 1_000_000,
            db_client=WarehouseClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="WarehouseIOManager",
        )
