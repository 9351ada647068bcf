"""Probe: ``link_controlworks`` alone on one window's inputs (the fastest loop for the fuzzy linker).

    python bench/probe_cw_linker.py dump --warehouse WH --month 2026-10 --out DIR
    python bench/probe_cw_linker.py run --inputs DIR --out links.parquet [--mode fuzzy] [--chunk N] [--block-pairs N]
    python bench/probe_cw_linker.py compare A.parquet B.parquet [--tol 1e-9]

``dump`` writes the three inputs of the ``cw_person_links`` hop (the window's ``cw_logs``, the
month's ``identity_index`` and twelve landing months of ``connect_person_roles``, latest versions)
from a warehouse an ``fsu run`` filled, to parquet. ``run`` links them and prints the wall time,
the CPU time (every thread's), the process's peak RSS (``ru_maxrss``) and, as each phase of the
fuzzy linker ends, its sampled peak RSS, wall and CPU seconds.
``compare`` counts the differences between two link frames (same rows; scores within ``--tol``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import resource
import sys
import threading
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


class _Sampler(threading.Thread):
    """Samples RSS every 20 ms; ``mark(label)`` starts a new phase."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.label = "start"
        self.peaks: dict[str, float] = {}
        self.stop = False
        self._last = (time.perf_counter(), time.process_time())

    def mark(self, label: str) -> None:
        # Each finished phase's peak is printed as it ends, so a run stopped by a watchdog still
        # shows where its memory went; with its wall and CPU seconds (the process's, every
        # thread's), since a loaded machine stretches the wall but not the CPU.
        now, cpu = time.perf_counter(), time.process_time()
        last_now, last_cpu = self._last
        self._last = (now, cpu)
        print(
            f"  [{time.strftime('%H:%M:%S')}] {self.label:30s} {self.peaks.get(self.label, 0.0):8.0f} MB"
            f" {now - last_now:7.1f} s {cpu - last_cpu:7.1f} s CPU",
            file=sys.stderr,
            flush=True,
        )
        self.label = label

    def run(self) -> None:
        while not self.stop:
            r = _rss_mb()
            self.peaks[self.label] = max(self.peaks.get(self.label, 0.0), r)
            time.sleep(0.02)


def dump(warehouse: str, month: str, out: Path) -> None:
    from fsu_dagster import warehouse as wh
    from fsu_dagster.window import latest_versions, window_months

    m = dt.date.fromisoformat(month + "-01")
    months = window_months(m, 12)
    out.mkdir(parents=True, exist_ok=True)
    with wh.connect(warehouse, read_only=True) as con:
        logs = wh.read_frame(con, "select * from fsu.cw_logs where month = ?", [m])
        index = wh.read_frame(con, "select * from fsu.identity_index where month = ?", [m])
        roles = wh.read_frame(
            con, "select * from fsu.connect_person_roles where month between ? and ?", [months[0], months[-1]]
        )
    roles = latest_versions({"connect_person_roles": roles})[0]["connect_person_roles"]
    for name, frame in (("cw_logs", logs), ("identity_index", index), ("connect_person_roles", roles)):
        frame.write_parquet(out / f"{name}.parquet")
        print(f"{name}: {frame.height:,} rows")


def run(inputs: Path, out: Path, mode: str, chunk: int | None, block_pairs: int | None = None) -> None:
    from fsu_dagster import identity
    from fsu_dagster.identity import controlworks, decision, estimation, linker, scoring
    from fsu_dagster.identity.config import LINK_CONFIG

    logs = pl.read_parquet(inputs / "cw_logs.parquet")
    index = pl.read_parquet(inputs / "identity_index.parquet")
    roles = pl.read_parquet(inputs / "connect_person_roles.parquet")
    config = LINK_CONFIG if chunk is None else dataclasses.replace(LINK_CONFIG, query_chunk=chunk)
    if block_pairs is not None:
        config = dataclasses.replace(config, scoring_block_pairs=block_pairs)
    sampler = _Sampler()

    def wrap(module: object, name: str) -> None:
        fn = getattr(module, name)

        def inner(*a: object, **k: object) -> object:
            before = sampler.label
            sampler.mark(name)
            try:
                return fn(*a, **k)
            finally:
                sampler.mark(f"{before}+")

        setattr(module, name, inner)

    for mod, names in (
        (
            linker,
            ("IdentityPairs", "PairScores", "candidate_pairs", "estimate_u", "estimate_m", "posterior", "em_share"),
        ),
        (linker, ("sure_share", "frequency_units", "posterior_by_units")),
        (controlworks, ("decide", "propagate_by_phone", "log_context_links", "cluster_unlinked", "fuzzy_candidates")),
    ):
        for n in names:
            if hasattr(mod, n):
                wrap(mod, n)
    del estimation, scoring, decision
    sampler.mark("inputs")
    sampler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    links = identity.link_controlworks(logs, index, mode=mode, person_roles=roles, config=config)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    sampler.stop = True
    links.write_parquet(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"links {links.height:,}  wall {wall:.1f} s  CPU {cpu:.1f} s  peak RSS {peak:.0f} MB")
    for label, mb in sampler.peaks.items():
        print(f"  {label:30s} {mb:8.0f} MB")


def compare(a: Path, b: Path, tol: float) -> int:
    x, y = pl.read_parquet(a), pl.read_parquet(b)
    key = ["incident_id", "role"]
    j = x.join(y, on=key, how="full", suffix="_b", coalesce=True, nulls_equal=True)
    only_a = j.filter(pl.col("person_id_b").is_null() & pl.col("person_id").is_not_null()).height
    only_b = j.filter(pl.col("person_id").is_null() & pl.col("person_id_b").is_not_null()).height
    both = j.filter(pl.col("person_id").is_not_null() & pl.col("person_id_b").is_not_null())
    other_person = both.filter(pl.col("person_id") != pl.col("person_id_b")).height
    other_reason = both.filter(pl.col("reason") != pl.col("reason_b")).height
    diff = (both["score"] - both["score_b"]).abs()
    max_diff = float(diff.max() or 0.0)  # type: ignore[arg-type]
    print(
        f"rows {x.height:,} vs {y.height:,}; only in A {only_a}, only in B {only_b}, other person {other_person}, "
        f"other reason {other_reason}; max |score difference| {max_diff:.3g}; scores beyond {tol}: "
        f"{int((diff > tol).sum())}; byte-identical frames: {x.equals(y)}"
    )
    return 0 if only_a == only_b == other_person == other_reason == 0 and max_diff <= tol else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--warehouse", required=True)
    d.add_argument("--month", required=True)
    d.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run")
    r.add_argument("--inputs", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--mode", default="fuzzy", choices=["fuzzy", "exact"])
    r.add_argument("--chunk", type=int, default=None)
    r.add_argument("--block-pairs", type=int, default=None, help="LinkConfig.scoring_block_pairs")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--tol", type=float, default=1e-9)
    args = p.parse_args()
    if args.cmd == "dump":
        dump(args.warehouse, args.month, args.out)
    elif args.cmd == "run":
        run(args.inputs, args.out, args.mode, args.chunk, args.block_pairs)
    else:
        return compare(args.a, args.b, args.tol)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
