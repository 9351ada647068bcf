"""The jobs the schedule and sensor launch: what they select, their tags, their partitions."""

from __future__ import annotations

import dagster as dg

from fsu_dagster.defs.automation import WRITER_TAG
from fsu_dagster.defs.publish.assets import KEY as PUBLISH_KEY
from fsu_dagster.publish import SNAPSHOT_TABLES


def _repo():
    import fsu_dagster.definitions

    return fsu_dagster.definitions.defs.get_repository_def()


def test_sources_and_window_jobs_split_the_graph_and_carry_the_writer_tag():
    repo = _repo()
    sources = repo.get_job("fsu_sources").asset_layer.selected_asset_keys
    window = repo.get_job("fsu_window").asset_layer.selected_asset_keys
    everything = repo.get_job("fsu_monthly").asset_layer.selected_asset_keys
    assert {k.path[0] for k in sources} == {"sources"} and len(sources) == 9
    assert not sources & window and sources | window == everything
    assert PUBLISH_KEY in window
    for name in ("fsu_sources", "fsu_window", "fsu_monthly"):
        job = repo.get_job(name)
        assert job.tags[WRITER_TAG] == "writer"
        assert isinstance(job.partitions_def, dg.MonthlyPartitionsDefinition)
        assert job.executor_def.name == "in_process"


def test_publish_waits_for_every_table_the_snapshot_copies():
    graph = _repo().asset_graph
    parents = {k.path[-1] for k in graph.get(PUBLISH_KEY).parent_keys}
    # identity variants and the CW people's mentions (details page), link rates (data-quality page)
    assert set(SNAPSHOT_TABLES) | {"identity_variants", "cw_person_links", "cw_logs", "link_quality"} == parents
    assert graph.get(PUBLISH_KEY).partitions_def is not None


def test_sources_backfill_as_one_run_window_months_one_run_each():
    graph = _repo().asset_graph
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).backfill_policy
        if key.path[0] == "sources":
            assert policy == dg.BackfillPolicy.single_run(), key
        else:
            assert policy is None or policy.max_partitions_per_run == 1, key
