"""Resources, registered once: ``io_manager`` (DuckDB <-> polars), ``warehouse``, ``fsu_settings``.

Both DuckDB resources open the warehouse through :func:`fsu_dagster.warehouse.connect`, which
attaches the file under a fixed alias, so a warehouse file may have any name (even
``fsu.duckdb``, whose default catalog name would clash with the ``fsu`` schema).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from fsu_dagster import warehouse as wh
from fsu_dagster.defs.io_manager import RETRY, WarehouseIOManager
from fsu_dagster.settings import FsuSettings, load_settings

WAREHOUSE_SCHEMA = "fsu"


class SettingsResource(dg.ConfigurableResource):
    """Hands assets the typed :class:`FsuSettings` (environment + YAML), read at run time."""

    def get(self) -> FsuSettings:
        return load_settings()


class WarehouseResource(DuckDBResource):
    """A DuckDB connection to the warehouse, for tables the IO manager does not own."""

    @contextmanager
    def get_connection(self):
        conn = backoff(fn=wh.connect, kwargs={"path": self.database}, **RETRY)
        try:
            yield conn
        finally:
            conn.close()


def build_resources(settings: FsuSettings | None = None) -> dict[str, object]:
    settings = settings or load_settings()
    db = Path(settings.warehouse)
    db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "io_manager": WarehouseIOManager(database=str(db), schema=WAREHOUSE_SCHEMA),
        "warehouse": WarehouseResource(database=str(db)),
        "fsu_settings": SettingsResource(),
    }
