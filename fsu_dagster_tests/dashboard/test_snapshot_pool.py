"""The snapshot pool: one cached read-only attach per file, a cursor per request, a replaced file re-read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from fsu_dagster.dashboard import snapshot_pool


@pytest.fixture(autouse=True)
def _empty_pool():
    snapshot_pool.clear()
    yield
    snapshot_pool.clear()


def _snapshot(path: Path, value: int) -> Path:
    conn = duckdb.connect(str(path))
    conn.execute(f"CREATE SCHEMA fsu; CREATE TABLE fsu.t AS SELECT {value} AS v")
    conn.close()
    return path


def _value(cur) -> int:
    return cur.execute("SELECT v FROM fsu.t").fetchone()[0]


def test_cursors_on_an_unchanged_file_share_one_attach(tmp_path):
    path = _snapshot(tmp_path / "fsu-2026-10.duckdb", 1)
    first = snapshot_pool.cursor(path)
    first.execute("CREATE TABLE memory.main.marker AS SELECT 42 AS m")  # in the attach's own in-memory catalog
    second = snapshot_pool.cursor(path)
    assert second.execute("SELECT m FROM memory.main.marker").fetchone() == (42,)
    assert _value(second) == 1
    with pytest.raises(duckdb.Error):  # read-only, as connect(read_only=True)
        second.execute("CREATE TABLE fsu.x AS SELECT 1")
    first.close()
    second.close()


def test_a_replaced_file_is_attached_anew_and_open_cursors_finish_on_the_old_one(tmp_path):
    path = _snapshot(tmp_path / "fsu-2026-10.duckdb", 1)
    old = snapshot_pool.cursor(path)
    assert _value(old) == 1
    os.replace(_snapshot(tmp_path / "next.duckdb", 2), path)  # as fsu publish replaces a month
    new = snapshot_pool.cursor(path)
    assert _value(new) == 2
    assert _value(old) == 1, "a request under way keeps its complete (old) snapshot"
    old.close()
    new.close()


def test_a_damaged_replacement_raises_as_connect_does(tmp_path):
    path = _snapshot(tmp_path / "fsu-2026-10.duckdb", 1)
    snapshot_pool.cursor(path).close()
    damaged = tmp_path / "damaged"
    damaged.write_bytes(b"\x00not a database\xff" * 4096)
    os.replace(damaged, path)
    with pytest.raises(duckdb.Error):
        snapshot_pool.cursor(path)
    path.unlink()
    with pytest.raises(OSError):
        snapshot_pool.cursor(path)


def test_at_most_max_open_files_are_kept(tmp_path):
    paths = [_snapshot(tmp_path / f"fsu-{i}.duckdb", i) for i in range(snapshot_pool.MAX_OPEN + 2)]
    for p in paths:
        snapshot_pool.cursor(p).close()
    kept = list(snapshot_pool._open)
    assert len(kept) == snapshot_pool.MAX_OPEN
    assert kept == [str(p.resolve()) for p in paths[-snapshot_pool.MAX_OPEN :]], "least recently used go first"
    for i, p in enumerate(paths):  # evicted ones are simply attached again
        cur = snapshot_pool.cursor(p)
        assert _value(cur) == i
        cur.close()
