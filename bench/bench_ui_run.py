"""Benchmark: a month materialised through Dagster as the UI launches it, against ``fsu run``.

    python bench/bench_ui_run.py [--scale tiny] [--month 2026-10] [--seed 7] [--data DIR] [--repeat 1]

Each a subprocess under ``/usr/bin/time -v``, each into its own fresh warehouse:

1. ``fsu run --month M --link-mode exact`` without ``DAGSTER_HOME`` (an in-memory Dagster instance):
   its wall time and the seconds of its rolling steps (everything after the sources);
2. the same with ``DAGSTER_HOME`` set (a persistent SQLite instance, as ``make demo-run`` runs it);
3. the month through ``dagster.execute_job`` on the code location's implicit asset job
   (``fsu_dagster.definitions:defs`` loaded as a reconstructable repository, as ``dagster dev``
   loads it) with the code location's default executor, in a persistent instance made from the
   project's ``dagster.yaml``: one run of the sources over the window's twelve partitions (a
   single-run backfill), then one run of the rolling hops of partition M (a backfill of the month).

Prints the three and the ratios; writes ``bench/results/ui-run-<scale>.json``. Issue 10's target
at tiny scale: the Dagster run <= 1.5x ``fsu run`` and <= 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import FSU, PYTHON, ROOT, ensure_synth, fsu_run_steps, layer_seconds, median, run_timed  # noqa: E402


def child(month: str) -> None:
    """Run in a subprocess: materialise the window of ``month`` as the UI would, in two runs of the
    code location's implicit asset job: the sources over the window's twelve partitions (one
    partition-range run, as a single-run backfill launches it), then the rolling hops of ``month``."""
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from fsu_dagster.defs.partitions import month_of
    from fsu_dagster.window import window_months

    started = time.perf_counter()
    repo = ReconstructableRepository.for_module("fsu_dagster.definitions", "defs", working_directory=str(ROOT))
    from fsu_dagster.definitions import defs

    job_name = defs.get_implicit_global_asset_job_def().name
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable]
    sources = [k for k in keys if k.path[0] == "sources"]
    rolling = [k for k in keys if k.path[0] != "sources"]
    m = month_of(month)
    months = window_months(m)
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    recon_job = repo.get_reconstructable_job(job_name)
    out = {"executor": defs.executor.name if defs.executor else "default (multiprocess)", "assets": len(keys)}
    with dg.DagsterInstance.get() as instance:
        for label, selection, tags in (
            (
                "sources",
                sources,
                {
                    "dagster/asset_partition_range_start": months[0].isoformat(),
                    "dagster/asset_partition_range_end": months[-1].isoformat(),
                },
            ),
            ("rolling", rolling, {"dagster/partition": m.isoformat()}),
        ):
            t0 = time.perf_counter()
            result = dg.execute_job(recon_job, instance, asset_selection=selection, tags=tags, run_config=quiet)
            out[f"{label}_seconds"] = round(time.perf_counter() - t0, 2)
            out[f"{label}_steps"] = len({e.step_key for e in result.all_events if e.step_key})
            if not result.success:
                out["success"] = False
                out["failed"] = label
                print(json.dumps(out))
                return
    out["success"] = True
    out["seconds_in_process"] = round(time.perf_counter() - started, 2)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "force", "met"])
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="existing synthetic data folder (with landing/)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.month)
        return

    data = ensure_synth(args.scale, args.seed, args.month, args.data)
    runs = []
    for i in range(args.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="fsu_bench_ui_"))
        try:
            env = {"FSU_DATA_DIR": str(data), "FSU_WAREHOUSE": str(tmp / "fsu.duckdb"), "FSU_LINK_MODE": "exact"}
            os.environ.pop("DAGSTER_HOME", None)
            print(f"[{i + 1}/{args.repeat}] fsu run --month {args.month} --link-mode exact ...", flush=True)
            fsu = run_timed([FSU, "run", "--month", args.month, "--link-mode", "exact"], env=env)
            if fsu.returncode:
                raise SystemExit(f"fsu run failed:\n{fsu.stderr[-2000:]}")
            steps = fsu_run_steps(fsu.stdout)
            layers = layer_seconds(steps)
            rolling_seconds = round(layers["identity+stage1"] + layers["profiles"], 2)
            # The UI's instance: a persistent DAGSTER_HOME with the project's dagster.yaml.
            home = tmp / "dagster_home"
            home.mkdir()
            shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
            # fsu run recording its runs in a persistent instance too (as `make demo-run` does): the same
            # per-event SQLite writes as the UI's run, so the difference left is the run's shape.
            home_fsu = tmp / "dagster_home_fsu"
            home_fsu.mkdir()
            shutil.copy(ROOT / "dagster.yaml", home_fsu / "dagster.yaml")
            print(f"[{i + 1}/{args.repeat}] fsu run with DAGSTER_HOME set (persistent instance) ...", flush=True)
            fsu_home = run_timed(
                [FSU, "run", "--month", args.month, "--link-mode", "exact"],
                env=dict(env, DAGSTER_HOME=str(home_fsu), FSU_WAREHOUSE=str(tmp / "fh" / "fsu.duckdb")),
            )
            if fsu_home.returncode:
                raise SystemExit(f"fsu run (DAGSTER_HOME) failed:\n{fsu_home.stderr[-2000:]}")
            fsu_home_layers = layer_seconds(fsu_run_steps(fsu_home.stdout))
            ui_env = dict(env, DAGSTER_HOME=str(home), FSU_WAREHOUSE=str(tmp / "ui" / "fsu.duckdb"))
            print(
                f"[{i + 1}/{args.repeat}] execute_job: sources, then the rolling hops of {args.month} ...", flush=True
            )
            ui = run_timed([PYTHON, str(Path(__file__).resolve()), "--child", "--month", args.month], env=ui_env)
            if ui.returncode:
                raise SystemExit(f"execute_job run failed:\n{ui.stderr[-3000:]}")
            info = json.loads(ui.stdout.strip().splitlines()[-1])
            if not info["success"]:
                raise SystemExit(f"the Dagster run did not succeed: {info}")
            runs.append(
                {
                    "fsu_run_seconds": round(fsu.wall, 2),
                    "fsu_run_rolling_seconds": rolling_seconds,
                    "fsu_run_peak_rss_mb": round(fsu.peak_rss_mb),
                    "fsu_run_dagster_home_seconds": round(fsu_home.wall, 2),
                    "fsu_run_dagster_home_rolling_seconds": round(
                        fsu_home_layers["identity+stage1"] + fsu_home_layers["profiles"], 2
                    ),
                    "ui_run_seconds": round(ui.wall, 2),
                    "ui_run_peak_rss_mb": round(ui.peak_rss_mb),
                    **info,
                }
            )
            print(
                f"    fsu run {fsu.wall:.1f} s (rolling steps {rolling_seconds:.1f} s); execute_job {ui.wall:.1f} s "
                f"(sources {info['sources_seconds']:.1f} s, rolling {info['rolling_seconds']:.1f} s in "
                f"{info['rolling_steps']} steps), executor {info['executor']}",
                flush=True,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    fsu_s = median([r["fsu_run_seconds"] for r in runs])
    fsu_rolling = median([r["fsu_run_rolling_seconds"] for r in runs])
    fh_s = median([r["fsu_run_dagster_home_seconds"] for r in runs])
    fh_rolling = median([r["fsu_run_dagster_home_rolling_seconds"] for r in runs])
    ui_s = median([r["ui_run_seconds"] for r in runs])
    ui_rolling = median([r["rolling_seconds"] for r in runs])
    result = {
        "scale": args.scale,
        "month": args.month,
        "data": str(data),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "executor": runs[-1]["executor"],
        "fsu_run_seconds": fsu_s,
        "fsu_run_rolling_seconds": fsu_rolling,
        "fsu_run_dagster_home_seconds": fh_s,
        "fsu_run_dagster_home_rolling_seconds": fh_rolling,
        "ui_run_seconds": ui_s,
        "ui_run_rolling_seconds": ui_rolling,
        "ratio_ui_to_fsu_run": round(ui_s / fsu_s, 2),
        "ratio_ui_rolling_to_fsu_run_rolling": round(ui_rolling / fsu_rolling, 2) if fsu_rolling else None,
        "runs": runs,
    }
    print()
    result["ratio_ui_to_fsu_run_dagster_home"] = round(ui_s / fh_s, 2)
    print(
        f"| {args.scale}, month {args.month} (median of {args.repeat}) | `fsu run` | `fsu run`, DAGSTER_HOME set "
        f"| `execute_job` ({result['executor']}) | ratio to `fsu run` | ratio to `fsu run` with DAGSTER_HOME |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| whole month (12 source months + rolling hops), process wall | {fsu_s:.1f} s | {fh_s:.1f} s | {ui_s:.1f} s "
        f"| {result['ratio_ui_to_fsu_run']:.2f}x | {result['ratio_ui_to_fsu_run_dagster_home']:.2f}x |"
    )
    print(
        f"| rolling hops of the month | {fsu_rolling:.1f} s | {fh_rolling:.1f} s | {ui_rolling:.1f} s "
        f"| {result['ratio_ui_rolling_to_fsu_run_rolling']}x | "
        f"{round(ui_rolling / fh_rolling, 2) if fh_rolling else None}x |"
    )
    print("target: the Dagster run <= 1.5x fsu run and <= 15 s")
    out = ROOT / "bench" / "results" / f"ui-run-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
