"""Resources, registered once: ``io_manager`` (DuckDB <-> polars), ``warehouse``, ``fsu_settings``.

Both DuckDB resources open the warehouse through :func:`fsu_dagster.warehouse.connect`, which
attaches the file under a fixed alias, so a warehouse file may have any name (even
``fsu.duckdb``, whose default catalog name would clash with the ``fsu`` schema).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from fsu_dagster import warehouse as wh
from fsu_dagster.defs.io_manager import RETRY, WarehouseIOManager
from fsu_dagster.settings import FsuSettings, load_settings, settings_from_json

WAREHOUSE_SCHEMA = "fsu"


class SettingsResource(dg.ConfigurableResource):
    """Hands assets the one :class:`FsuSettings` object that :func:`build_resources` was given.

    The settings travel as their JSON form (``settings_json``) because a Dagster resource is
    rebuilt from its config for every run (and in every process of the UI's executor); ``get()``
    turns it back into the same typed object without reading the environment or the YAML file
    again. Build it with :meth:`of` (``build_resources`` does).
    """

    settings_json: str = Field(description="The run's settings, FsuSettings.model_dump_json().")
    _settings: FsuSettings | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, settings: FsuSettings) -> SettingsResource:
        return cls(settings_json=settings.model_dump_json())

    def get(self) -> FsuSettings:
        if self._settings is None:
            self._settings = settings_from_json(self.settings_json)
        return self._settings


class WarehouseResource(DuckDBResource):
    """A DuckDB connection to the warehouse, for tables the IO manager does not own."""

    compress_strings: bool = Field(True, description="Compress text columns (settings.warehouse_compress_strings).")
    memory_mb: int | None = Field(None, description="DuckDB memory cap for a run, MB (settings.warehouse_memory_mb).")

    @contextmanager
    def yield_for_execution(self, context):
        # Shares the run's one warehouse connection with the IO manager (fsu_dagster.warehouse.session).
        with wh.session(self.database, compress_strings=self.compress_strings, memory_mb=self.memory_mb):
            yield self

    @contextmanager
    def get_connection(self):
        kwargs = {"path": self.database, "compress_strings": self.compress_strings}
        conn = backoff(fn=wh.connect, kwargs=kwargs, **RETRY)
        try:
            yield conn
        finally:
            conn.close()


def build_resources(settings: FsuSettings | None = None) -> dict[str, object]:
    """The resources for ``settings`` (default: read from the environment and YAML, once, here)."""
    settings = settings if settings is not None else load_settings()
    db = Path(settings.warehouse)
    db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "io_manager": WarehouseIOManager(
            database=str(db),
            schema=WAREHOUSE_SCHEMA,
            compress_strings=settings.warehouse_compress_strings,
            memory_mb=settings.warehouse_memory_mb,
            load_cache_mb=settings.load_cache_mb,
        ),
        "warehouse": WarehouseResource(
            database=str(db),
            compress_strings=settings.warehouse_compress_strings,
            memory_mb=settings.warehouse_memory_mb,
        ),
        "fsu_settings": SettingsResource.of(settings),
    }
