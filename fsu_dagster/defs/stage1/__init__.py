"""Stage 1 layer: ControlWorks log hours, the nine totals, metrics, ranks, cohort, harm, home LPA."""

import dagster as dg


def defs() -> dg.Definitions:
    from fsu_dagster.defs.stage1.assets import ASSETS

    return dg.Definitions(assets=ASSETS)
