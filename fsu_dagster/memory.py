"""The process's C allocator: how many glibc malloc arenas a run's threads may use.

glibc gives threads that allocate at the same time arenas of their own, up to eight per core,
and an arena keeps the pages freed in it. A run allocates from the source assets' parse threads
and DuckDB's threads; with the default, a force's exact run peaked 60-100 MB higher than with
two arenas and used no less CPU (docs/performance.md, session 9). polars' own allocations use
its bundled jemalloc and are not affected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["limit_malloc_arenas"]

#: glibc's mallopt parameter for the arena limit (malloc.h).
_M_ARENA_MAX = -8

_applied: int | None = None


def limit_malloc_arenas(n: int) -> bool:
    """Cap glibc's malloc arenas at ``n`` for this process (0: leave glibc's default).

    Does nothing where the C library is not glibc, or where ``MALLOC_ARENA_MAX`` is set (glibc
    reads it at start-up and that choice stands). Arenas already made are kept; the cap limits
    new ones, so call it before a run starts its threads. Returns whether the cap was set.
    """
    global _applied
    if n <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    if _applied == n:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to cap
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if mallopt(_M_ARENA_MAX, int(n)) != 1:
        return False
    _applied = n
    return True
