"""Output metadata keeps no step data alive (fsu_dagster/defs/metadata.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import dagster as dg
import polars as pl

from fsu_dagster.defs.metadata import column_schema

# Run in a fresh interpreter: Dagster compiles a record's constructor once per process, on first use.
FIRST_USE_IN_A_STEP = textwrap.dedent(
    """
    import gc, weakref
    import polars as pl
    from fsu_dagster.defs import window  # the assets' module: imports the metadata helper
    from fsu_dagster.defs.metadata import column_schema

    class Frames:  # stands for a step's loaded frames (polars frames take no weak references)
        pass

    def step():
        frames = Frames()
        frame = pl.DataFrame({"a": [1, 2]})
        column_schema(frame.schema)
        return weakref.ref(frames)

    ref = step()
    gc.collect()
    print("alive" if ref() is not None else "freed")
    """
)


def test_column_schema_names_each_column_and_type():
    schema = column_schema(pl.Schema({"person_id": pl.String, "hours": pl.Float64}))
    assert isinstance(schema, dg.TableSchema)
    assert [(c.name, c.type) for c in schema.columns] == [("person_id", "String"), ("hours", "Float64")]


def test_a_step_building_the_column_schema_first_is_not_kept_alive():
    out = subprocess.run([sys.executable, "-c", FIRST_USE_IN_A_STEP], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "freed"
