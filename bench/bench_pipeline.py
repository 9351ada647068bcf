"""Benchmark: the whole pipeline for one window month, per step, at a given scale.

    python bench/bench_pipeline.py --scale force [--link-mode exact|fuzzy] [--data DIR]

Generates the synthetic landing data (unless --data names an existing folder), runs
``fsu run`` in-process into a fresh warehouse, and prints the seconds per step plus the
layer totals: sources, Stage 1 (identity + stage1), profiles. Writes the figures to
bench/results/pipeline-<scale>-<mode>.json. Issue 5 asks that all profile summaries take less
time than Stage 1 itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="force", choices=["tiny", "small", "force"])
    parser.add_argument("--link-mode", default="exact", choices=["exact", "fuzzy"])
    parser.add_argument("--data", type=Path, help="existing synthetic data folder (with landing/)")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    from fsu_dagster.synth import generate

    tmp = Path(tempfile.mkdtemp(prefix="fsu_bench_"))
    data = args.data or tmp / "data"
    synth_seconds = None
    if not (data / "landing").exists():
        started = time.perf_counter()
        y, m = map(int, args.month.split("-"))
        start = f"{y - 1 if m < 12 else y}-{(m % 12) + 1:02d}"
        print(f"Generating {args.scale} data {start}..{args.month} into {data} ...", flush=True)
        generate(out=data, start=start, end=args.month, scale=args.scale, seed=args.seed, fmt="csv", progress=False)
        synth_seconds = round(time.perf_counter() - started, 1)

    os.environ["FSU_DATA_DIR"] = str(data)
    os.environ["FSU_WAREHOUSE"] = str(tmp / "warehouse" / "fsu.duckdb")
    os.environ["FSU_LINK_MODE"] = args.link_mode
    os.environ.pop("DAGSTER_HOME", None)

    from fsu_dagster.runner import cohort_summary, run_month

    started = time.perf_counter()
    reports = run_month(args.month, echo=lambda line: print(line, flush=True))
    total = time.perf_counter() - started

    def layer_seconds(*layers: str) -> float:
        return round(sum(r.seconds for r in reports if r.asset.split("/")[0] in layers), 1)

    result = {
        "scale": args.scale,
        "link_mode": args.link_mode,
        "month": args.month,
        "synth_seconds": synth_seconds,
        "pipeline_seconds": round(total, 1),
        "sources_seconds": layer_seconds("sources"),
        "stage1_seconds": layer_seconds("identity", "stage1"),
        "profiles_seconds": layer_seconds("profiles"),
        "steps": [{"step": r.asset, "seconds": round(r.seconds, 2), "rows": r.rows} for r in reports],
        "cohort": cohort_summary(os.environ["FSU_WAREHOUSE"], args.month),
        "cpus": os.cpu_count(),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))
    out = ROOT / "bench" / "results" / f"pipeline-{args.scale}-{args.link_mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
