"""Small DuckDB helpers shared by the layers (no Dagster import).

Tables the DuckDB-polars IO manager does not own — ``fsu.quarantine``,
``fsu.landing_manifest`` and the like — are written here by *replacing slices*: in one
transaction, delete the rows matching a key (for example ``extract = 'avaya_calls' AND
month = DATE '2026-03-01'``) and insert the new rows. Re-running a month therefore
replaces that month: nothing is duplicated or lost.

Each helper takes an open ``duckdb.DuckDBPyConnection`` (``DuckDBResource.get_connection()``
in an asset, ``duckdb.connect(path)`` in a test or script).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl

from fsu_dagster.filemodes import private_umask, restrict

#: The alias under which every connection attaches the warehouse file. DuckDB names a file's
#: catalog after the file (``fsu.duckdb`` -> catalog ``fsu``), which would make ``fsu.<table>``
#: ambiguous between that catalog and the ``fsu`` schema; attaching under a fixed alias makes
#: any file name work.
WAREHOUSE_ALIAS = "warehouse"


#: DuckDB's string compressions. Choosing them costs about half of a large write's time (a
#: force's 800,000 ControlWorks logs: 4.6 s CPU with them, 2.3 s without; the file ~3x larger).
STRING_COMPRESSIONS = "fsst,dictionary,dict_fsst"


def connect(
    path: str,
    *,
    read_only: bool = False,
    config: Mapping[str, Any] | None = None,
    compress_strings: bool = True,
    memory_mb: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file at ``path`` (created if missing unless read-only) as catalog ``warehouse``.

    Inside :func:`session` for the same file, this is a new cursor on the session's connection
    (read-only or not): a process may attach a DuckDB file only once.

    ``compress_strings=False`` writes text columns uncompressed (faster writes, larger file;
    setting ``warehouse_compress_strings``). Numbers, dates and timestamps are compressed either way.
    """
    shared = _SESSIONS.get(_session_key(path))
    if shared is not None:
        cursor = shared[0].cursor()
        cursor.execute(f"USE {WAREHOUSE_ALIAS}")
        return cursor
    conn = duckdb.connect(":memory:", config=dict(config or {}))
    try:
        escaped = str(path).replace("'", "''")
        if read_only:
            conn.execute(f"ATTACH '{escaped}' AS {WAREHOUSE_ALIAS} (READ_ONLY)")
        else:  # the warehouse holds names and addresses: mode 0600 (FSU_FILE_MODE), made so from the start
            with private_umask():
                conn.execute(f"ATTACH '{escaped}' AS {WAREHOUSE_ALIAS}")
            restrict(path)
        conn.execute(f"USE {WAREHOUSE_ALIAS}")
        if not read_only and not compress_strings:
            conn.execute(f"SET disabled_compression_methods = '{STRING_COMPRESSIONS}'")
        if memory_mb is not None:
            conn.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    except Exception:
        conn.close()
        raise
    return conn


#: Open sessions: warehouse file -> [its connection, number of holders].
_SESSIONS: dict[str, list[Any]] = {}


