"""fsu_dagster.warehouse: replacing (extract, month) slices of side tables, atomically."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from fsu_dagster.warehouse import one_thread, read_frame, replace_rows, replace_rows_atomically, table_exists

MAR, APR = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
SCHEMA = {"extract": pl.String, "month": pl.Date, "n": pl.Int64}


def _rows(*rows) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as c:
        yield c


def _all(conn) -> list[tuple]:
    return read_frame(conn, "select * from fsu.t order by extract, month, n").rows()


def test_replace_is_idempotent_and_leaves_other_slices(conn):
    """Re-running a month replaces only that (extract, month): nothing duplicated, nothing else lost."""
    replace_rows(conn, "fsu.t", _rows(("a", MAR, 1), ("a", MAR, 2)), {"extract": "a", "month": MAR})
    replace_rows(conn, "fsu.t", _rows(("a", APR, 3)), {"extract": "a", "month": APR})
    replace_rows(conn, "fsu.t", _rows(("b", MAR, 4)), {"extract": "b", "month": MAR})
    replace_rows(conn, "fsu.t", _rows(("a", MAR, 5)), {"extract": "a", "month": MAR})
    replace_rows(conn, "fsu.t", _rows(("a", MAR, 5)), {"extract": "a", "month": MAR})
    assert _all(conn) == [("a", MAR, 5), ("a", APR, 3), ("b", MAR, 4)]


def test_replace_with_no_rows_empties_the_slice_and_list_matches(conn):
    """An emptied month must not keep yesterday's rows; a partition range matches several months."""
    replace_rows(conn, "fsu.t", _rows(("a", MAR, 1), ("a", APR, 2), ("b", APR, 3)), {"extract": ["a", "b"]})
    replace_rows(conn, "fsu.t", _rows(), {"extract": "a", "month": [MAR, APR]})
    assert _all(conn) == [("b", APR, 3)]


def test_atomic_replacement_rolls_back_on_failure(conn):
    """If the second table's write fails, the first table keeps its old rows (all or nothing)."""
    replace_rows(conn, "fsu.t", _rows(("a", MAR, 1)), {"extract": "a", "month": MAR})
    bad = pl.DataFrame({"extract": ["a"], "month": [MAR], "n": ["not a number"]})
    replace_rows(conn, "fsu.u", _rows(("a", MAR, 1)), {"extract": "a"})
    with pytest.raises(duckdb.Error):
        replace_rows_atomically(
            conn,
            [("fsu.t", _rows(("a", MAR, 9)), {"extract": "a", "month": MAR}), ("fsu.u", bad, {"extract": "a"})],
        )
    assert _all(conn) == [("a", MAR, 1)]
    assert table_exists(conn, "fsu.u") and not table_exists(conn, "fsu.nope")


def test_identifiers_are_checked(conn):
    with pytest.raises(ValueError, match="not a plain"):
        replace_rows(conn, "fsu.t; drop table x", _rows(), {"extract": "a"})


def _threads(conn) -> int:
    return int(conn.execute("select current_setting('threads')").fetchone()[0])


def test_one_thread_holds_for_the_block_and_restores_the_setting(conn):
    conn.execute("set threads = 3")
    with one_thread(conn):
        assert _threads(conn) == 1
        assert _threads(conn.cursor()) == 1, "a setting of the instance: every cursor sees it"
    assert _threads(conn) == 3
    with pytest.raises(RuntimeError, match="boom"), one_thread(conn):
        raise RuntimeError("boom")
    assert _threads(conn) == 3, "restored after an error too"


def test_replace_rows_appends_on_one_thread_and_restores_it(conn, monkeypatch):
    conn.execute("set threads = 2")
    seen: list[int] = []
    original = one_thread.__wrapped__  # the generator behind the context manager

    def spy(c):
        gen = original(c)
        value = next(gen)
        seen.append(_threads(c))
        yield value
        yield from gen

    import contextlib

    import fsu_dagster.warehouse as wh

    monkeypatch.setattr(wh, "one_thread", contextlib.contextmanager(spy))
    rows = _rows(*[("calls", MAR, i) for i in range(5_000)])
    wh.replace_rows(conn, "fsu.t", rows, {"extract": "calls", "month": MAR})
    assert seen == [1], "the insert ran inside one_thread"
    assert _threads(conn) == 2
    assert read_frame(conn, "select count(*) as n from fsu.t").item() == 5_000
