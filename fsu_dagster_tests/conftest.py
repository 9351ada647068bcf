"""Shared fixtures: a synthetic landing area and a warehouse built from it through Dagster."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory) -> Path:
    """Twelve months of tiny-scale synthetic landing data (read-only: copy before changing)."""
    return synth(tmp_path_factory.mktemp("tiny"), "tiny")


@pytest.fixture(scope="session")
def tiny_built(tiny_landing, tmp_path_factory) -> Built:
    """The tiny landing data run through the whole pipeline in exact mode."""
    warehouse = tmp_path_factory.mktemp("tiny_wh") / "fsu.duckdb"
    reports = build_pipeline(tiny_landing, warehouse, link_mode="exact")
    return Built(tiny_landing, warehouse, reports)


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
    return synth(tmp_path_factory.mktemp("small"), "small", seed=11)


@pytest.fixture(scope="session")
def small_built(small_landing, tmp_path_factory) -> Built:
    """The small landing data run through the whole pipeline in exact mode."""
    warehouse = tmp_path_factory.mktemp("small_wh") / "fsu.duckdb"
    reports = build_pipeline(small_landing, warehouse, link_mode="exact")
    return Built(small_landing, warehouse, reports)


@pytest.fixture(scope="session")
def small_built_fuzzy(small_landing, tmp_path_factory) -> Built:
    """The small landing data run through the whole pipeline in fuzzy mode (the default)."""
    warehouse = tmp_path_factory.mktemp("small_fuzzy_wh") / "fsu.duckdb"
    reports = build_pipeline(small_landing, warehouse, link_mode="fuzzy")
    return Built(small_landing, warehouse, reports)
