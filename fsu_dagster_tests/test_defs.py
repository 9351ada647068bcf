"""The whole code location loads: every layer's definitions plus the shared resources."""

from __future__ import annotations

import dagster as dg


def test_definitions_validate_loadable():
    """`dagster dev` and the CLI load `fsu_dagster.definitions:defs`; a broken layer must fail here first."""
    import fsu_dagster.definitions

    dg.Definitions.validate_loadable(fsu_dagster.definitions.defs)


def test_source_assets_are_registered():
    import fsu_dagster.definitions

    keys = {k.to_user_string() for k in fsu_dagster.definitions.defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "sources/avaya_calls", "sources/cw_incidents", "sources/cw_resources", "sources/connect_persons",
        "sources/connect_investigations", "sources/connect_person_roles", "sources/connect_relationships",
        "sources/connect_custody", "sources/compact_missing",
    } <= keys
