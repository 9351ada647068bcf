"""Probe: how fast DuckDB takes one source extract's twelve months, by Arrow layout (not used by the product).

    python bench/probe_source_writes.py --data /work/data/force-seed7 --extract cw_incidents \
        --modes default,large,slicelarge,sliceview,rechunk,noorder [--month 2026-10]

Parses the extract's twelve landing months with ``parse_extract`` (the frame the sources asset
hands to the IO manager), then inserts it into a fresh warehouse file (strings uncompressed, a
256 MB DuckDB memory cap, one transaction: as a run writes) once per mode:

* ``default``: ``frame.to_arrow()`` (string views), as ``DuckDBPolarsTypeHandler`` does;
* ``large``: ``to_arrow(compat_level=oldest)`` (``large_string``);
* ``slicelarge`` / ``sliceview``: ~64 MB row slices, each its own Arrow table and ``INSERT``;
* ``rechunk``: the frame rechunked first (the concatenated months are 12 chunks);
* ``noorder``: ``SET preserve_insertion_order = false`` around the insert.

Prints insert + commit wall and CPU seconds and the process's peak RSS. For a memory figure per mode
run one mode per invocation (peak RSS is the process's maximum so far).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import polars as pl  # noqa: E402
from common import window_months  # noqa: E402

from fsu_dagster import warehouse as wh  # noqa: E402
from fsu_dagster.contract import EXTRACTS  # noqa: E402
from fsu_dagster.ingest import find_landing_file, output_schema, parse_extract  # noqa: E402

MODES = ("default", "large", "slicelarge", "sliceview", "rechunk", "noorder")
SLICE_BYTES = 64_000_000


def insert(conn, frame: pl.DataFrame, mode: str) -> None:
    if mode in ("slicelarge", "sliceview"):
        rows = max(1, int(SLICE_BYTES * frame.height / max(1, frame.estimated_size())))
        for offset in range(0, frame.height, rows):
            part = frame.slice(offset, rows)
            arrow = part.to_arrow(compat_level=pl.CompatLevel.oldest()) if mode == "slicelarge" else part.to_arrow()
            conn.execute("insert into fsu.t select * from arrow")
            del arrow
        return
    if mode == "noorder":
        conn.execute("set preserve_insertion_order = false")
    source = frame.rechunk() if mode == "rechunk" else frame
    arrow = source.to_arrow(compat_level=pl.CompatLevel.oldest()) if mode == "large" else source.to_arrow()  # noqa: F841
    conn.execute("insert into fsu.t select * from arrow")
    if mode == "noorder":
        conn.execute("set preserve_insertion_order = true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="synth output folder (with landing/), read-only")
    parser.add_argument("--extract", default="cw_incidents", choices=sorted(EXTRACTS))
    parser.add_argument("--month", default="2026-10", help="window month: its twelve landing months are parsed")
    parser.add_argument("--modes", default="default,large", help=f"comma-separated, of {', '.join(MODES)}")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        parser.error(f"--modes takes {', '.join(MODES)}")

    months = [dt.date.fromisoformat(m + "-01") for m in window_months(args.month)]
    extract = EXTRACTS[args.extract]
    landing = args.data / "landing"
    frame = pl.concat([parse_extract(find_landing_file(landing, extract.name, m), extract, m).valid for m in months])
    print(f"{extract.name}: {frame.height:,} rows, {frame.estimated_size() / 1e6:.0f} MB, {len(months)} months")
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="fsu_probe_writes_") as tmp:
            conn = wh.connect(str(Path(tmp) / "w.duckdb"), compress_strings=False, memory_mb=256)
            conn.execute("create schema fsu")
            empty = pl.DataFrame(schema=output_schema(extract))  # noqa: F841
            conn.execute("create table fsu.t as select * from empty")
            started, cpu = time.perf_counter(), os.times()
            conn.begin()
            insert(conn, frame, mode)
            conn.commit()
            now, cpu_now = time.perf_counter(), os.times()
            conn.close()
        spent = cpu_now.user - cpu.user + cpu_now.system - cpu.system
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
        print(
            f"  {mode:10s} insert + commit {now - started:5.2f} s, CPU {spent:5.2f} s, peak RSS so far {peak:,.0f} MB"
        )


if __name__ == "__main__":
    main()
