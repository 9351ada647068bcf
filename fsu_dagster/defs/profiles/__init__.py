"""Profiles layer: detail summaries for every cohort member (method 5.1.4) and beyond."""

import dagster as dg


def defs() -> dg.Definitions:
    from fsu_dagster.defs.profiles.assets import ASSETS

    return dg.Definitions(assets=ASSETS)
