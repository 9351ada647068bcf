"""The malloc arena cap (fsu_dagster.memory): set on glibc, left alone when asked to."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

from fsu_dagster.memory import limit_malloc_arenas

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

# Threads allocating at the same time, then glibc's own report of its arenas (<heap nr=...>).
_ARENAS = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, tempfile, threading
    from fsu_dagster.memory import limit_malloc_arenas
    print(limit_malloc_arenas(int(sys.argv[1])))
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    start = threading.Barrier(8)
    def work():
        start.wait()
        for _ in range(2000):
            libc.free(libc.malloc(4096))
    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        stream = libc.fopen(f.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        print(open(f.name).read().count("<heap nr="))
    """
)


def _arenas(cap: int, env: dict[str, str] | None = None) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", _ARENAS, str(cap)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout.split()
    return out[0], int(out[1])


@glibc
def test_the_cap_holds_threads_to_that_many_arenas():
    applied, heaps = _arenas(1)
    assert applied == "True" and heaps == 1


@glibc
def test_malloc_arena_max_in_the_environment_stands():
    env = {k: v for k, v in os.environ.items()}
    applied, heaps = _arenas(1, {**env, "MALLOC_ARENA_MAX": "3"})
    assert applied == "False" and 1 <= heaps <= 3


def test_zero_leaves_the_default(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(0) is False
