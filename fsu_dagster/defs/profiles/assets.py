"""Profile assets (method 5.1.4, all cohort members at once): thin wiring of ``fsu_dagster.profiles``.

Summaries that share expensive twelve-month inputs are built by one multi-asset, so each
source window is loaded once; every table is still its own asset with its own schema check.
``docs/profiles.md`` documents every table.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from fsu_dagster import profiles
from fsu_dagster.defs.profiles.schemas import SCHEMAS
from fsu_dagster.defs.window import hop_in, source_in, window_asset, window_multi_asset
from fsu_dagster.frames import CW_LINK_KEY_COLUMNS
from fsu_dagster.identity.modes import LinkFunction, record_linker
from fsu_dagster.profiles.controlworks import CW_LOG_COLUMNS
from fsu_dagster.settings import FsuSettings

LAYER = "profiles"

COHORT = hop_in("stage1", "cohort")

# Wide inputs are loaded with the columns the hop reads only (source extracts keep their landing
# ``month`` and primary key, which ``latest_versions`` needs).

#: The links as the profiles read them.
LINKS = hop_in("identity", "cw_person_links", CW_LINK_KEY_COLUMNS)

#: The ControlWorks logs a cohort member is linked to, in either role (the window month's links and
#: cohort, already in the warehouse: both are inputs of the hop). The ControlWorks profiles read no
#: other log, nor the resources or calls of any other log (``profiles.controlworks.person_logs``), so
#: their hop loads these rows only: about 3% of a force's window, instead of all of it.
COHORT_INCIDENTS = (
    "incident_id in (select incident_id from fsu.cw_person_links where month = {month}"
    " and person_id in (select person_id from fsu.cohort where month = {month}))"
)
#: The Avaya calls that raised those logs.
COHORT_CALLS = f"call_id in (select call_id from fsu.cw_logs where month = {{month}} and {COHORT_INCIDENTS})"


def _tables(*names: str) -> dict[str, object]:
    return {n: SCHEMAS[n] for n in names}


def _link_function(settings: FsuSettings) -> LinkFunction:
    """The identity-matching function for records without a person ID (the configured link mode)."""
    return record_linker(settings.link_mode, settings.fuzzy_threshold)


@window_multi_asset(
    layer=LAYER,
    name="custody_profiles",
    outputs=_tables(
        "custody_summary", "custody_records", "custody_outcomes", "custody_file_types", "custody_arrest_reasons"
    ),
    ins={"cohort": COHORT, "connect_custody": source_in("connect_custody")},
    description="Custody (method 5.1.4 step 2): records, hours, outcomes, file types and arrests per cohort member.",
)
def custody_profiles(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    connect_custody: pl.DataFrame,
):
    cap = settings.custody_cap_hours
    return {
        "custody_summary": profiles.custody_summary(cohort, connect_custody, cap_hours=cap, month=month),
        "custody_records": profiles.custody_records(cohort, connect_custody, cap_hours=cap, month=month),
        "custody_outcomes": profiles.custody_outcomes(cohort, connect_custody, cap_hours=cap, month=month),
        "custody_file_types": profiles.custody_file_types(cohort, connect_custody, cap_hours=cap, month=month),
        "custody_arrest_reasons": profiles.custody_arrest_reasons(cohort, connect_custody, month=month),
    }


@window_multi_asset(
    layer=LAYER,
    name="investigation_profiles",
    outputs=_tables(
        "investigation_list",
        "investigation_roles",
        "investigation_outcomes",
        "investigation_lpas",
        "investigation_locations",
        "investigation_relationships",
        "person_relationships",
        "outcomes_by_related_person",
        "home_addresses",
    ),
    ins={
        "cohort": COHORT,
        "connect_investigations": source_in("connect_investigations"),
        "connect_person_roles": source_in("connect_person_roles"),
        "connect_relationships": source_in("connect_relationships"),
    },
    description=(
        "Investigations (method 5.1.4 step 3a–3f): roles, outcomes, locations, relationships per cohort member."
    ),
)
def investigation_profiles(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    connect_relationships: pl.DataFrame,
):
    inv, roles, rel = connect_investigations, connect_person_roles, connect_relationships
    return {
        "investigation_list": profiles.investigation_list(cohort, inv, roles, month=month),
        "investigation_roles": profiles.investigation_roles(cohort, inv, roles, month=month),
        "investigation_outcomes": profiles.investigation_outcomes(cohort, inv, roles, month=month),
        "investigation_lpas": profiles.investigation_lpas(cohort, inv, roles, month=month),
        "investigation_locations": profiles.investigation_locations(cohort, inv, roles, rel, month=month),
        "investigation_relationships": profiles.investigation_relationships(cohort, rel, inv, month=month),
        "person_relationships": profiles.person_relationships(cohort, rel, inv, month=month),
        "outcomes_by_related_person": profiles.outcomes_by_related_person(cohort, rel, inv, month=month),
        "home_addresses": profiles.home_addresses(cohort, inv, roles, month=month),
    }


@window_multi_asset(
    layer=LAYER,
    name="controlworks_profiles",
    outputs=_tables(
        "cw_log_list",
        "cw_summary",
        "cw_log_types",
        "cw_incident_types",
        "cw_response_grades",
        "cw_locations",
        "cw_resource_groups",
        "caller_relationships",
        "cw_caller_relationship_counts",
    ),
    ins={
        "cohort": COHORT,
        "cw_person_links": LINKS,
        "cw_logs": hop_in("stage1", "cw_logs", CW_LOG_COLUMNS, rows=COHORT_INCIDENTS),
        "cw_resources": source_in("cw_resources", rows=COHORT_INCIDENTS),
        "avaya_calls": source_in("avaya_calls", ["month", "call_id", "duration_seconds"], rows=COHORT_CALLS),
        "connect_persons": source_in(
            "connect_persons", ["month", "person_id", "forename", "surname", "dob", "phone_number"]
        ),
        "person_relationships": hop_in(LAYER, "person_relationships"),
    },
    description=(
        "ControlWorks (method 5.1.4 step 4a–4j): logs, callers, handling time, types, grades, locations, resources."
    ),
)
def controlworks_profiles(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    cw_person_links: pl.DataFrame,
    cw_logs: pl.DataFrame,
    cw_resources: pl.DataFrame,
    avaya_calls: pl.DataFrame,
    connect_persons: pl.DataFrame,
    person_relationships: pl.DataFrame,
):
    links = cw_person_links
    callers = profiles.caller_relationships(cohort, links, cw_logs, connect_persons, person_relationships, month=month)
    return {
        "cw_log_list": profiles.cw_log_list(cohort, links, cw_logs, month=month),
        "cw_summary": profiles.cw_summary(cohort, links, cw_logs, cw_resources, avaya_calls, month=month),
        "cw_log_types": profiles.cw_log_types(cohort, links, cw_logs, month=month),
        "cw_incident_types": profiles.cw_incident_types(cohort, links, cw_logs, month=month),
        "cw_response_grades": profiles.cw_response_grades(cohort, links, cw_logs, month=month),
        "cw_locations": profiles.cw_locations(cohort, links, cw_logs, month=month),
        "cw_resource_groups": profiles.cw_resource_groups(cohort, links, cw_logs, cw_resources, month=month),
        "caller_relationships": callers,
        "cw_caller_relationship_counts": profiles.cw_caller_relationship_counts(callers),
    }


@window_multi_asset(
    layer=LAYER,
    name="missing_profiles",
    outputs=_tables("missing_episodes", "missing_summary", "missing_risk_levels"),
    ins={
        "cohort": COHORT,
        "compact_missing": source_in("compact_missing"),
        "connect_persons": source_in("connect_persons"),
    },
    description=(
        "Missing episodes from Compact (linked by person ID, else by identity matching): count, hours, risk levels."
    ),
)
def missing_profiles(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    compact_missing: pl.DataFrame,
    connect_persons: pl.DataFrame,
):
    episodes = profiles.missing_episodes(
        cohort, compact_missing, connect_persons, link=_link_function(settings), month=month
    )
    return {
        "missing_episodes": episodes,
        "missing_summary": profiles.missing_summary(cohort, episodes, month=month),
        "missing_risk_levels": profiles.missing_risk_levels(episodes),
    }


@window_multi_asset(
    layer=LAYER,
    name="theme_profiles",
    outputs=_tables("person_themes", "person_priority_crimes"),
    ins={
        "cohort": COHORT,
        "connect_investigations": source_in("connect_investigations"),
        "connect_person_roles": source_in("connect_person_roles"),
        "missing_summary": hop_in(LAYER, "missing_summary"),
    },
    description="Themes (DA, MH, CSE, CA from flags or keywords, and Missing) and configured priority crime types.",
)
def theme_profiles(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    missing_summary: pl.DataFrame,
):
    return {
        "person_themes": profiles.person_themes(
            cohort,
            connect_investigations,
            connect_person_roles,
            settings.themes,
            missing_summary=missing_summary,
            month=month,
        ),
        "person_priority_crimes": profiles.person_priority_crimes(
            cohort, connect_investigations, connect_person_roles, settings.priority_crime_types, month=month
        ),
    }


@window_asset(
    layer=LAYER,
    name="score_breakdown",
    ins={"cohort": COHORT, "person_totals": hop_in("stage1", "person_totals")},
    schema=SCHEMAS["score_breakdown"],
    description="Why each cohort member ranks high: each total's share of each metric.",
)
def score_breakdown(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    person_totals: pl.DataFrame,
):
    return profiles.score_breakdown(cohort, person_totals, top_n=settings.top_n, month=month)


@window_asset(
    layer=LAYER,
    name="monthly_trend",
    ins={
        "cohort": COHORT,
        "connect_investigations": source_in("connect_investigations", ["month", "investigation_id", "recorded_at"]),
        "connect_person_roles": source_in("connect_person_roles", ["month", "investigation_id", "person_id", "role"]),
        "connect_custody": source_in(
            "connect_custody", ["month", "custody_id", "person_id", "arrival_at", "released_at"]
        ),
        "cw_person_links": LINKS,
        "cw_logs": hop_in("stage1", "cw_logs", ["incident_id", "created_at", "hours"]),
        "missing_episodes": hop_in(LAYER, "missing_episodes"),
    },
    schema=SCHEMAS["monthly_trend"],
    description="Twelve-month trend per cohort member: events and hours per month and interaction type.",
)
def monthly_trend(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    connect_custody: pl.DataFrame,
    cw_person_links: pl.DataFrame,
    cw_logs: pl.DataFrame,
    missing_episodes: pl.DataFrame,
):
    return profiles.monthly_trend(
        cohort,
        connect_investigations=connect_investigations,
        connect_person_roles=connect_person_roles,
        connect_custody=connect_custody,
        links=cw_person_links,
        cw_logs=cw_logs,
        missing_episodes=missing_episodes,
        cap_hours=settings.custody_cap_hours,
        month=month,
    )


def _previous_month_rows(context, table: str, month) -> pl.DataFrame | None:
    """``fsu.<table>`` for the window month before ``month``; None when it was never built."""
    from fsu_dagster import warehouse as wh

    previous = (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with context.resources.warehouse.get_connection() as conn:
        if not wh.table_exists(conn, f"fsu.{table}"):
            return None
        frame = wh.read_frame(conn, f"select * from fsu.{table} where month = ?", [previous])
    return frame if frame.height else None


@window_asset(
    layer=LAYER,
    name="cohort_changes",
    ins={"cohort": COHORT, "person_metrics": hop_in("stage1", "person_metrics")},
    schema=SCHEMAS["cohort_changes"],
    description="Changes since the previous window month: new entrants, leavers and rank movement per metric.",
)
def cohort_changes(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cohort: pl.DataFrame,
    person_metrics: pl.DataFrame,
):
    # The previous month is read from the warehouse (Dagster allows one input per upstream asset).
    previous_metrics = _previous_month_rows(context, "person_metrics", month)
    previous_cohort = _previous_month_rows(context, "cohort", month) if previous_metrics is not None else None
    if previous_cohort is None:
        previous_metrics = None
    return profiles.cohort_changes(cohort, person_metrics, previous_cohort, previous_metrics, month=month)


@window_asset(
    layer=LAYER,
    name="households",
    ins={"home_addresses": hop_in(LAYER, "home_addresses"), "person_totals": hop_in("stage1", "person_totals")},
    schema=SCHEMAS["households"],
    description="The cohort grouped by home address, with each household's combined demand.",
)
def households(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    home_addresses: pl.DataFrame,
    person_totals: pl.DataFrame,
):
    return profiles.households(home_addresses, person_totals)


ASSETS = [
    custody_profiles,
    investigation_profiles,
    controlworks_profiles,
    missing_profiles,
    theme_profiles,
    score_breakdown,
    monthly_trend,
    cohort_changes,
    households,
]