def _session_key(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


@contextmanager
def session(path: str, *, compress_strings: bool = True, memory_mb: int | None = None) -> Iterator[None]:
    """Keep one connection to the warehouse open while the block runs (nested holders share it).

    A run opens a connection per table it reads or writes; attaching the file costs about as
    much as a small step, and closing the last connection checkpoints the file. Within a session
    :func:`connect` hands out cursors on one connection instead, and the file is checkpointed
    once, when the last holder leaves. The run's resources hold the session (one writer process).
    ``memory_mb`` caps DuckDB's memory for the session (its buffer pool would otherwise keep
    what the run wrote, up to most of the machine's memory).
    """
    key = _session_key(path)
    # The WAL DuckDB writes during the session holds rows too: created owner-only (FSU_FILE_MODE).
    with private_umask():
        if key not in _SESSIONS:
            _SESSIONS[key] = [connect(path, compress_strings=compress_strings, memory_mb=memory_mb), 0]
        _SESSIONS[key][1] += 1
        try:
            yield
        finally:
            _SESSIONS[key][1] -= 1
            if _SESSIONS[key][1] == 0:
                _SESSIONS.pop(key)[0].close()


__all__ = [
    "Replacement",
    "ensure_table",
    "one_thread",
    "read_frame",
    "replace_rows",
    "replace_rows_atomically",
    "table_exists",
    "transaction",
    "utc_now",
]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")

#: (table, rows, match): delete ``match``'s rows from ``table``, then insert ``rows``.
Replacement = tuple[str, pl.DataFrame, Mapping[str, Any]]


def utc_now() -> dt.datetime:
    """Now as a naive UTC datetime (the pipeline's timestamp convention), to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain [schema.]table or column name: {name!r}")
    return name


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any exception."""
    conn.begin()
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


@contextmanager
def one_thread(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block with DuckDB on one thread (``threads = 1``), then restore the setting.

    For appending a polars frame to a table: DuckDB's parallel, order-preserving insert of an
    Arrow scan spends about twice the CPU for the same wall time on this project's frames (each
    thread compresses row groups that are then merged in order), and on a busy machine the second
    thread only takes time from the other work. ``threads`` is a setting of the DuckDB instance,
    so it holds for every cursor of the connection while the block runs (a run's steps write one at
    a time; nothing else queries the session's connection meanwhile).
    """
    (threads,) = conn.execute("select current_setting('threads')").fetchone() or (None,)
    conn.execute("set threads = 1")
    try:
        yield conn
    finally:
        conn.execute(f"set threads = {int(threads)}")


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, _, name = _check_ident(table).rpartition(".")
    rows = conn.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema or "main", name],
    ).fetchall()
    return bool(rows)


def ensure_table(conn: duckdb.DuckDBPyConnection, table: str, schema: Mapping[str, pl.DataType] | pl.DataFrame) -> None:
    """Create ``table`` (and its schema) with the columns of a polars schema, if it does not exist."""
    _check_ident(table)
    empty = pl.DataFrame(schema=schema.schema if isinstance(schema, pl.DataFrame) else dict(schema))
    if "." in table:
        conn.execute(f"create schema if not exists {table.split('.')[0]}")
    empty_arrow = empty.to_arrow()  # noqa: F841 - referenced by name in the SQL below
    conn.execute(f"create table if not exists {table} as select * from empty_arrow")


def _where(match: Mapping[str, Any]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for col, value in match.items():
        _check_ident(col)
        if isinstance(value, (list, tuple, set, frozenset)):
            values = list(value)
            if not values:
                clauses.append("false")
                continue
            clauses.append(f"{col} in ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif value is None:
            clauses.append(f"{col} is null")
        else:
            clauses.append(f"{col} = ?")
            params.append(value)
    return (" and ".join(clauses) or "true"), params


def replace_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, match: Mapping[str, Any]) -> int:
    """Delete ``match``'s rows from ``table`` and insert ``rows`` (creating the table if needed).

    Runs inside the caller's transaction, if any: use :func:`replace_rows_atomically` to
    replace several slices at once. Columns are inserted by name. Returns rows inserted.
    """
    ensure_table(conn, table, rows)
    where, params = _where(match)
    conn.execute(f"delete from {table} where {where}", params)
    if rows.height:
        rows_arrow = rows.to_arrow()  # noqa: F841 - referenced by name in the SQL below
        with one_thread(conn):
            conn.execute(f"insert into {table} by name select * from rows_arrow")
    return rows.height


def replace_rows_atomically(conn: duckdb.DuckDBPyConnection, replacements: Sequence[Replacement]) -> None:
    """Apply every (table, rows, match) replacement in one transaction: all or nothing."""
    with transaction(conn):
        for table, rows, match in replacements:
            replace_rows(conn, table, rows, match)


def read_frame(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
    """Run a query and return a polars frame."""
    return conn.execute(sql, list(params or [])).pl()
