"""Snapshot connections kept open between requests: a cursor per request on a cached read-only attach.

Opening a snapshot costs a new in-memory DuckDB database and an ``ATTACH`` (tens of milliseconds, more
than the main page's queries); a cursor on a database that already has the file attached costs well
under a millisecond. So :func:`cursor` keeps one attached database per snapshot file and gives each
request its own cursor (a DuckDB connection of its own on the same database: one per thread, as
DuckDB asks), which the request closes.

The cache is keyed by the file's identity as well as its path: device, inode, size, modification and
status-change times. ``fsu publish`` replaces a snapshot with ``os.replace`` (a new inode), and a
damaged or re-permissioned file changes its size or times, so the next request attaches the file anew
and sees exactly what a fresh ``connect`` would (a damaged file still raises, and gives the 503 page).
A replaced entry is dropped, not closed: requests still holding a cursor on it finish on the old,
complete snapshot, and DuckDB frees it when the last cursor closes. At most :data:`MAX_OPEN` files
are kept (least recently used first out).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

from fsu_dagster.warehouse import WAREHOUSE_ALIAS, connect

__all__ = ["MAX_OPEN", "clear", "cursor"]

#: Snapshot files kept attached at once (months being looked at); older ones are let go.
MAX_OPEN = 6

_lock = threading.Lock()
_open: OrderedDict[str, tuple[tuple[int, ...], duckdb.DuckDBPyConnection]] = OrderedDict()


def _identity(path: Path) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def cursor(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A new cursor on ``path`` opened read-only (``OSError`` / ``duckdb.Error`` as ``connect`` raises them)."""
    key = str(Path(path).resolve())
    identity = _identity(Path(key))
    with _lock:
        entry = _open.get(key)
        if entry is None or entry[0] != identity:
            _open.pop(key, None)  # dropped, not closed: cursors in use keep the old database alive
            entry = (identity, connect(key, read_only=True))
            _open[key] = entry
            while len(_open) > MAX_OPEN:
                _open.popitem(last=False)
        _open.move_to_end(key)
        cur = entry[1].cursor()
    try:
        cur.execute(f"USE {WAREHOUSE_ALIAS}")
    except Exception:
        cur.close()
        raise
    return cur


def clear() -> None:
    """Let every cached snapshot go (their files can then be removed or replaced freely)."""
    with _lock:
        _open.clear()
