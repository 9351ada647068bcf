"""Dagster metadata built for the assets' outputs, without keeping the step's frames alive.

Dagster's ``@record`` classes (``dg.TableSchema`` among them) compile their constructor on
first use and keep, as that compiled function's globals, a copy of the *calling frame's
locals* (``dagster_shared.record``: ``EvalContext.update_from_frame``). When the first
``TableSchema`` of a process is built inside a step, every frame that step holds at that
moment lives until the process ends: in ``fsu run`` that was the first source step's twelve
months of ``avaya_calls`` (the parsed months and their concatenation, about 175 MB at force
scale) for the whole rolling run. The schema is therefore built here, in a frame that holds
only the polars schema, and the constructor is compiled once at import.
"""

from __future__ import annotations

import dagster as dg
import polars as pl


def column_schema(schema: pl.Schema) -> dg.TableSchema:
    """``dagster/column_schema`` metadata: each column's name and polars type."""
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


# Compile the record constructors now, from this frame (no data in it).
column_schema(pl.Schema({"_": pl.String}))
