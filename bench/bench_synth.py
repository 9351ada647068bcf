"""Benchmark: force-scale synthetic data for twelve months (2025-11..2026-10) as CSV.

    .venv/bin/python bench/bench_synth.py [--keep DIR] [--scale force] [--format csv]

Prints the elapsed wall-clock time and the rows written per extract. The target is
under three minutes on a two-core machine. Wall-clock time depends on what else
runs on the machine; note the load when you quote a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from fsu_dagster.synth import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="force")
    ap.add_argument("--format", default="csv", choices=["csv", "parquet"])
    ap.add_argument("--start", default="2025-11")
    ap.add_argument("--end", default="2026-10")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", type=Path, default=None, help="write here and keep the output")
    args = ap.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="fsu_bench_synth_"))
    try:
        load = os.getloadavg()
        t0 = time.perf_counter()
        text = generate(
            out=out, start=args.start, end=args.end, scale=args.scale, seed=args.seed, fmt=args.format, progress=False
        )
        elapsed = time.perf_counter() - t0
        summary = json.loads((out / "truth" / "summary.json").read_text())
        size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
        print(f"scale={args.scale} format={args.format} months={args.start}..{args.end} seed={args.seed}")
        print(f"elapsed {elapsed:.1f} s (load average before start: {load[0]:.2f}, {os.cpu_count()} CPUs)")
        print(f"landing size {size / 1e6:.0f} MB")
        for name, rows in summary["rows"].items():
            print(f"  {name:24s} {rows:>12,}")
        print(f"  {'truth cw_mentions':24s} {summary['cw_mentions']:>12,}")
        print(text)
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
