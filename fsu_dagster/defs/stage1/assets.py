"""Stage 1 assets (method 5.1.1–5.1.3): thin wiring of ``fsu_dagster.stage1``.

Every asset is partitioned by window month ``M`` (the twelve landing months ending ``M``);
see ``README.md`` beside this file for each table's grain.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from fsu_dagster import stage1
from fsu_dagster.defs.stage1 import schemas
from fsu_dagster.defs.window import Produced, hop_in, source_in, window_asset
from fsu_dagster.frames import CW_LINK_KEY_COLUMNS
from fsu_dagster.reference import load_cchi
from fsu_dagster.settings import FsuSettings
from fsu_dagster.stage1.cohort import list_overlap, metric_distribution

LAYER = "stage1"


#: The resource columns ``cw_logs`` reads (``stage1.resource_hours``), with the landing ``month``
#: (``latest_versions`` drops the rows of a superseded incident version by incident and month).
RESOURCE_HOURS_COLUMNS = ("month", "incident_id", "assigned_at", "deployed_at", "arrived_at", "released_at")
#: The ``cw_logs`` columns the person totals read (``stage1.cw_role_totals``): a whole load of the
#: window's logs is every incident column, about ten times these two.
LOG_HOURS_COLUMNS = ("incident_id", "hours")


@window_asset(
    layer=LAYER,
    name="cw_logs",
    ins={
        "cw_incidents": source_in("cw_incidents"),
        "cw_resources": source_in("cw_resources", RESOURCE_HOURS_COLUMNS),
    },
    schema=schemas.CwLogs,
    description="Non-pre-planned ControlWorks logs of the window, each with its resource hours (method 5.1.2).",
)
def cw_logs(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cw_incidents: pl.DataFrame,
    cw_resources: pl.DataFrame,
):
    out = stage1.controlworks_logs(cw_incidents, cw_resources, month)
    return Produced(
        out,
        {
            "logs_in_window": cw_incidents.height,
            "preplanned_excluded": cw_incidents.height - out.height,
            "logs_with_resources": int((out["n_resources"] > 0).sum()),
            "resource_rows": cw_resources.height,
            "resource_hours": round(float(out["hours"].sum()), 3),
        },
    )


@window_asset(
    layer=LAYER,
    name="person_totals",
    ins={
        "connect_person_roles": source_in("connect_person_roles"),
        "connect_custody": source_in("connect_custody"),
        "cw_logs": hop_in(LAYER, "cw_logs", LOG_HOURS_COLUMNS),
        "cw_person_links": hop_in("identity", "cw_person_links", CW_LINK_KEY_COLUMNS),
    },
    schema=schemas.PersonTotals,
    description="The nine Stage 1 totals per person over the window; one row per person of the universe.",
)
def person_totals(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    connect_person_roles: pl.DataFrame,
    connect_custody: pl.DataFrame,
    cw_logs: pl.DataFrame,
    cw_person_links: pl.DataFrame,
):
    out = stage1.person_totals(
        connect_person_roles,
        connect_custody,
        cw_person_links,
        cw_logs,
        month=month,
        cap_hours=settings.custody_cap_hours,
    )
    nonzero = {t: int((out[t] > 0).sum()) for t in stage1.TOTALS}
    return Produced(out, {"universe": out.height, "persons_with_nonzero": nonzero})


@window_asset(
    layer=LAYER,
    name="person_metrics",
    ins={"person_totals": hop_in(LAYER, "person_totals")},
    schema=schemas.PersonMetrics,
    description="The four metrics in [0, 1] and their unique ranks (method 5.1.3), with the nine normalised totals.",
)
def person_metrics(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    person_totals: pl.DataFrame,
):
    out = stage1.person_metrics(person_totals, settings.top_n)
    scales = stage1.normalisation_scales(person_totals, settings.top_n)
    return Produced(out, {"universe": out.height, "top_n": settings.top_n, "scales": scales.to_dicts()})


@window_asset(
    layer=LAYER,
    name="cohort",
    ins={"person_metrics": hop_in(LAYER, "person_metrics")},
    schema=schemas.Cohort,
    description="The frequent service users: the union of the top list_size per metric (metric > 0).",
)
def cohort(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    person_metrics: pl.DataFrame,
):
    out = stage1.cohort(person_metrics, settings.list_size)
    per_list = {c: int(out[c].sum()) for c in stage1.IN_TOP.values()}
    return Produced(
        out,
        {
            "cohort_size": out.height,
            "list_size": settings.list_size,
            "per_list": per_list,
            "list_overlap": dg.MetadataValue.json(list_overlap(out)),
            "metric_distribution": dg.MetadataValue.md(metric_distribution(person_metrics, out)),
        },
    )


@window_asset(
    layer=LAYER,
    name="person_harm",
    ins={
        "connect_person_roles": source_in("connect_person_roles"),
        "connect_investigations": source_in("connect_investigations"),
        "person_totals": hop_in(LAYER, "person_totals"),
    },
    schema=schemas.PersonHarm,
    description="Cambridge Crime Harm Index days caused (suspect/offender) and received (victim), per universe person.",
)
def person_harm(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    connect_person_roles: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    person_totals: pl.DataFrame,
):
    cchi = load_cchi(settings.cchi_path)
    out = stage1.person_harm(connect_person_roles, connect_investigations, cchi, person_totals)
    unrated = stage1.unrated_offence_codes(connect_person_roles, connect_investigations, cchi)
    if unrated.height:
        context.log.warning(
            f"{int(unrated['investigations'].sum())} investigations have offence codes "
            "with no CCHI value (counted as 0)"
        )
    return Produced(
        out,
        {
            "cchi_table": str(settings.cchi_path or "packaged"),
            "unrated_offence_codes": unrated.to_dicts(),
            "unrated_investigations": int(unrated["investigations"].sum()) if unrated.height else 0,
        },
    )


@window_asset(
    layer=LAYER,
    name="person_home_lpa",
    ins={
        "connect_person_roles": source_in("connect_person_roles"),
        "connect_investigations": source_in("connect_investigations"),
        "compact_missing": source_in("compact_missing"),
        "person_totals": hop_in(LAYER, "person_totals"),
    },
    schema=schemas.PersonHomeLpa,
    description=(
        "Each universe person's home LPA by the configured rule (default: the contract's, most investigations)."
    ),
)
def person_home_lpa(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    connect_person_roles: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    compact_missing: pl.DataFrame,
    person_totals: pl.DataFrame,
):
    out = stage1.person_home_lpa(
        connect_person_roles,
        connect_investigations,
        person_totals,
        rule=settings.home_lpa_rule,
        missing=compact_missing,
    )
    counts = out.group_by("home_lpa").len().sort("home_lpa", nulls_last=True)
    return Produced(
        out,
        {
            "rule": settings.home_lpa_rule,
            "persons_per_lpa": {str(r["home_lpa"]): int(r["len"]) for r in counts.iter_rows(named=True)},
        },
    )


ASSETS = [cw_logs, person_totals, person_metrics, cohort, person_harm, person_home_lpa]
