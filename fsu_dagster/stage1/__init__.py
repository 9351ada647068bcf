"""Stage 1 of the method: totals, metrics, ranks and cohort over all individuals.

Stage 1 receives the ControlWorks person links (``cw_person_links``, made by
``fsu_dagster.identity``) as input and never imports ``identity``.

Pure polars steps (no Dagster), one module per step; see ``docs/stage1.md``.
"""

from fsu_dagster.stage1.cohort import IN_TOP, cohort
from fsu_dagster.stage1.controlworks import controlworks_logs, resource_hours
from fsu_dagster.stage1.harm import investigation_harm, person_harm, unrated_offence_codes
from fsu_dagster.stage1.home_lpa import HOME_LPA_RULES, person_home_lpa
from fsu_dagster.stage1.metrics import METRICS, metric_values, person_metrics
from fsu_dagster.stage1.normalisation import normalisation_scales, normalise_totals
from fsu_dagster.stage1.ranking import RANKS, rank_metrics
from fsu_dagster.stage1.totals import (
    TOTALS,
    custody_record_hours,
    custody_totals,
    cw_role_totals,
    investigation_role_totals,
    originator_resource_duration,
    originator_totals,
    person_totals,
    subject_resource_duration,
    subject_totals,
)

__all__ = [
    "HOME_LPA_RULES",
    "IN_TOP",
    "METRICS",
    "RANKS",
    "TOTALS",
    "cohort",
    "controlworks_logs",
    "custody_record_hours",
    "custody_totals",
    "cw_role_totals",
    "investigation_harm",
    "investigation_role_totals",
    "metric_values",
    "normalisation_scales",
    "normalise_totals",
    "originator_resource_duration",
    "originator_totals",
    "person_harm",
    "person_home_lpa",
    "person_metrics",
    "person_totals",
    "rank_metrics",
    "resource_hours",
    "subject_resource_duration",
    "subject_totals",
    "unrated_offence_codes",
]
