"""Benchmark: ``fsu run`` in both link modes against a one-scan SQL baseline, at a given scale.

    python bench/bench_pipeline.py --scale force [--repeat 3] [--modes exact,fuzzy] [--data DIR] [--seed 7]

In one invocation:

1. the synthetic data, cached in ``data/bench/<scale>-seed<seed>`` (remade only when missing or the
   generator's source changed), or ``--data DIR`` (an existing synth output, used read-only);
2. ``benchmarks/sql_baseline.sql`` (the contract's exact Stage 1 in one DuckDB script, straight from
   the same landing CSVs; ``bench/sql_baseline.py``) in a subprocess under ``/usr/bin/time -v``;
3. ``fsu run --month M --link-mode exact|fuzzy`` into a fresh warehouse, each a subprocess under
   ``/usr/bin/time -v`` (wall time, peak RSS); per-step seconds come from ``fsu run``'s own lines.

Each is run ``--repeat`` times and the table shows medians: wall, peak RSS, seconds per layer
(sources / identity + stage1 / profiles) and the ratios product / baseline. The exact-mode cohort
must equal the baseline's: the bench checks it on every run and says so (a mismatch exits 1).
Writes everything to ``bench/results/bench-<scale>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FSU, PYTHON, ROOT, ensure_synth, fsu_run_steps, layer_seconds, median, run_timed  # noqa: E402


def product_cohort(warehouse: Path, month: str) -> tuple[list[str], int]:
    sys.path.insert(0, str(ROOT))
    from fsu_dagster import warehouse as wh

    m = dt.date.fromisoformat(month + "-01")
    with wh.connect(str(warehouse), read_only=True) as con:
        ids = [
            r[0]
            for r in con.execute("select person_id from fsu.cohort where month = ? order by person_id", [m]).fetchall()
        ]
        universe = con.execute("select count(*) from fsu.person_totals where month = ?", [m]).fetchone()[0]
    return ids, universe


def run_baseline(data: Path, month: str, tmp: Path) -> dict:
    out = tmp / "baseline.json"
    timed = run_timed(
        [
            PYTHON,
            str(ROOT / "bench" / "sql_baseline.py"),
            "--landing",
            str(data / "landing"),
            "--month",
            month,
            "--out",
            str(out),
        ]
    )
    if timed.returncode:
        raise SystemExit(f"SQL baseline failed:\n{timed.stderr[-3000:]}")
    result = json.loads(out.read_text())
    return {
        "wall": round(timed.wall, 2),
        "peak_rss_mb": round(timed.peak_rss_mb),
        "universe": result["universe"],
        "cohort": result["cohort"],
        "query_seconds": result["seconds"],
    }


def run_product(data: Path, month: str, mode: str, tmp: Path) -> dict:
    warehouse = tmp / f"wh-{mode}" / "fsu.duckdb"
    env = {"FSU_DATA_DIR": str(data), "FSU_WAREHOUSE": str(warehouse), "FSU_LINK_MODE": mode}
    os.environ.pop("DAGSTER_HOME", None)
    timed = run_timed([FSU, "run", "--month", month, "--link-mode", mode], env=env, echo=True)
    if timed.returncode:
        raise SystemExit(f"fsu run --link-mode {mode} failed:\n{timed.stderr[-3000:]}")
    steps = fsu_run_steps(timed.stdout)
    cohort, universe = product_cohort(warehouse, month)
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    return {
        "wall": round(timed.wall, 2),
        "peak_rss_mb": round(timed.peak_rss_mb),
        "layers": layer_seconds(steps),
        "steps": [{"step": s, "seconds": sec} for s, sec in steps],
        "universe": universe,
        "cohort": cohort,
    }


def summarise(runs: list[dict]) -> dict:
    out = {"wall": median([r["wall"] for r in runs]), "peak_rss_mb": median([r["peak_rss_mb"] for r in runs])}
    if "layers" in runs[0]:
        for layer in runs[0]["layers"]:
            out[layer] = median([r["layers"][layer] for r in runs])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="force", choices=["tiny", "small", "force", "met"])
    parser.add_argument("--data", type=Path, help="existing synthetic data folder (with landing/), used read-only")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="exact,fuzzy", help="comma-separated link modes to run (exact,fuzzy)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"exact", "fuzzy"}:
        parser.error("--modes takes exact and/or fuzzy")

    data = ensure_synth(args.scale, args.seed, args.month, args.data)
    runs: dict[str, list[dict]] = {"baseline": [], **{m: [] for m in modes}}
    checks: list[str] = []
    mismatch = False
    for i in range(1, args.repeat + 1):
        tmp = Path(tempfile.mkdtemp(prefix="fsu_bench_"))
        try:
            print(f"[run {i}/{args.repeat}] SQL baseline ...", flush=True)
            base = run_baseline(data, args.month, tmp)
            runs["baseline"].append(base)
            print(
                f"    {base['wall']:.1f} s, {base['peak_rss_mb']:,} MB: {len(base['cohort'])} in the cohort "
                f"out of {base['universe']:,}",
                flush=True,
            )
            for mode in modes:
                print(f"[run {i}/{args.repeat}] fsu run --month {args.month} --link-mode {mode} ...", flush=True)
                got = run_product(data, args.month, mode, tmp)
                runs[mode].append(got)
                same = got["cohort"] == base["cohort"]
                if mode == "exact":
                    if same and got["universe"] == base["universe"]:
                        checks.append(
                            f"run {i}: exact-mode cohort = SQL baseline's cohort "
                            f"({len(got['cohort'])} of {got['universe']:,} people)"
                        )
                    else:
                        mismatch = True
                        only_p = len(set(got["cohort"]) - set(base["cohort"]))
                        only_b = len(set(base["cohort"]) - set(got["cohort"]))
                        checks.append(
                            f"run {i}: exact-mode cohort DIFFERS from the SQL baseline: {only_p} only in "
                            f"the product, {only_b} only in the baseline; universe {got['universe']:,} "
                            f"vs {base['universe']:,}"
                        )
                else:
                    overlap = len(set(got["cohort"]) & set(base["cohort"]))
                    checks.append(
                        f"run {i}: fuzzy-mode cohort {len(got['cohort'])} of {got['universe']:,} people, "
                        f"{overlap} also in the exact SQL cohort (fuzzy links more; not expected equal)"
                    )
                print(f"    {got['wall']:.1f} s, {got['peak_rss_mb']:,} MB, layers {got['layers']}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    summary = {name: summarise(rs) for name, rs in runs.items()}
    base_wall = summary["baseline"]["wall"]
    for mode in modes:
        s = summary[mode]
        s["ratio_whole"] = round(s["wall"] / base_wall, 2)
        s["ratio_sources_identity_stage1"] = round((s["sources"] + s["identity+stage1"]) / base_wall, 2)

    print()
    print(
        f"{args.scale} scale, window ending {args.month}, data {data}, median of {args.repeat} run(s), "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print(
        "| run | wall | peak RSS | sources | identity + stage1 | profiles | whole / baseline | "
        "sources + identity + stage1 / baseline |"
    )
    print("|---|---|---|---|---|---|---|---|")
    b = summary["baseline"]
    print(
        f"| SQL baseline (`benchmarks/sql_baseline.sql`) | {b['wall']:.1f} s | {b['peak_rss_mb'] / 1024:.2f} GB "
        f"| - | - | - | 1.0x | - |"
    )
    for mode in modes:
        s = summary[mode]
        print(
            f"| `fsu run --link-mode {mode}` | {s['wall']:.1f} s | {s['peak_rss_mb'] / 1024:.2f} GB "
            f"| {s['sources']:.1f} s | {s['identity+stage1']:.1f} s | {s['profiles']:.1f} s "
            f"| {s['ratio_whole']:.1f}x | {s['ratio_sources_identity_stage1']:.1f}x |"
        )
    print()
    for line in checks:
        print(line)

    result = {
        "scale": args.scale,
        "month": args.month,
        "seed": args.seed,
        "data": str(data),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "summary": summary,
        "checks": checks,
        "cohort_matches": not mismatch,
        "runs": {
            name: [{k: v for k, v in r.items() if k != "cohort"} | {"cohort_size": len(r["cohort"])} for r in rs]
            for name, rs in runs.items()
        },
    }
    out = ROOT / "bench" / "results" / f"bench-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    if mismatch:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
