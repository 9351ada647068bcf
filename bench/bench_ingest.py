"""Ingest micro-benchmark: ``ingest.parse_extract`` on every extract of one landing month.

Usage::

    .venv/bin/python bench/bench_ingest.py --data /work/data/force-seed7 --month 2026-10
    .venv/bin/python bench/bench_ingest.py --data DIR --month 2026-10 --repeat 5
    .venv/bin/python bench/bench_ingest.py --data DIR --month 2026-10 --impl /tmp/old_ingest.py
    /usr/bin/time -v .venv/bin/python bench/bench_ingest.py --data DIR --month 2026-10 --repeat 1

``--data`` is an ``fsu synth`` output (or any data directory) holding ``landing/YYYY-MM/``;
``--impl`` names another Python file defining ``parse_extract`` (to time an older version
against the same files). Prints a markdown table: per extract, the rows read, the median
wall seconds of ``--repeat`` runs (and their min and max), the median process CPU seconds
(all threads), then the sum over the extracts. Peak memory: run the script under
``/usr/bin/time -v`` ("Maximum resident set size"). The figures go in ``docs/ingest.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fsu_dagster.contract import EXTRACTS  # noqa: E402
from fsu_dagster.ingest import find_landing_file  # noqa: E402


def _load_impl(path: str | None):
    if path is None:
        from fsu_dagster import ingest

        return ingest.parse_extract
    spec = importlib.util.spec_from_file_location("bench_ingest_impl", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module.parse_extract


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="directory holding landing/YYYY-MM/")
    ap.add_argument("--month", required=True, help="YYYY-MM")
    ap.add_argument("--repeat", type=int, default=3, help="runs per extract (median reported)")
    ap.add_argument("--impl", default=None, help="a Python file defining parse_extract (default: fsu_dagster.ingest)")
    args = ap.parse_args(argv)

    month = dt.datetime.strptime(args.month, "%Y-%m").date()
    landing = args.data / "landing" if (args.data / "landing").is_dir() else args.data
    parse_extract = _load_impl(args.impl)

    print(f"parse_extract on {landing}/{args.month}, median of {args.repeat}\n")
    print("| extract | rows | wall s (median) | min–max | CPU s (median) |")
    print("|---|---:|---:|---:|---:|")
    total_wall = total_cpu = 0.0
    total_rows = 0
    for name, extract in EXTRACTS.items():
        path = find_landing_file(landing, name, month)
        if path is None:
            print(f"| {name} | – | (no file) | | |")
            continue
        walls, cpus, rows = [], [], 0
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            result = parse_extract(path, extract, month)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            rows = result.stats["rows_read"]
            del result
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        total_wall, total_cpu, total_rows = total_wall + wall, total_cpu + cpu, total_rows + rows
        print(f"| {name} | {rows:,} | {wall:.3f} | {min(walls):.3f}–{max(walls):.3f} | {cpu:.3f} |")
    print(f"| **sum** | {total_rows:,} | **{total_wall:.3f}** | | {total_cpu:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
