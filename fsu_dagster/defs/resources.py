"""Resources, registered once: ``io_manager`` (DuckDB <-> polars), ``warehouse``, ``fsu_settings``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_duckdb_polars import DuckDBPolarsIOManager

from fsu_dagster.settings import FsuSettings, load_settings

WAREHOUSE_SCHEMA = "fsu"


class SettingsResource(dg.ConfigurableResource):
    """Hands assets the typed :class:`FsuSettings` (environment + YAML), read at run time."""

    def get(self) -> FsuSettings:
        return load_settings()


def build_resources(settings: FsuSettings | None = None) -> dict[str, object]:
    settings = settings or load_settings()
    db = Path(settings.warehouse)
    db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "io_manager": DuckDBPolarsIOManager(database=str(db), schema=WAREHOUSE_SCHEMA),
        "warehouse": DuckDBResource(database=str(db)),
        "fsu_settings": SettingsResource(),
    }
