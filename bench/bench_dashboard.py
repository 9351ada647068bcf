"""Benchmark: the dashboard's server time for a ~300-person cohort, and 50 concurrent signed-in clients.

    python bench/bench_dashboard.py [--scale small] [--seed 7] [--month 2026-10] [--list-size 131]
                                    [--requests 200] [--repeat 3] [--clients 50] [--seconds 60]

1. **Snapshot**: the seeded generator's ``--scale`` data (cached in ``data/bench/<scale>-seed<seed>``), one
   ``fsu run --link-mode exact`` with ``FSU_LIST_SIZE`` (the top-N per metric that forms the cohort; 131 at
   small scale, seed 7, gives a cohort of 300), then ``fsu publish``. Cached in
   ``data/bench/dashboard-<scale>-seed<seed>-list<N>`` (remade when the generator changes or with ``--rebuild``).
2. **In-process server time**: the app from ``create_app`` wrapped in a timing ASGI middleware (outermost, so
   it includes the session, security-header and audit middleware), called through ``httpx.ASGITransport``
   by a signed-in client, one request at a time: ``--requests`` each of the sign-in page (the baseline: a
   template and the middleware, no snapshot), the main page (whole cohort), the main page filtered by the
   largest LPA and sorted by harm, and the details page (cycling through every cohort member), after a
   warm-up. Median of each run, median over ``--repeat`` runs, and the ratio to the baseline. Then the main
   and details pages again with the snapshot opened afresh on every request (``connect``, as before
   ``dashboard/snapshot_pool.py``): the pool's speed-up, measured in the same invocation.
3. **Over loopback**: the same app served by uvicorn in a subprocess (``--serve``, under ``/usr/bin/time -v``
   for its peak RSS) on 127.0.0.1; the same requests, one at a time, with ``httpx``. The server time is read
   from the ``Server-Timing`` header the timing middleware adds; the client time is the round trip.
4. **Load**: ``--clients`` concurrent clients (asyncio + httpx, one connection each), each signed in (five
   users, each signing in once through the form; their cookies are shared out), for ``--seconds``, each
   asking in turn for the main page and a random cohort member's details page. Errors are any status
   but 200, and any exception or timeout (30 s). Latency percentiles, throughput.

Writes ``bench/results/dashboard.json``. Issue 13's targets: main <= 100 ms and details <= 150 ms median
server time; 50 clients for 60 s with 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import FSU, PYTHON, ROOT, TIME, ensure_synth, generator_fingerprint, run_timed  # noqa: E402

PASSWORD = "bench-password-123"
SECRET = "bench-session-secret-" + "x" * 40
USERS = [f"bench{i}" for i in range(1, 6)]
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SERVER_TIMING = re.compile(r"app;dur=([\d.]+)")
#: The sign-in page, signed out: a template and the middleware, no snapshot. The ratios are against it.
BASELINE = "sign-in page (baseline)"


# --- the app, as the tests build it, with a timing middleware --------------------------------------------


class ServerTiming:
    """Outermost ASGI middleware: ``Server-Timing: app;dur=<ms>`` (to the response start) and a record of
    each request's time to its last body chunk (in-process runs read ``records``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.records: list[tuple[str, float]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", f"app;dur={ms:.3f}".encode())],
                }
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.records.append((scope["path"], (time.perf_counter() - started) * 1000))

        await self.app(scope, receive, timed_send)


def build_app(snapshot_dir: Path, users_file: Path, work: Path) -> ServerTiming:
    from fsu_dagster.dashboard.config import DashboardConfig
    from fsu_dagster.dashboard.main import create_app
    from fsu_dagster.settings import load_settings

    settings = load_settings(data_dir=work)
    config = DashboardConfig(
        snapshot_dir=snapshot_dir,
        users_file=users_file,
        audit_file=work / "audit.log",
        session_secret=SECRET,
        secure_cookies=False,  # plain http on loopback
    )
    return ServerTiming(create_app(settings=settings, config=config))


def add_users(users_file: Path) -> None:
    from fsu_dagster.dashboard import users

    role = "force" if "force" in users.ROLES else "viewer"
    for name in USERS:
        users.add_user(users_file, name, PASSWORD, role)


