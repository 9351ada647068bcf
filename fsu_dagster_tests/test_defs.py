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
        "sources/avaya_calls",
        "sources/cw_incidents",
        "sources/cw_resources",
        "sources/connect_persons",
        "sources/connect_investigations",
        "sources/connect_person_roles",
        "sources/connect_relationships",
        "sources/connect_custody",
        "sources/compact_missing",
    } <= keys


def _graph_summary() -> dict:
    import fsu_dagster.definitions

    defs = fsu_dagster.definitions.defs
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitioned": type(node.partitions_def).__name__ if node.partitions_def else None,
            "partition_expr": node.metadata.get("partition_expr"),
        }
    checks = sorted(
        f"{c.asset_key.to_user_string()}:{c.name}:{'blocking' if c.blocking else 'non-blocking'}"
        for c in (graph.get_check_spec(k) for k in graph.asset_check_keys)
    )
    return {"assets": assets, "checks": checks}


def test_asset_graph_snapshot(snapshot):
    """The asset graph (keys, groups, deps, partitions, checks) changes only on purpose.

    After an intended change, update with ``pytest --snapshot-update`` and review the diff.
    """
    assert _graph_summary() == snapshot


def test_every_asset_is_monthly_partitioned_into_the_warehouse_with_a_blocking_schema_check():
    summary = _graph_summary()
    for key, spec in summary["assets"].items():
        if key == "publish/dashboard_snapshot":  # a snapshot file per month, not a warehouse table
            assert spec["partitioned"] == "MonthlyPartitionsDefinition"
            continue
        assert spec["partitioned"] == "MonthlyPartitionsDefinition", key
        assert spec["partition_expr"] == "month", key
        assert spec["group"] == key.split("/")[0], key
        name = key.split("/")[1]
        assert f"{key}:{name}_schema:blocking" in summary["checks"], key


def test_code_location_runs_in_process_by_default():
    """A run launched from the UI uses the code location's default executor: in-process, one
    process for the whole run (steps share the single DuckDB writer; issue 10)."""
    import fsu_dagster.definitions
    from fsu_dagster.definitions import build_definitions

    for defs in (fsu_dagster.definitions.defs, build_definitions()):
        assert defs.executor is dg.in_process_executor
        assert defs.get_implicit_global_asset_job_def().executor_def is dg.in_process_executor
        assert defs.get_repository_def().get_job("__ASSET_JOB").executor_def.name == "in_process"


def test_a_hop_that_loads_some_columns_of_an_extract_keeps_what_version_resolution_needs():
    """``latest_versions`` keeps each record's latest landing version (``month`` and primary key) and
    drops child rows of superseded parents (the parent's key): a projected source input keeps them."""
    import fsu_dagster.definitions
    from fsu_dagster.contract import EXTRACTS, MONTH_COLUMN

    defs = fsu_dagster.definitions.defs
    projected = 0
    for assets_def in defs.resolve_asset_graph().assets_defs:
        for input_name, key in assets_def.keys_by_input_name.items():
            columns = (assets_def.node_def.input_def_named(input_name).metadata or {}).get("columns")
            if columns is None:
                continue
            projected += 1
            assert len(set(columns)) == len(columns), (assets_def.node_def.name, input_name)
            if key.path[0] != "sources":
                continue
            extract = EXTRACTS[key.path[-1]]
            needed = {MONTH_COLUMN} | ({extract.primary_key} if extract.primary_key else set())
            if extract.parent:
                needed.add(EXTRACTS[extract.parent].primary_key)
            assert needed <= set(columns), (assets_def.node_def.name, input_name, needed - set(columns))
    assert projected, "no hop declares the columns it loads"
