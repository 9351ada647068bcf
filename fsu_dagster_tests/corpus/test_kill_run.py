"""A run killed mid-materialisation leaves the warehouse usable and the previous results intact.

`fsu run` on tiny data is started in a subprocess and SIGKILLed as soon as its output shows the
rolling run under way (the first rolling step has finished, the next one is writing). The
warehouse written by the earlier, complete run must then open, hold the same results, and a
rerun must complete with the same cohort (the IO manager writes each table in one transaction).

The kill is done once per module (:func:`killed`); the two claims are two tests. The rerun runs in
a copy of the killed warehouse's folder (the database file and whatever the kill left beside it,
such as a write-ahead log), so it starts from exactly what the kill left, whichever test runs first.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from fsu_dagster import warehouse

TABLES = ("fsu.cohort", "fsu.person_metrics", "fsu.person_totals", "fsu.cw_person_links", "fsu.connect_custody")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _snapshot(db) -> dict:
    with warehouse.connect(str(db), read_only=True) as conn:
        return {
            t: conn.execute(f"select * from {t} order by all").pl() for t in TABLES if warehouse.table_exists(conn, t)
        }


@dataclass
class Killed:
    folder: Path  # holds fsu.duckdb as the kill left it (read-only: copy the folder to write)
    data_dir: Path
    before: dict[str, pl.DataFrame]  # the tables of the complete run, before the kill
    returncode: int | None
    output: list[str]

    @property
    def db(self) -> Path:
        return self.folder / "fsu.duckdb"


@pytest.fixture(scope="module")
def killed(tiny_built, tmp_path_factory) -> Killed:
    """``tiny_built``'s warehouse copied, then an ``fsu run`` on it SIGKILLed once its rolling run is under way."""
    folder = tmp_path_factory.mktemp("killed")
    db = folder / "fsu.duckdb"
    shutil.copy(tiny_built.warehouse, db)
    before = _snapshot(db)
    assert set(before) == set(TABLES) and before["fsu.cohort"].height > 0

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FSU_", "DAGSTER_HOME"))},
        "FSU_DATA_DIR": str(tiny_built.data_dir),
        "FSU_WAREHOUSE": str(db),
        "PYTHONUNBUFFERED": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    cmd = [sys.executable, "-m", "fsu_dagster.cli", "run", "--month", "2026-10", "--link-mode", "exact"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    killed = False
    deadline = time.monotonic() + 120
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line.rstrip())
            # "[10/28] identity/..." : the 9 source steps are done and a rolling step has finished.
            if line.startswith("[") and "/" in line and int(line[1:3]) >= 10:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            if time.monotonic() > deadline:
                break
    finally:
        if proc.poll() is None and not killed:
            proc.kill()
        proc.wait(timeout=30)
    assert killed, "\n".join(seen)
    return Killed(folder, tiny_built.data_dir, before, proc.returncode, seen)


def test_killed_run_leaves_previous_month_intact(killed):
    assert killed.returncode == -signal.SIGKILL, "\n".join(killed.output)
    after_kill = _snapshot(killed.db)
    for table, frame in killed.before.items():
        assert after_kill[table].equals(frame), table


def test_rerun_after_a_kill_completes_with_the_same_results(killed, tmp_path):
    from fsu_dagster_tests.conftest import build_pipeline

    assert killed.returncode == -signal.SIGKILL, "\n".join(killed.output)
    folder = tmp_path / "killed"
    shutil.copytree(killed.folder, folder)
    db = folder / "fsu.duckdb"
    build_pipeline(killed.data_dir, db, link_mode="exact")
    rerun = _snapshot(db)
    assert set(rerun) == set(TABLES)
    for table, frame in killed.before.items():
        assert rerun[table].equals(frame), table
