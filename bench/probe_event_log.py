"""Probe: what storing one run's Dagster events costs, by event log storage (not used by the product).

    python bench/probe_event_log.py --data DIR [--month 2026-10] [--repeat 5] \
        [--storages stock-mem,fsu-mem,stock-disk,fsu-disk,old-mem,old-disk] \
        [--old-instance PATH/fsu_dagster/defs/instance.py]

Runs ``fsu run --link-mode exact`` of ``--month`` in-process on the landing data in ``DIR`` (tiny
scale: ``fsu synth --scale tiny --seed 11``) once, keeping every event the run stored (842 for a
tiny month), then replays those events with ``store_event`` into a fresh storage of each kind,
the kinds interleaved, ``--repeat`` times, and prints the median seconds (wall, and CPU of the
process) and ms per event:

* ``stock-mem``: Dagster's ``InMemoryEventLogStorage`` (``DagsterInstance.ephemeral()``'s);
* ``fsu-mem``: ``FsuInMemoryEventLogStorage`` (what ``fsu run`` without ``DAGSTER_HOME`` uses);
* ``stock-disk``: Dagster's ``SqliteEventLogStorage`` in a temporary folder;
* ``fsu-disk``: ``FsuSqliteEventLogStorage`` (the shipped ``dagster.yaml``'s);
* ``old-disk``, ``old-mem``: ``FsuSqliteEventLogStorage``, ``FsuInMemoryEventLogStorage`` of another
  checkout (``--old-instance``), e.g. the commit before a change.

The replay is the storage's own cost (serialising each event, its SQL, a run file's creation);
the reads a run makes of its event log are not in it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--storages", default="stock-mem,fsu-mem,stock-disk,fsu-disk")
    ap.add_argument("--old-instance", type=Path)
    args = ap.parse_args()
    os.environ.pop("DAGSTER_HOME", None)

    from dagster._core.storage.event_log.in_memory import InMemoryEventLogStorage
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from fsu_dagster.definitions import build_definitions
    from fsu_dagster.defs.instance import FsuInMemoryEventLogStorage, FsuSqliteEventLogStorage
    from fsu_dagster.runner import run_month
    from fsu_dagster.settings import load_settings

    old = None
    if args.old_instance:
        spec = importlib.util.spec_from_file_location("old_instance", args.old_instance)
        assert spec and spec.loader
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)

    scratch = Path(tempfile.mkdtemp(prefix="probe-event-log-"))
    events: list = []
    store = FsuInMemoryEventLogStorage.store_event

    def keep(self, event):  # noqa: ANN001
        events.append(event)
        return store(self, event)

    FsuInMemoryEventLogStorage.store_event = keep  # type: ignore[method-assign]
    try:
        settings = load_settings(data_dir=args.data, warehouse=scratch / "wh" / "fsu.duckdb", link_mode="exact")
        run_month(args.month, echo=lambda _line: None, defs=build_definitions(settings))
    finally:
        FsuInMemoryEventLogStorage.store_event = store  # type: ignore[method-assign]
    print(f"{len(events)} events from fsu run --month {args.month} --link-mode exact")

    def make(kind: str, i: int):  # noqa: ANN202
        folder = str(scratch / f"{kind}-{i}")
        if kind == "stock-mem":
            return InMemoryEventLogStorage()
        if kind == "fsu-mem":
            return FsuInMemoryEventLogStorage()
        if kind == "stock-disk":
            return SqliteEventLogStorage(folder)
        if kind == "fsu-disk":
            return FsuSqliteEventLogStorage(folder)
        if kind == "old-disk" and old is not None:
            return old.FsuSqliteEventLogStorage(folder)
        if kind == "old-mem" and old is not None:
            return old.FsuInMemoryEventLogStorage()
        raise SystemExit(f"unknown storage {kind!r} (old-disk and old-mem need --old-instance)")

    kinds = args.storages.split(",")
    seconds: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(args.repeat):
        for kind in kinds:
            storage = make(kind, i)
            started, started_cpu = time.perf_counter(), time.process_time()
            for event in events:
                storage.store_event(event)
            seconds[kind].append(time.perf_counter() - started)
            cpu[kind].append(time.process_time() - started_cpu)
            storage.dispose()
    for kind, times in seconds.items():
        median = statistics.median(times)
        print(
            f"{kind:10s} median {median:6.3f} s  ({' / '.join(f'{t:.2f}' for t in times)})  "
            f"{1000 * median / len(events):5.2f} ms per event; CPU median {statistics.median(cpu[kind]):6.3f} s"
        )
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
