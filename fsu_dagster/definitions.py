"""The root: loads each layer's definitions and the resources. No domain logic here.

``build_definitions(settings)`` wires the one settings object it is given into the
``fsu_settings`` resource, so every asset sees exactly those settings (the CLI and tests build
them with :func:`~fsu_dagster.settings.load_settings` and pass them in). The Dagster UI's code
location, ``defs`` below, reads them from the environment and YAML file once, when first used
(``fsu_dagster.definitions:defs``); importing the module builds nothing.
"""

from __future__ import annotations

import importlib

import dagster as dg

from fsu_dagster.defs.resources import build_resources
from fsu_dagster.memory import limit_malloc_arenas
from fsu_dagster.settings import FsuSettings, load_settings

LAYERS = ("sources", "identity", "stage1", "profiles", "publish")


def build_definitions(settings: FsuSettings | None = None) -> dg.Definitions:
    """Every layer's assets and checks, with resources for ``settings`` (default: the environment's)."""
    settings = settings if settings is not None else load_settings()
    # Every process that runs assets builds its definitions first (fsu run, backfill, a run worker).
    limit_malloc_arenas(settings.malloc_arena_max)
    parts = []
    for layer in LAYERS:
        module = importlib.import_module(f"fsu_dagster.defs.{layer}")
        if hasattr(module, "defs"):
            parts.append(module.defs())
    # The monthly schedule, the landing sensor and their jobs (fsu_dagster/defs/automation.py).
    from fsu_dagster.defs import automation

    window_keys = [k for part in parts for a in (part.assets or []) for k in a.keys if k.path[0] != "sources"]
    parts.append(automation.defs(settings, window_keys))
    # In-process by default: the steps share one DuckDB writer, so parallel processes would only queue
    # on it, and the multiprocess executor's process per step costs more than most steps' work.
    return dg.Definitions.merge(
        *parts, dg.Definitions(resources=build_resources(settings), executor=dg.in_process_executor)
    )


def __getattr__(name: str) -> dg.Definitions:
    """``defs``, built on first use: importing ``build_definitions`` (``fsu run``, the tests) builds nothing."""
    if name == "defs":
        if name not in _built:
            _built[name] = build_definitions()
        return _built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # Dagster's module loader (`module_name` without an attribute) lists the module's members.
    return sorted([*globals(), "defs"])


#: ``defs`` once built (in a dict, so that Dagster's loader finds one Definitions in the module).
_built: dict[str, dg.Definitions] = {}
