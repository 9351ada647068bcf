"""Sources layer: the nine landing extracts, one monthly partition each (see README.md)."""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    from fsu_dagster.defs.sources.assets import SOURCE_ASSETS

    return dg.Definitions(assets=SOURCE_ASSETS)
