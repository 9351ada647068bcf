"""Shared fixtures: a synthetic landing area and a warehouse built from it through Dagster."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

WINDOW_END = "2026-10"
WINDOW_START = "2025-11"


@dataclass
class Built:
    data_dir: Path
    warehouse: Path
    reports: list


def build_pipeline(data_dir: Path, warehouse: Path, month: str = WINDOW_END, **overrides: Any) -> list:
    """Run ``fsu run`` for ``month`` in-process with the given data dir, warehouse and settings.

    ``overrides`` are settings fields (``link_mode="exact"``); they go into ``load_settings`` and
    from there through ``build_definitions(settings)`` to the assets, not through the environment.
    (An ``FSU_``-prefixed name, ``FSU_LINK_MODE="exact"``, is read as the field it names.)
    """
    from fsu_dagster.definitions import build_definitions
    from fsu_dagster.runner import run_month
    from fsu_dagster.settings import load_settings

    fields = {key.removeprefix("FSU_").lower(): value for key, value in overrides.items()}
    settings = load_settings(data_dir=data_dir, warehouse=warehouse, **fields)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)  # a temporary Dagster instance, not the user's
        return run_month(month, echo=lambda _line: None, defs=build_definitions(settings))


def synth(out: Path, scale: str, seed: int = 11) -> Path:
    from fsu_dagster.synth import generate

    generate(out=out, start=WINDOW_START, end=WINDOW_END, scale=scale, seed=seed, fmt="csv", progress=False)
    return out


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """A folder ``build`` fills once per test session, shared by every xdist worker (read-only).

    Under xdist the workers share the parent of their base temp folder: the first worker to take
    the lock builds the folder, the others wait for it and use it. Without xdist the folder is in
    the session's own base temp. A build that raised leaves no done-marker, so the next user
    builds it afresh (and fails the same way, naming the same error).
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with FileLock(str(root / f"shared-{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def shared_built(tmp_path_factory: pytest.TempPathFactory, name: str, data_dir: Path, **overrides: Any) -> Built:
    """``build_pipeline`` of ``data_dir`` once per session (see :func:`shared_folder`), its reports kept."""

    def build(folder: Path) -> None:
        reports = build_pipeline(data_dir, folder / "fsu.duckdb", **overrides)
        (folder / "reports.pickle").write_bytes(pickle.dumps(reports))

    folder = shared_folder(tmp_path_factory, name, build)
    return Built(data_dir, folder / "fsu.duckdb", pickle.loads((folder / "reports.pickle").read_bytes()))


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory) -> Path:
    """Twelve months of tiny-scale synthetic landing data (read-only: copy before changing)."""
    return shared_folder(tmp_path_factory, "tiny", lambda out: synth(out, "tiny"))


@pytest.fixture(scope="session")
def tiny_built(tiny_landing, tmp_path_factory) -> Built:
    """The tiny landing data run through the whole pipeline in exact mode (read-only: copy the warehouse)."""
    return shared_built(tmp_path_factory, "tiny_wh", tiny_landing, link_mode="exact")


@pytest.fixture(scope="session")
def tiny_built_fuzzy(tiny_landing, tmp_path_factory) -> Built:
    """The tiny landing data run through the whole pipeline in fuzzy mode (the default; read-only)."""
    return shared_built(tmp_path_factory, "tiny_fuzzy_wh", tiny_landing, link_mode="fuzzy")


@pytest.fixture
def landing_copy(tiny_landing, tmp_path) -> Path:
    """A private copy of the tiny landing area that a test may change."""
    dest = tmp_path / "data"
    shutil.copytree(tiny_landing / "landing", dest / "landing")
    if (tiny_landing / "truth").exists():
        shutil.copytree(tiny_landing / "truth", dest / "truth")
    return dest


def pytest_configure(config):
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory) -> Path:
    """Small-scale synthetic data (the demo's size), seed 11 (read-only)."""
    return shared_folder(tmp_path_factory, "small", lambda out: synth(out, "small", seed=11))


@pytest.fixture(scope="session")
def small_built(small_landing, tmp_path_factory) -> Built:
    """The small landing data run through the whole pipeline in exact mode (read-only)."""
    return shared_built(tmp_path_factory, "small_wh", small_landing, link_mode="exact")


@pytest.fixture(scope="session")
def small_built_fuzzy(small_landing, tmp_path_factory) -> Built:
    """The small landing data run through the whole pipeline in fuzzy mode (the default; read-only)."""
    return shared_built(tmp_path_factory, "small_fuzzy_wh", small_landing, link_mode="fuzzy")
