"""``publish/dashboard_snapshot``: window month M's dashboard tables, copied into a read-only file.

Wires :func:`fsu_dagster.publish.publish_snapshot` (the same function ``fsu publish`` calls):
the snapshot ``<snapshot_dir>/fsu-YYYY-MM.duckdb`` is written to a temporary name and moved into
place, then ``latest`` names the newest month. The asset depends on every table the snapshot
copies, so a run of the window job ends with the dashboard showing that month. Metadata:
aggregates only (cohort and universe size, table and row counts), never a person's values.
"""

# No `from __future__ import annotations`: Dagster reads the asset parameters' annotations.

import dagster as dg
import duckdb

from fsu_dagster.defs.partitions import landing_month
from fsu_dagster.defs.resources import SettingsResource
from fsu_dagster.defs.sources.assets import WAREHOUSE_POOL
from fsu_dagster.publish import SNAPSHOT_TABLES, SOURCE_TABLES, publish_snapshot

KEY = dg.AssetKey(["publish", "dashboard_snapshot"])

#: The assets whose tables the snapshot copies or reads (layer/table; others are profiles): ``identity_variants``
#: gives the names and variants shown, ``cw_person_links`` + ``cw_logs`` those of ControlWorks-only people.
UPSTREAM_LAYERS = {
    "cohort": "stage1",
    "person_metrics": "stage1",
    "person_totals": "stage1",
    "person_harm": "stage1",
    "person_home_lpa": "stage1",
    "identity_variants": "identity",
    "link_quality": "identity",
    "cw_person_links": "identity",
    "cw_logs": "stage1",
}


def _upstream_keys() -> list[dg.AssetKey]:
    # link_quality: copied for the dashboard's data-quality page, so it must be built before publishing.
    tables = [*SNAPSHOT_TABLES, *SOURCE_TABLES, "link_quality"]
    return [dg.AssetKey([UPSTREAM_LAYERS.get(t, "profiles"), t]) for t in tables]


@dg.asset(
    key=KEY,
    group_name="publish",
    deps=_upstream_keys(),
    partitions_def=landing_month,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description=(
        "The dashboard's read-only snapshot of window month M: the cohort (the union of the four "
        "top lists), its members' Stage 1 totals and metrics, and every profile table, for month M "
        "only, written atomically to <snapshot_dir>/fsu-YYYY-MM.duckdb; `latest` then names the "
        "newest published month. The dashboard reads only these files, never the warehouse."
    ),
)
def dashboard_snapshot(context: dg.AssetExecutionContext, fsu_settings: SettingsResource) -> dg.MaterializeResult:
    settings = fsu_settings.get()
    path = publish_snapshot(settings.warehouse, settings.snapshots_dir, context.partition_key)
    conn = duckdb.connect(str(path), read_only=True)
    try:
        month, universe, cohort = conn.execute(
            "select month, universe_size, cohort_size from fsu.snapshot_info"
        ).fetchall()[0]
        rows = {t: conn.execute(f"select count(*) from fsu.{t}").fetchall()[0][0] for t in SNAPSHOT_TABLES}
    finally:
        conn.close()
    context.log.info(f"published {path.name}: cohort {cohort} of {universe} people, {len(rows)} tables")
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(path)),
            "window_month": f"{month:%Y-%m}",
            "cohort_size": int(cohort),
            "universe_size": int(universe),
            "tables": len(rows),
            "dagster/row_count": int(sum(rows.values())),
            "rows_per_table": dg.MetadataValue.md(
                "| table | rows |\n|---|---:|\n" + "\n".join(f"| {t} | {n:,} |" for t, n in rows.items())
            ),
        }
    )


ASSETS = [dashboard_snapshot]
