"""The landing-area data contract (``shared/design/data-contract.md`` section 1) as data.

Every module that reads or writes a landing extract — the synthetic generator,
the parser that feeds the source assets, the Pandera schemas — takes its column
names, types, keys and allowed values from here, so the contract is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "int", "bool", "date", "timestamp"]

#: Partition column carried first by every warehouse table (the landing month, or for
#: rolling outputs the last month of the twelve-month window), as a DATE.
MONTH_COLUMN = "month"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    #: Allowed values after trimming and upper-casing (``None`` = any value).
    allowed: frozenset[str] | None = None
    #: Inclusive integer range, for ``int`` columns.
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Extract:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    #: Timestamp column that places a record in a landing month.
    anchor: str | None = None
    #: Parent extract for child rows (same landing folder as the parent).
    parent: str | None = None
    description: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, type_: ColumnType = "str", required: bool = False, allowed=None, lo=None, hi=None) -> Column:
    return Column(name, type_, required, frozenset(allowed) if allowed else None, lo, hi)


CALL_LINES = ("999", "101", "OTHER")
LOG_TYPES = ("INCIDENT", "ROC")
RESPONSE_GRADES = ("P1", "P2", "P3", "P4")
RESOURCE_GROUPS = ("RESPONSE", "NEIGHBOURHOOD", "CID", "TRAFFIC", "DOGS", "FIREARMS", "OTHER")
ROLES = ("SUSPECT", "OFFENDER", "VICTIM", "WITNESS", "OTHER")
RELATIONSHIPS = (
    "PARTNER",
    "EX-PARTNER",
    "PARENT",
    "CHILD",
    "SIBLING",
    "OTHER FAMILY",
    "FRIEND",
    "ACQUAINTANCE",
    "NEIGHBOUR",
    "STRANGER",
    "PROFESSIONAL",
    "UNKNOWN",
)
RISK_LEVELS = ("HIGH", "MEDIUM", "LOW", "NO APPARENT RISK")
CRIME_FLAGS = ("DA", "MH", "CSE", "CA")
CUSTODY_OUTCOMES = ("CHARGED", "BAIL", "RELEASED UNDER INVESTIGATION", "NFA", "CAUTION", "REMANDED")

AVAYA_CALLS = Extract(
    "avaya_calls",
    (
        _c("call_id", required=True),
        _c("started_at", "timestamp", required=True),
        _c("answered_at", "timestamp"),
        _c("ended_at", "timestamp"),
        _c("duration_seconds", "int", lo=0),
        _c("caller_number"),
        _c("line", required=True, allowed=CALL_LINES),
    ),
    primary_key="call_id",
    anchor="started_at",
    description="Avaya calls offered to the contact centre.",
)

CW_INCIDENTS = Extract(
    "cw_incidents",
    (
        _c("incident_id", required=True),
        _c("log_type", required=True, allowed=LOG_TYPES),
        _c("created_at", "timestamp", required=True),
        _c("closed_at", "timestamp"),
        _c("call_id"),
        _c("incident_type", required=True),
        _c("response_grade", allowed=RESPONSE_GRADES),
        _c("is_preplanned", "bool", required=True),
        _c("location_address"),
        _c("location_postcode"),
        _c("location_lpa"),
        _c("originator_forename"),
        _c("originator_surname"),
        _c("originator_dob", "date"),
        _c("originator_pnc_id"),
        _c("originator_phone"),
        _c("subject_forename"),
        _c("subject_surname"),
        _c("subject_dob", "date"),
        _c("subject_pnc_id"),
    ),
    primary_key="incident_id",
    anchor="created_at",
    description="ControlWorks logs: incidents and records of contact (RoC).",
)

CW_RESOURCES = Extract(
    "cw_resources",
    (
        _c("incident_id", required=True),
        _c("resource_id", required=True),
        _c("resource_group", required=True),
        _c("assigned_at", "timestamp"),
        _c("deployed_at", "timestamp"),
        _c("arrived_at", "timestamp"),
        _c("released_at", "timestamp"),
    ),
    parent="cw_incidents",
    description="ControlWorks resource assignments; every row counts (no key).",
)

CONNECT_PERSONS = Extract(
    "connect_persons",
    (
        _c("person_id", required=True),
        _c("forename"),
        _c("surname"),
        _c("dob", "date"),
        _c("pnc_id"),
        _c("phone_number"),
    ),
    description="Connect person versions (several rows per person_id).",
)

CONNECT_INVESTIGATIONS = Extract(
    "connect_investigations",
    (
        _c("investigation_id", required=True),
        _c("recorded_at", "timestamp", required=True),
        _c("offence_code", required=True),
        _c("offence_description", required=True),
        _c("main_group", required=True),
        _c("is_crime", "bool", required=True),
        _c("outcome_code", "int", lo=1, hi=22),
        _c("outcome_at", "timestamp"),
        _c("location_address"),
        _c("location_postcode"),
        _c("location_lpa"),
        _c("flags"),
        _c("summary"),
    ),
    primary_key="investigation_id",
    anchor="recorded_at",
    description="Connect crimes and non-crime investigations.",
)

CONNECT_PERSON_ROLES = Extract(
    "connect_person_roles",
    (
        _c("investigation_id", required=True),
        _c("person_id", required=True),
        _c("role", required=True, allowed=ROLES),
        _c("home_address"),
        _c("home_postcode"),
        _c("home_lpa"),
    ),
    parent="connect_investigations",
    description="People's roles on investigations, with their home address as recorded there.",
)

CONNECT_RELATIONSHIPS = Extract(
    "connect_relationships",
    (
        _c("investigation_id", required=True),
        _c("victim_id", required=True),
        _c("suspect_id", required=True),
        _c("relationship", required=True, allowed=RELATIONSHIPS),
    ),
    parent="connect_investigations",
    description="What the suspect is to the victim, per investigation.",
)

CONNECT_CUSTODY = Extract(
    "connect_custody",
    (
        _c("custody_id", required=True),
        _c("person_id", required=True),
        _c("investigation_id"),
        _c("arrested_at", "timestamp"),
        _c("arrest_reason"),
        _c("arrival_at", "timestamp", required=True),
        _c("released_at", "timestamp"),
        _c("custody_outcome"),
        _c("file_type"),
        _c("custody_suite"),
    ),
    primary_key="custody_id",
    anchor="arrival_at",
    description="Connect custody records.",
)

COMPACT_MISSING = Extract(
    "compact_missing",
    (
        _c("report_id", required=True),
        _c("person_id"),
        _c("forename"),
        _c("surname"),
        _c("dob", "date"),
        _c("reported_at", "timestamp", required=True),
        _c("found_at", "timestamp"),
        _c("risk_level", allowed=RISK_LEVELS),
        _c("location_lpa"),
    ),
    primary_key="report_id",
    anchor="reported_at",
    description="Compact missing person reports.",
)

EXTRACTS: dict[str, Extract] = {
    e.name: e
    for e in (
        AVAYA_CALLS,
        CW_INCIDENTS,
        CW_RESOURCES,
        CONNECT_PERSONS,
        CONNECT_INVESTIGATIONS,
        CONNECT_PERSON_ROLES,
        CONNECT_RELATIONSHIPS,
        CONNECT_CUSTODY,
        COMPACT_MISSING,
    )
}

#: Europe/London: timestamps without an offset are local time (contract section 1).
LOCAL_TZ = "Europe/London"
