"""The warehouse IO manager: a write replaces its month in one transaction; a run loads a slice once
and does not read back a month it wrote."""

# No `from __future__ import annotations`: Dagster reads the assets' annotations.
import datetime as dt

import dagster as dg
import duckdb
import polars as pl
import pytest

from fsu_dagster import warehouse as wh
from fsu_dagster.defs.io_manager import PolarsTypeHandler, WarehouseIOManager, _round_trips

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2026-01-01")
JAN, FEB = "2026-01-01", "2026-02-01"
STATE: dict[str, object] = {}


def _rows(month: str, n: int, value: object = 1) -> pl.DataFrame:
    return pl.DataFrame({"month": [dt.date.fromisoformat(month)] * n, "value": [value] * n})


@dg.asset(partitions_def=MONTHS, metadata={"partition_expr": "month"})
def upstream(context: dg.AssetExecutionContext) -> pl.DataFrame:
    return STATE["frame"]  # type: ignore[return-value]


@dg.asset(partitions_def=MONTHS, metadata={"partition_expr": "month"})
def first_reader(upstream: pl.DataFrame) -> pl.DataFrame:
    return upstream.with_columns(pl.col("value") * 2)


@dg.asset(partitions_def=MONTHS, metadata={"partition_expr": "month"})
def second_reader(upstream: pl.DataFrame) -> pl.DataFrame:
    return upstream.with_columns(pl.col("value") * 3)


def _io(db, **kwargs) -> WarehouseIOManager:
    return WarehouseIOManager(database=str(db), schema="fsu", **kwargs)


def _count(db, table: str, month: str) -> int:
    with wh.connect(str(db), read_only=True) as conn:
        return conn.execute(
            f"select count(*) from fsu.{table} where month = ?", [dt.date.fromisoformat(month)]
        ).fetchone()[0]


def test_a_failed_write_keeps_the_month_it_was_replacing(tmp_path):
    db = tmp_path / "wh.duckdb"
    STATE["frame"] = _rows(JAN, 3)
    assert dg.materialize([upstream], partition_key=JAN, resources={"io_manager": _io(db)}).success
    # A frame whose column cannot go into the table's INTEGER column: the insert fails after the delete.
    STATE["frame"] = _rows(JAN, 5, value="not a number")
    result = dg.materialize([upstream], partition_key=JAN, resources={"io_manager": _io(db)}, raise_on_error=False)
    assert not result.success
    assert _count(db, "upstream", JAN) == 3


def _count_loads(monkeypatch) -> list[str]:
    loads: list[str] = []
    original = PolarsTypeHandler.load_input

    def counting(self, context, table_slice, connection):
        loads.append(table_slice.table)
        return original(self, context, table_slice, connection)

    monkeypatch.setattr(PolarsTypeHandler, "load_input", counting)
    return loads