def serve(args: argparse.Namespace) -> None:
    """``--serve``: uvicorn on 127.0.0.1:``--port`` (one process, as ``fsu dashboard`` runs it)."""
    import uvicorn

    work = Path(args.work)
    app = build_app(Path(args.snapshots), Path(args.users), work)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


# --- the snapshot ----------------------------------------------------------------------------------------


def ensure_snapshot(scale: str, seed: int, month: str, list_size: int, rebuild: bool) -> tuple[Path, dict]:
    data = ensure_synth(scale, seed, month)
    out = ROOT / "data" / "bench" / f"dashboard-{scale}-seed{seed}-list{list_size}"
    snapshots, stamp = out / "snapshots", out / ".stamp"
    want = f"{generator_fingerprint()} {month}"
    if rebuild or not stamp.exists() or stamp.read_text() != want or not (snapshots / f"fsu-{month}.duckdb").exists():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        env = {"FSU_DATA_DIR": str(data), "FSU_WAREHOUSE": str(out / "fsu.duckdb"), "FSU_LIST_SIZE": str(list_size)}
        os.environ.pop("DAGSTER_HOME", None)  # an in-memory Dagster instance, as the tests run it
        print(f"fsu run --month {month} (scale {scale}, list size {list_size}) ...", flush=True)
        run = run_timed([FSU, "run", "--month", month, "--link-mode", "exact"], env=env)
        if run.returncode:
            raise SystemExit(f"fsu run failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        pub = run_timed([FSU, "publish", "--month", month, "--snapshots", str(snapshots)], env=env)
        if pub.returncode:
            raise SystemExit(f"fsu publish failed:\n{pub.stderr[-2000:]}")
        (out / "fsu.duckdb").unlink(missing_ok=True)  # only the snapshot is needed
        print(f"built in {run.wall:.1f} s + published in {pub.wall:.1f} s", flush=True)
        stamp.write_text(want)
    import duckdb

    conn = duckdb.connect(str(snapshots / f"fsu-{month}.duckdb"), read_only=True)
    try:
        people = [r[0] for r in conn.execute("SELECT person_id FROM fsu.cohort ORDER BY person_id").fetchall()]
        (lpa,) = conn.execute(
            "SELECT home_lpa FROM fsu.person_home_lpa WHERE home_lpa IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
        (investigations,) = conn.execute("SELECT count(*) FROM fsu.investigation_list").fetchone()
        (logs,) = conn.execute("SELECT count(*) FROM fsu.cw_log_list").fetchone()
    finally:
        conn.close()
    facts = {
        "cohort_size": len(people),
        "people": people,
        "largest_lpa": lpa,
        "investigation_rows": investigations,
        "cw_log_rows": logs,
        "snapshot_mb": round((snapshots / f"fsu-{month}.duckdb").stat().st_size / 2**20, 1),
    }
    return snapshots, facts


# --- requests --------------------------------------------------------------------------------------------


def page_paths(facts: dict, month: str, n: int) -> dict[str, list[str]]:
    people = facts["people"]
    return {
        BASELINE: ["/login"] * n,
        "main": [f"/?month={month}"] * n,
        "main, filtered + sorted": [f"/?month={month}&lpa={facts['largest_lpa']}&sort=harm_caused"] * n,
        "details": [f"/people/{people[i % len(people)]}?month={month}" for i in range(n)],
    }


async def sign_in_async(client: Any, name: str) -> None:
    for _attempt in range(20):
        page = await client.get("/login")
        token = _CSRF.search(page.text).group(1)
        response = await client.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf": token, "next": "/"}, follow_redirects=False
        )
        if response.status_code == 303:
            return
        if response.status_code == 429:  # a sign-in throttle: wait as told
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            continue
        raise RuntimeError(f"sign-in as {name} answered {response.status_code}")
    raise RuntimeError(f"sign-in as {name} kept being throttled")


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    return {
        "n": len(ms),
        "median": round(statistics.median(ms), 2),
        "p90": pct(90),
        "p99": pct(99),
        "max": round(ordered[-1], 2),
    }


async def in_process(app: ServerTiming, paths: dict[str, list[str]], warmup: int) -> dict[str, dict]:
    import httpx

    out = {}
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as signed,
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anonymous,
    ):
        await sign_in_async(signed, USERS[0])
        for label, urls in paths.items():
            client = anonymous if label == BASELINE else signed
            for url in urls[:warmup]:
                await client.get(url)
            app.records.clear()
            for url in urls:
                response = await client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
            out[label] = summary([ms for _, ms in app.records])
    return out


