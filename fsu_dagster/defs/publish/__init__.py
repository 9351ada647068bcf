"""Publish layer: the dashboard snapshot of a window month, downstream of the profiles."""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    from fsu_dagster.defs.publish.assets import ASSETS

    return dg.Definitions(assets=ASSETS)
