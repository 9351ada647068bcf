"""Fixtures for the automation tests: 15 months of tiny data, backfilled once per session."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from fsu_dagster_tests.conftest import shared_folder

REPO = Path(__file__).resolve().parents[2]
DATA_START, DATA_END = "2025-08", "2026-10"
# Two window months: what the backfill tests claim of several windows (one sources run for the union
# of their windows, each month built and published in order, the later one seeing the earlier one's
# cohort, a rerun skipping both) holds for two as it did for three, at two thirds of the rolling runs.
BACKFILL = ("2026-09", "2026-10")


@dataclass
class Backfilled:
    data_dir: Path
    warehouse: Path
    snapshots: Path
    dagster_home: Path
    env: dict[str, str]
    output: str


@pytest.fixture(scope="session")
def tiny15(tmp_path_factory) -> Path:
    """Fifteen months of tiny synthetic landing data, 2025-08 .. 2026-10 (read-only; one per session)."""
    from fsu_dagster.synth import generate

    def build(out: Path) -> None:
        generate(out=out, start=DATA_START, end=DATA_END, scale="tiny", seed=11, fmt="csv", progress=False)

    return shared_folder(tmp_path_factory, "tiny15", build)


def dagster_home(folder: Path) -> Path:
    """A Dagster instance folder holding the shipped dagster.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", folder / "dagster.yaml")
    return folder


@pytest.fixture(scope="session")
def backfilled(tiny15, tmp_path_factory) -> Backfilled:
    """``fsu backfill --from 2026-09 --to 2026-10 --link-mode exact`` into a temporary DAGSTER_HOME.

    One per session, shared by the xdist workers (read-only: the warehouse, snapshots and Dagster
    instance are what the backfill left; a test that writes gets its own files, e.g. an audit log).
    """
    from typer.testing import CliRunner

    from fsu_dagster.cli import app

    def env_of(root: Path) -> dict[str, str]:
        return {
            "DAGSTER_HOME": str(root / "dagster_home"),
            "FSU_DATA_DIR": str(tiny15),
            "FSU_WAREHOUSE": str(root / "warehouse" / "fsu.duckdb"),
            "FSU_SNAPSHOT_DIR": str(root / "snapshots"),
            "FSU_AUDIT_LOG": str(root / "audit.log"),
        }

    def build(root: Path) -> None:
        dagster_home(root / "dagster_home")
        result = CliRunner().invoke(
            app, ["backfill", "--from", BACKFILL[0], "--to", BACKFILL[1], "--link-mode", "exact"], env=env_of(root)
        )
        assert result.exit_code == 0, result.output
        (root / "output.txt").write_text(result.output, encoding="utf-8")

    root = shared_folder(tmp_path_factory, "backfilled", build)
    output = (root / "output.txt").read_text(encoding="utf-8")
    return Backfilled(
        tiny15, root / "warehouse" / "fsu.duckdb", root / "snapshots", root / "dagster_home", env_of(root), output
    )