def loopback_sequential(base: str, paths: dict[str, list[str]], warmup: int) -> dict[str, dict]:
    return asyncio.run(_loopback_sequential(base, paths, warmup))


async def _loopback_sequential(base: str, paths: dict[str, list[str]], warmup: int) -> dict[str, dict]:
    import httpx

    out = {}
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as signed,
        httpx.AsyncClient(base_url=base, timeout=30) as anonymous,
    ):
        await sign_in_async(signed, USERS[0])
        for label, urls in paths.items():
            client = anonymous if label == BASELINE else signed
            for url in urls[:warmup]:
                await client.get(url)
            server, round_trip = [], []
            for url in urls:
                started = time.perf_counter()
                response = await client.get(url)
                round_trip.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                server.append(float(_SERVER_TIMING.search(response.headers["server-timing"]).group(1)))
            out[label] = {"server": summary(server), "round_trip": summary(round_trip)}
    return out


async def load(base: str, facts: dict, month: str, clients: int, seconds: float) -> dict:
    import httpx

    cookies = []
    for name in USERS:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            await sign_in_async(c, name)
            cookies.append(dict(c.cookies))
    people = facts["people"]
    latencies: dict[str, list[float]] = {"main": [], "details": []}
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def one_client(i: int) -> None:
        rng = random.Random(i)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, cookies=cookies[i % len(cookies)]) as c:
            turn = i % 2
            while time.perf_counter() < deadline:
                kind = ("main", "details")[turn]
                turn ^= 1
                url = f"/?month={month}" if kind == "main" else f"/people/{rng.choice(people)}?month={month}"
                started = time.perf_counter()
                try:
                    response = await c.get(url)
                    status = str(response.status_code)
                except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                    status = type(exc).__name__
                latencies[kind].append((time.perf_counter() - started) * 1000)
                if status != "200":
                    errors[status] = errors.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in latencies.values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "latency_ms": {kind: summary(ms) for kind, ms in latencies.items() if ms},
        "latency_ms_all": summary([ms for v in latencies.values() for ms in v]),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument(
        "--list-size",
        type=int,
        default=131,
        help="FSU_LIST_SIZE, the top-N per metric: 131 gives 300 people at small seed 7",
    )
    parser.add_argument("--requests", type=int, default=100, help="requests per page and run")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rebuild", action="store_true", help="remake the snapshot")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--snapshots", help=argparse.SUPPRESS)
    parser.add_argument("--users", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return

    result: dict[str, Any] = {"load_before": loadavg(), "cpus": os.cpu_count()}
    snapshots, facts = ensure_snapshot(args.scale, args.seed, args.month, args.list_size, args.rebuild)
    result["snapshot"] = {k: v for k, v in facts.items() if k != "people"} | {
        "scale": args.scale,
        "seed": args.seed,
        "list_size": args.list_size,
    }
    print(f"snapshot: cohort {facts['cohort_size']} people, {facts['snapshot_mb']} MB (load {loadavg()})", flush=True)
    work = Path(tempfile.mkdtemp(prefix="fsu-bench-dashboard-"))
    try:
        users_file = work / "users.json"
        add_users(users_file)
        paths = page_paths(facts, args.month, args.requests)

        runs = []
        for r in range(args.repeat):
            app = build_app(snapshots, users_file, work)
            runs.append(asyncio.run(in_process(app, paths, args.warmup)))
            print(
                f"in-process run {r + 1}: " + ", ".join(f"{k} {v['median']} ms" for k, v in runs[-1].items()),
                flush=True,
            )
        medians = {k: round(statistics.median(run[k]["median"] for run in runs), 2) for k in paths}

        # The same app opening the snapshot afresh on every request (as before snapshot_pool), same invocation.
        from fsu_dagster.dashboard import snapshot_pool
        from fsu_dagster.warehouse import connect

        pooled = snapshot_pool.cursor
        snapshot_pool.cursor = lambda path: connect(str(path), read_only=True)  # type: ignore[assignment]
        try:
            fresh_paths = {k: v for k, v in paths.items() if k in ("main", "details")}
            fresh_runs = []
            for r in range(args.repeat):
                fresh_runs.append(
                    asyncio.run(in_process(build_app(snapshots, users_file, work), fresh_paths, args.warmup))
                )
                print(
                    f"in-process run {r + 1}, connect per request: "
                    + ", ".join(f"{k} {v['median']} ms" for k, v in fresh_runs[-1].items()),
                    flush=True,
                )
        finally:
            snapshot_pool.cursor = pooled  # type: ignore[method-assign]
        fresh = {k: round(statistics.median(run[k]["median"] for run in fresh_runs), 2) for k in fresh_paths}
        base = medians[BASELINE]
        result["in_process"] = {
            "median_ms": medians,
            "ratio_to_baseline": {k: round(v / base, 1) for k, v in medians.items()},
            "connect_per_request_median_ms": fresh,
            "pool_speedup": {k: round(fresh[k] / medians[k], 2) for k in fresh},
            "runs": runs,
            "connect_per_request_runs": fresh_runs,
        }

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        cmd = [TIME, "-v", "-o", str(work / "server.time"), PYTHON, __file__, "--serve"]
        cmd += ["--snapshots", str(snapshots), "--users", str(users_file), "--work", str(work), "--port", str(port)]
        # Its own process group: SIGINT reaches uvicorn (GNU time ignores it and then writes its report).
        server = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            wait_for(base_url, server)
            loop_runs = [loopback_sequential(base_url, paths, args.warmup) for _ in range(args.repeat)]
            result["loopback"] = {
                "server_median_ms": {
                    k: round(statistics.median(run[k]["server"]["median"] for run in loop_runs), 2) for k in paths
                },
                "round_trip_median_ms": {
                    k: round(statistics.median(run[k]["round_trip"]["median"] for run in loop_runs), 2) for k in paths
                },
                "runs": loop_runs,
            }
            print(f"loopback server medians: {result['loopback']['server_median_ms']}", flush=True)
            print(f"loopback round-trip medians: {result['loopback']['round_trip_median_ms']}", flush=True)
            result["load_before_clients"] = loadavg()
            print(f"{args.clients} clients for {args.seconds:.0f} s ...", flush=True)
            result["concurrent"] = asyncio.run(load(base_url, facts, args.month, args.clients, args.seconds))
            result["load_after_clients"] = loadavg()
        finally:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        report = (work / "server.time").read_text() if (work / "server.time").exists() else ""
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        result["server_peak_rss_mb"] = round(int(rss.group(1)) / 1024, 1) if rss else None
    finally:
        shutil.rmtree(work, ignore_errors=True)

    c = result["concurrent"]
    result["targets"] = {
        "main_median_server_ms <= 100": medians["main"] <= 100,
        "details_median_server_ms <= 150": medians["details"] <= 150,
        f"{args.clients} clients {args.seconds:.0f} s, 0 errors": c["errors"] == 0,
    }
    print(f"\n{'page':<26}{'in-process':>12}{'x baseline':>12}{'loopback srv':>14}{'round trip':>12}  (median ms)")
    for k in paths:
        print(
            f"{k:<26}{medians[k]:>12}{result['in_process']['ratio_to_baseline'][k]:>12}"
            f"{result['loopback']['server_median_ms'][k]:>14}{result['loopback']['round_trip_median_ms'][k]:>12}"
        )
    print(
        f"{c['clients']} clients, {c['seconds']} s: {c['requests']} requests ({c['requests_per_s']}/s), "
        f"{c['errors']} errors {c['errors_by_kind']}; latency ms {c['latency_ms_all']}"
    )
    print(f"connect per request (no pool): {fresh} ms; pool speed-up {result['in_process']['pool_speedup']}")
    print(f"server peak RSS {result['server_peak_rss_mb']} MB; targets {result['targets']}")
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out} (load {loadavg()})")


if __name__ == "__main__":
    main()
