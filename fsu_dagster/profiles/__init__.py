"""Profiles (method 5.1.4): the detailed picture of every cohort member, built all at once.

Pure, set-based steps: polars in, polars out, no Dagster. Each function restricts its
inputs to the cohort first (semi-joins), and every output starts ``month, person_id``
(``month`` = the window month M). ``docs/profiles.md`` documents every table.
"""

from fsu_dagster.profiles.cohort_changes import cohort_changes
from fsu_dagster.profiles.controlworks import (
    caller_relationships,
    cw_caller_relationship_counts,
    cw_incident_types,
    cw_locations,
    cw_log_list,
    cw_log_types,
    cw_resource_groups,
    cw_response_grades,
    cw_summary,
)
from fsu_dagster.profiles.custody import (
    custody_arrest_reasons,
    custody_file_types,
    custody_outcomes,
    custody_records,
    custody_summary,
)
from fsu_dagster.profiles.households import home_addresses, households
from fsu_dagster.profiles.investigations import (
    investigation_list,
    investigation_locations,
    investigation_lpas,
    investigation_outcomes,
    investigation_relationships,
    investigation_roles,
    outcomes_by_related_person,
    person_relationships,
)
from fsu_dagster.profiles.missing import missing_episodes, missing_risk_levels, missing_summary
from fsu_dagster.profiles.relationships import RELATIONSHIP_UNKNOWN, SELF, invert_relationship
from fsu_dagster.profiles.score_breakdown import score_breakdown
from fsu_dagster.profiles.themes import person_priority_crimes, person_themes
from fsu_dagster.profiles.trend import monthly_trend

__all__ = [
    "RELATIONSHIP_UNKNOWN",
    "SELF",
    "caller_relationships",
    "cohort_changes",
    "custody_arrest_reasons",
    "custody_file_types",
    "custody_outcomes",
    "custody_records",
    "custody_summary",
    "cw_caller_relationship_counts",
    "cw_incident_types",
    "cw_locations",
    "cw_log_list",
    "cw_log_types",
    "cw_resource_groups",
    "cw_response_grades",
    "cw_summary",
    "home_addresses",
    "households",
    "invert_relationship",
    "investigation_list",
    "investigation_locations",
    "investigation_lpas",
    "investigation_outcomes",
    "investigation_relationships",
    "investigation_roles",
    "missing_episodes",
    "missing_risk_levels",
    "missing_summary",
    "monthly_trend",
    "outcomes_by_related_person",
    "person_priority_crimes",
    "person_relationships",
    "person_themes",
    "score_breakdown",
]
