"""Pandera models for the profile tables (``docs/profiles.md``), one per table.

Each model fixes the columns, their dtypes, nullability, allowed values and the table's
grain (``Config.unique``). Assets expose them as checks named ``<asset>_<rule>`` and
report failing-row counts only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandera.polars as pa
import polars as pl

from fsu_dagster.contract import LOG_TYPES, RELATIONSHIPS, RESPONSE_GRADES, RISK_LEVELS, ROLES
from fsu_dagster.profiles._common import NOT_RECORDED
from fsu_dagster.profiles.cohort_changes import RANK_METRICS
from fsu_dagster.profiles.controlworks import CALLER_RULES
from fsu_dagster.profiles.relationships import RELATIONSHIP_UNKNOWN, SELF
from fsu_dagster.profiles.score_breakdown import METRICS, TOTALS
from fsu_dagster.profiles.trend import INTERACTIONS

if TYPE_CHECKING:
    # A type checker needs a class in an annotation; pandera reads the dtype instance (microseconds) below.
    Ts = pl.Datetime
else:
    Ts = pl.Datetime(time_unit="us")


def _n(**kw):
    """A nullable column."""
    return pa.Field(nullable=True, **kw)


def _count(**kw):
    return pa.Field(ge=0, **kw)


def _pos(**kw):
    return pa.Field(ge=1, **kw)


class _Profile(pa.DataFrameModel):
    month: pl.Date
    person_id: str

    class Config:
        strict = True


# --- custody -----------------------------------------------------------------------------------


class CustodyRecords(_Profile):
    custody_id: str
    investigation_id: str = _n()
    arrested_at: Ts = _n()
    arrest_reason: str = _n()
    arrival_at: Ts
    released_at: Ts = _n()
    hours: pl.Float64 = _count()
    custody_outcome: str = _n()
    file_type: str = _n()
    custody_suite: str = _n()

    class Config:
        unique = ["month", "person_id", "custody_id"]


class CustodySummary(_Profile):
    custody_records: pl.Int64 = _count()
    custody_hours: pl.Float64 = _count()
    arrests: pl.Int64 = _count()
    open_records: pl.Int64 = _count()
    first_arrival_at: Ts = _n()
    last_arrival_at: Ts = _n()

    class Config:
        unique = ["month", "person_id"]


class CustodyOutcomes(_Profile):
    custody_outcome: str
    records: pl.Int64 = _pos()
    hours: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id", "custody_outcome"]


class CustodyFileTypes(_Profile):
    file_type: str
    records: pl.Int64 = _pos()
    hours: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id", "file_type"]


class CustodyArrestReasons(_Profile):
    arrest_reason: str
    arrests: pl.Int64 = _pos()
    first_arrested_at: Ts
    last_arrested_at: Ts

    class Config:
        unique = ["month", "person_id", "arrest_reason"]


# --- investigations ----------------------------------------------------------------------------

_OUTCOME_TYPES = ["OUTCOME", "MAIN GROUP"]
_SIDES = ["SUSPECT/OFFENDER", "VICTIM"]


class InvestigationList(_Profile):
    investigation_id: str
    roles: str
    recorded_at: Ts
    offence_code: str
    offence_description: str = _n()
    main_group: str
    is_crime: pl.Boolean
    outcome_type: str = pa.Field(isin=_OUTCOME_TYPES)
    outcome_code: pl.Int64 = _n(ge=1, le=22)
    outcome: str
    outcome_at: Ts = _n()
    location_address: str = _n()
    location_postcode: str = _n()
    location_lpa: str = _n()
    flags: str = _n()
    home_address: str = _n()
    home_postcode: str = _n()
    home_lpa: str = _n()

    class Config:
        unique = ["month", "person_id", "investigation_id"]


class InvestigationRoles(_Profile):
    role: str = pa.Field(isin=list(ROLES))
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "role"]


class InvestigationOutcomes(_Profile):
    outcome_type: str = pa.Field(isin=_OUTCOME_TYPES)
    outcome_code: pl.Int64 = _n(ge=1, le=22)
    outcome: str
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "outcome_type", "outcome"]


class InvestigationRelationships(_Profile):
    investigation_id: str
    side: str = pa.Field(isin=_SIDES)
    other_person_id: str
    person_to_other: str = pa.Field(isin=list(RELATIONSHIPS))
    other_to_person: str = pa.Field(isin=list(RELATIONSHIPS))
    recorded_at: Ts = _n()

    class Config:
        unique = ["month", "person_id", "investigation_id", "side", "other_person_id", "other_to_person"]


class PersonRelationships(_Profile):
    related_person_id: str
    relationship: str = pa.Field(isin=list(RELATIONSHIPS))
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "related_person_id"]


class OutcomesByRelatedPerson(_Profile):
    related_person_id: str
    relationship: str = pa.Field(isin=list(RELATIONSHIPS))
    outcome_type: str = pa.Field(isin=_OUTCOME_TYPES)
    outcome_code: pl.Int64 = _n(ge=1, le=22)
    outcome: str
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "related_person_id", "outcome_type", "outcome"]


class InvestigationLocations(_Profile):
    location_address: str = _n()
    location_postcode: str = _n()
    location_lpa: str = _n()
    investigations: pl.Int64 = _pos()
    is_own_home: pl.Boolean
    is_related_home: pl.Boolean
    related_relationships: str = _n()


class InvestigationLpas(_Profile):
    location_lpa: str
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "location_lpa"]


# --- ControlWorks ------------------------------------------------------------------------------

_CALLER_VALUES = [*RELATIONSHIPS, SELF, RELATIONSHIP_UNKNOWN]


class CwLogList(_Profile):
    incident_id: str
    is_originator: pl.Boolean
    is_subject: pl.Boolean
    log_type: str = pa.Field(isin=list(LOG_TYPES))
    created_at: Ts
    closed_at: Ts = _n()
    call_id: str = _n()
    incident_type: str
    response_grade: str = _n()
    location_address: str = _n()
    location_postcode: str = _n()
    location_lpa: str = _n()
    hours: pl.Float64 = _count()
    n_resources: pl.Int64 = _count()

    class Config:
        unique = ["month", "person_id", "incident_id"]


class CwSummary(_Profile):
    logs: pl.Int64 = _count()
    originator_logs: pl.Int64 = _count()
    subject_logs: pl.Int64 = _count()
    incidents: pl.Int64 = _count()
    rocs: pl.Int64 = _count()
    logs_with_resources: pl.Int64 = _count()
    logs_attended: pl.Int64 = _count()
    resource_hours: pl.Float64 = _count()
    calls: pl.Int64 = _count()
    handling_seconds: pl.Int64 = _count()
    handling_hours: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id"]


class CallerRelationships(_Profile):
    incident_id: str
    is_originator: pl.Boolean
    is_subject: pl.Boolean
    caller_person_id: str = _n()
    caller_relationship: str = pa.Field(isin=_CALLER_VALUES)
    rule: str = pa.Field(isin=list(CALLER_RULES))

    class Config:
        unique = ["month", "person_id", "incident_id"]


class CwCallerRelationshipCounts(_Profile):
    caller_relationship: str = pa.Field(isin=_CALLER_VALUES)
    logs: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "caller_relationship"]


class CwLogTypes(_Profile):
    log_type: str
    logs: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "log_type"]


class CwIncidentTypes(_Profile):
    incident_type: str
    logs: pl.Int64 = _pos()
    incidents: pl.Int64 = _count()
    rocs: pl.Int64 = _count()

    class Config:
        unique = ["month", "person_id", "incident_type"]


class CwResponseGrades(_Profile):
    response_grade: str = pa.Field(isin=[*RESPONSE_GRADES, NOT_RECORDED])
    logs: pl.Int64 = _pos()
    incidents: pl.Int64 = _count()
    rocs: pl.Int64 = _count()

    class Config:
        unique = ["month", "person_id", "response_grade"]


class CwLocations(_Profile):
    location_address: str = _n()
    location_postcode: str = _n()
    location_lpa: str = _n()
    logs: pl.Int64 = _pos()
    incidents: pl.Int64 = _count()
    rocs: pl.Int64 = _count()


class CwResourceGroups(_Profile):
    resource_group: str
    logs: pl.Int64 = _pos()
    logs_attended: pl.Int64 = _count()
    units: pl.Int64 = _pos()
    distinct_resources: pl.Int64 = _pos()
    hours: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id", "resource_group"]


# --- missing, themes ---------------------------------------------------------------------------


class MissingEpisodes(_Profile):
    report_id: str
    linked_by: str = pa.Field(isin=["PERSON_ID", "IDENTITY"])
    reported_at: Ts
    found_at: Ts = _n()
    hours_missing: pl.Float64 = _n(ge=0)
    risk_level: str = pa.Field(isin=[*RISK_LEVELS, NOT_RECORDED])
    location_lpa: str = _n()

    class Config:
        unique = ["month", "report_id"]


class MissingSummary(_Profile):
    missing_reports: pl.Int64 = _count()
    still_missing: pl.Int64 = _count()
    hours_missing: pl.Float64 = _count()
    high_risk_reports: pl.Int64 = _count()
    last_reported_at: Ts = _n()

    class Config:
        unique = ["month", "person_id"]


class MissingRiskLevels(_Profile):
    risk_level: str = pa.Field(isin=[*RISK_LEVELS, NOT_RECORDED])
    reports: pl.Int64 = _pos()
    hours_missing: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id", "risk_level"]


class PersonThemes(_Profile):
    theme: str
    label: str
    count: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "theme"]


class PersonPriorityCrimes(_Profile):
    priority_crime_type: str
    label: str
    investigations: pl.Int64 = _pos()

    class Config:
        unique = ["month", "person_id", "priority_crime_type"]


# --- beyond the method -------------------------------------------------------------------------


class ScoreBreakdown(_Profile):
    metric: str = pa.Field(isin=list(METRICS))
    total: str = pa.Field(isin=list(TOTALS))
    value: pl.Float64 = _count()
    scale: pl.Float64 = _count()
    norm: pl.Float64 = _count()
    share: pl.Float64 = pa.Field(ge=0, le=1 + 1e-9)
    contribution: pl.Float64 = pa.Field(ge=0, le=1 + 1e-9)
    metric_value: pl.Float64 = pa.Field(ge=0, le=1 + 1e-9)

    class Config:
        unique = ["month", "person_id", "metric", "total"]


class MonthlyTrend(_Profile):
    activity_month: pl.Date
    interaction: str = pa.Field(isin=list(INTERACTIONS))
    events: pl.Int64 = _count()
    hours: pl.Float64 = _count()

    class Config:
        unique = ["month", "person_id", "activity_month", "interaction"]


class CohortChanges(_Profile):
    status: str = pa.Field(isin=["NEW", "LEFT", "STAYED"])
    metric: str = pa.Field(isin=list(RANK_METRICS))
    rank_previous: pl.Int64 = _n(ge=1)
    rank_current: pl.Int64 = _n(ge=1)
    rank_movement: pl.Int64 = _n()
    in_top_previous: pl.Boolean
    in_top_current: pl.Boolean

    class Config:
        unique = ["month", "person_id", "metric"]


class HomeAddresses(_Profile):
    household_id: str = _n()
    home_address: str = _n()
    home_postcode: str = _n()
    home_lpa: str = _n()
    investigations: pl.Int64 = _count()

    class Config:
        unique = ["month", "person_id"]


class Households(pa.DataFrameModel):
    month: pl.Date
    household_id: str
    home_address: str
    home_postcode: str = _n()
    home_lpa: str = _n()
    members: pl.Int64 = _pos()
    person_ids: str
    suspect_total: pl.Int64 = _count()
    offender_total: pl.Int64 = _count()
    victim_total: pl.Int64 = _count()
    custody_total: pl.Int64 = _count()
    custody_hours: pl.Float64 = _count()
    originator_calls: pl.Int64 = _count()
    originator_hours: pl.Float64 = _count()
    subject_calls: pl.Int64 = _count()
    subject_hours: pl.Float64 = _count()

    class Config:
        strict = True
        unique = ["month", "household_id"]


#: table name -> model, for asset wiring and the schema tests.
SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "custody_records": CustodyRecords,
    "custody_summary": CustodySummary,
    "custody_outcomes": CustodyOutcomes,
    "custody_file_types": CustodyFileTypes,
    "custody_arrest_reasons": CustodyArrestReasons,
    "investigation_list": InvestigationList,
    "investigation_roles": InvestigationRoles,
    "investigation_outcomes": InvestigationOutcomes,
    "investigation_relationships": InvestigationRelationships,
    "person_relationships": PersonRelationships,
    "outcomes_by_related_person": OutcomesByRelatedPerson,
    "investigation_locations": InvestigationLocations,
    "investigation_lpas": InvestigationLpas,
    "cw_log_list": CwLogList,
    "cw_summary": CwSummary,
    "caller_relationships": CallerRelationships,
    "cw_caller_relationship_counts": CwCallerRelationshipCounts,
    "cw_log_types": CwLogTypes,
    "cw_incident_types": CwIncidentTypes,
    "cw_response_grades": CwResponseGrades,
    "cw_locations": CwLocations,
    "cw_resource_groups": CwResourceGroups,
    "missing_episodes": MissingEpisodes,
    "missing_summary": MissingSummary,
    "missing_risk_levels": MissingRiskLevels,
    "person_themes": PersonThemes,
    "person_priority_crimes": PersonPriorityCrimes,
    "score_breakdown": ScoreBreakdown,
    "monthly_trend": MonthlyTrend,
    "cohort_changes": CohortChanges,
    "home_addresses": HomeAddresses,
    "households": Households,
}