def test_a_month_written_in_the_run_is_not_read_back_and_a_stored_month_is_loaded_once(tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    STATE["frame"] = _rows(FEB, 4)
    loads = _count_loads(monkeypatch)
    result = dg.materialize(
        [upstream, first_reader, second_reader], partition_key=FEB, resources={"io_manager": _io(db)}
    )
    assert result.success
    assert loads.count("upstream") == 0, "both readers get the frame upstream wrote in this run"
    assert _count(db, "first_reader", FEB) == 4 and _count(db, "second_reader", FEB) == 4

    # A month stored by an earlier run: both readers share one load.
    loads.clear()
    assert dg.materialize(
        [upstream, first_reader, second_reader],
        partition_key=FEB,
        resources={"io_manager": _io(db)},
        selection=[first_reader, second_reader],
    ).success
    assert loads.count("upstream") == 1

    # Without room in the cache every reader loads for itself.
    loads.clear()
    assert dg.materialize(
        [upstream, first_reader, second_reader], partition_key=FEB, resources={"io_manager": _io(db, load_cache_mb=0)}
    ).success
    assert loads.count("upstream") == 2


def test_a_kept_output_is_what_a_load_would_return(tmp_path, monkeypatch):
    """Every column type the cache keeps written frames of comes back from DuckDB unchanged."""
    db = tmp_path / "wh.duckdb"
    month = dt.date.fromisoformat(FEB)
    frame = pl.DataFrame(
        {
            "month": [month] * 3,
            "s": ["a", None, "c"],
            "i64": [1, None, -3],
            "i32": pl.Series([1, 2, None], dtype=pl.Int32),
            "u32": pl.Series([1, 2, 3], dtype=pl.UInt32),
            "f": [0.1, None, 1e300],
            "b": [True, None, False],
            "d": [month, None, dt.date(1900, 1, 1)],
            "ts": [dt.datetime(2026, 2, 1, 12, 0, 0, 123456), None, dt.datetime(1970, 1, 1)],
        }
    )
    assert _round_trips(frame)
    STATE["frame"] = frame
    assert dg.materialize([upstream], partition_key=FEB, resources={"io_manager": _io(db)}).success
    with wh.connect(str(db), read_only=True) as conn:
        loaded = conn.execute("select * from fsu.upstream where month = ?", [month]).pl()
    assert loaded.schema == frame.schema
    assert loaded.equals(frame)


def test_an_output_whose_types_change_in_duckdb_is_read_back(tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    STATE["frame"] = _rows(FEB, 4).with_columns(pl.col("value").cast(pl.Int8))
    assert not _round_trips(STATE["frame"])
    loads = _count_loads(monkeypatch)
    assert dg.materialize([upstream, first_reader], partition_key=FEB, resources={"io_manager": _io(db)}).success
    assert loads.count("upstream") == 1


def _wide(month: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"month": [dt.date.fromisoformat(month)] * 3, "a": [1, 2, 3], "b": ["x", "y", None], "c": [0.5, None, 2.0]}
    )


@dg.asset(
    partitions_def=MONTHS,
    metadata={"partition_expr": "month"},
    ins={"upstream": dg.AssetIn(metadata={"columns": ["c", "a"]})},
)
def narrow_reader(upstream: pl.DataFrame) -> pl.DataFrame:
    STATE["narrow_seen"] = upstream
    return upstream.with_columns(pl.lit(dt.date.fromisoformat(FEB)).alias("month"))


def test_a_hop_loads_only_the_columns_it_names_from_the_file_or_from_a_kept_frame(tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    STATE["frame"] = _wide(FEB)
    loads = _count_loads(monkeypatch)
    # Written in the same run: the kept frame serves the projection, nothing is read back.
    assert dg.materialize([upstream, narrow_reader], partition_key=FEB, resources={"io_manager": _io(db)}).success
    assert loads.count("upstream") == 0
    kept = STATE["narrow_seen"]
    assert kept.columns == ["c", "a"] and kept.equals(_wide(FEB).select("c", "a"))

    # Stored by an earlier run: the SELECT lists the columns; the same frame as from the kept one.
    assert dg.materialize(
        [upstream, narrow_reader], partition_key=FEB, resources={"io_manager": _io(db)}, selection=[narrow_reader]
    ).success
    assert loads.count("upstream") == 1
    loaded = STATE["narrow_seen"]
    assert loaded.schema == kept.schema and loaded.equals(kept)


@pytest.mark.parametrize("compress", [True, False])
def test_string_compression_follows_the_setting(tmp_path, compress):
    path = str(tmp_path / "wh.duckdb")
    with wh.connect(path, compress_strings=compress) as conn:
        conn.execute("create table t as select 'value ' || (i % 10) as s, i from range(200000) r(i)")
    with duckdb.connect(path, read_only=True) as conn:
        used = {
            r[0].lower()
            for r in conn.execute("select compression from pragma_storage_info('t') where column_name = 's'").fetchall()
        }
    strings_compressed = bool(used & set(wh.STRING_COMPRESSIONS.split(",")))
    assert strings_compressed is compress, used


def _numbered(month: str) -> pl.DataFrame:
    d = dt.date.fromisoformat(month)
    return pl.DataFrame({"month": [d] * 6, "a": [5, 1, 4, 2, 6, 3], "b": ["e", "a", "d", "b", "f", "c"]})


@dg.asset(partitions_def=MONTHS, metadata={"partition_expr": "month"})
def chosen(context: dg.AssetExecutionContext) -> pl.DataFrame:
    month = dt.date.fromisoformat(context.partition_key)
    return pl.DataFrame({"month": [month] * 3, "a": STATE["chosen"]})


@dg.asset(
    partitions_def=MONTHS,
    metadata={"partition_expr": "month"},
    ins={
        "upstream": dg.AssetIn(
            metadata={"columns": ["b", "a"], "rows": "a in (select a from fsu.chosen where month = {month})"}
        ),
        "chosen": dg.AssetIn(),
    },
)
def rows_reader(upstream: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    STATE["rows_seen"] = upstream
    return chosen


def test_a_hop_loads_only_the_rows_it_names_in_the_order_of_a_whole_load(tmp_path):
    db = tmp_path / "wh.duckdb"
    # January's month of `chosen` names other rows: the condition's {month} is the run's month.
    STATE["frame"], STATE["chosen"] = _numbered(JAN), [1, 2, 3]
    assert dg.materialize([upstream, chosen], partition_key=JAN, resources={"io_manager": _io(db)}).success
    STATE["frame"], STATE["chosen"] = _numbered(FEB), [6, 4, 5]
    # `upstream` is written (and kept whole) in the same run: the filtered load still reads only its rows.
    assert dg.materialize([upstream, chosen, rows_reader], partition_key=FEB, resources={"io_manager": _io(db)}).success
    expected = _numbered(FEB).filter(pl.col("a").is_in([4, 5, 6])).select("b", "a")
    assert STATE["rows_seen"].equals(expected)  # rows 5, 4, 6: the table's order, not the condition's
    # Stored by the earlier run and read again: the same frame.
    assert dg.materialize(
        [upstream, chosen, rows_reader], partition_key=FEB, resources={"io_manager": _io(db)}, selection=[rows_reader]
    ).success
    assert STATE["rows_seen"].equals(expected)


def test_a_write_appends_on_one_thread_and_leaves_the_setting_as_it_was(tmp_path, monkeypatch):
    """PolarsTypeHandler.handle_output inserts inside ``wh.one_thread`` (first write and later ones)."""
    import contextlib

    db = tmp_path / "wh.duckdb"
    inside: list[tuple[int, int]] = []  # (threads inside the block, rows in the table after it)
    real = wh.one_thread

    @contextlib.contextmanager
    def spy(conn):
        with real(conn):
            threads = int(conn.execute("select current_setting('threads')").fetchone()[0])
            yield conn
            inside.append((threads, conn.execute("select count(*) from fsu.upstream").fetchone()[0]))

    monkeypatch.setattr(wh, "one_thread", spy)
    STATE["frame"] = _rows(JAN, 3)
    io = _io(db)
    assert dg.materialize([upstream], partition_key=JAN, resources={"io_manager": io}).success
    STATE["frame"] = _rows(FEB, 4)
    assert dg.materialize([upstream], partition_key=FEB, resources={"io_manager": io}).success
    assert inside == [(1, 3), (1, 7)], "each write's rows went in on one thread"
    assert _count(db, "upstream", JAN) == 3 and _count(db, "upstream", FEB) == 4
