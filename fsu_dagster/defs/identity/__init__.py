"""Identity layer: identity index and variants, ControlWorks person links, link quality."""

import dagster as dg


def defs() -> dg.Definitions:
    from fsu_dagster.defs.identity.assets import ASSETS

    return dg.Definitions(assets=ASSETS)
