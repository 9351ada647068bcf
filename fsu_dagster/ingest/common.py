"""Ingest: the quarantine vocabulary (reasons, actions), plausibility rules and the parsed-extract record."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from fsu_dagster.contract import MONTH_COLUMN, ColumnType

#: Contract type -> the dtype the pipeline carries (timestamps are naive UTC instants).
PIPELINE_DTYPES: dict[ColumnType, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
}

QUARANTINE_SCHEMA: pl.Schema = pl.Schema(
    {
        "extract": pl.String(),
        MONTH_COLUMN: pl.Date(),
        "row_number": pl.Int64(),
        "column": pl.String(),
        "reason": pl.String(),
        #: ``row quarantined`` (the row is not loaded) or ``value set to null`` (the row is loaded
        #: without that optional value).
        "action": pl.String(),
        "source_file": pl.String(),
    }
)

ACTION_ROW = "row quarantined"
ACTION_VALUE = "value set to null"
#: A plausibility finding on a value the contract accepts: the row and the value are loaded as
#: they are (Stage 1's numbers do not change) and the finding is reported.
ACTION_FLAG = "value flagged"

# Quarantine reasons. They describe the problem, never the offending value.
REASON_MISSING = "missing required value"
REASON_OUT_OF_RANGE = "value out of range"
REASON_NOT_ALLOWED = "value not allowed"
REASON_DST_GAP = "nonexistent local time (spring DST gap)"
REASON_DUPLICATE_KEY = "duplicate primary key"  # + " (first seen at row N)"
# Plausibility (see Plausibility): the value parses but cannot be right.
REASON_FUTURE = "implausible: in the future"  # + " (over N days after the landing month)"
REASON_DOB = "implausible date of birth"  # + " (in the future or over N years ago)"
REASON_BEFORE = "implausible: before"  # + " <earlier column>"
REASON_OVER_CAP = "custody over the cap"  # + " (N h; clipped to the cap in Stage 1)"
UNPARSEABLE: dict[ColumnType, str] = {
    "int": "unparseable int: expected a whole number",
    "bool": "unparseable bool: expected true or false",
    "date": "unparseable date: expected YYYY-MM-DD",
    "timestamp": "unparseable timestamp: expected ISO 8601",
    "str": "unparseable str",  # only reachable for typed (Parquet) input that cannot become text
}

_ROW = "__row_number"
_INT_RE = r"^[+-]?[0-9]+$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Date, 'T' or a space, HH:MM, optional :SS and fraction, optional offset (Z, +HH, +HHMM, +HH:MM).
_TS_RE = (
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<hm>[0-9]{2}:[0-9]{2})"
    r"(?::(?P<sec>[0-9]{2})(?:[.,](?P<frac>[0-9]{1,9}))?)?"
    r"(?P<off>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
# A timestamp already in canonical form (or an empty field): no groups to extract, no offset.
_PLAIN_TS_RE = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})?$"


class LandingFileError(ValueError):
    """A landing file that cannot be read at all (message names the file and the line)."""


# No hidden field-size limit: the csv module's default (131,072 characters) would stop a file
# with one long free-text field with a misleading message. Fields are bounded by memory only.
_FIELD_LIMIT = sys.maxsize
while True:
    try:
        csv.field_size_limit(_FIELD_LIMIT)
        break
    except OverflowError:  # pragma: no cover - platforms whose C long is 32 bits
        _FIELD_LIMIT //= 2


#: (later column, earlier column) pairs per extract: the later one must not come first.
ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "avaya_calls": (("answered_at", "started_at"), ("ended_at", "started_at"), ("ended_at", "answered_at")),
    "cw_incidents": (("closed_at", "created_at"),),
    "cw_resources": (("arrived_at", "assigned_at"), ("released_at", "assigned_at"), ("released_at", "arrived_at")),
    "connect_investigations": (("outcome_at", "recorded_at"),),
    "connect_custody": (("arrival_at", "arrested_at"), ("released_at", "arrival_at")),
    "compact_missing": (("found_at", "reported_at"),),
}


@dataclass(frozen=True)
class Plausibility:
    """Rules for values that parse but cannot be right (``docs/ingest.md``, Plausibility).

    * a timestamp more than ``future_days`` days after the end of its landing month;
    * a date of birth after the end of its landing month or more than ``max_age_years`` before it;
    * an end before its start (``ORDER_RULES``: released before arrival, closed before created...);
    * a custody record (``released_at - arrival_at``) longer than ``custody_cap_hours``.

    ``action``: ``flag`` loads the value as it is and records a ``value flagged`` note (the
    contract accepts these values, so Stage 1's numbers do not change); ``null`` sets an optional
    value to null instead (``value set to null``). Required values and the custody cap, which the
    contract defines (clipped in Stage 1), are always flagged, never changed.
    """

    future_days: int = 366
    max_age_years: int = 120
    custody_cap_hours: float = 200.0
    action: Literal["flag", "null"] = "flag"


@dataclass
class ParsedExtract:
    """One month of one extract after parsing."""

    extract: str
    month: dt.date
    #: Display name of the file read (``landing/YYYY-MM/<extract>.csv``), or None when missing.
    source_file: str | None
    #: ``month`` then the contract columns, in contract order and pipeline dtypes.
    valid: pl.DataFrame
    #: One row per problem: ``extract, month, row_number, column, reason, source_file``.
    quarantine: pl.DataFrame
    #: Aggregates only (counts and column names), safe for asset metadata and logs.
    stats: dict[str, Any] = field(default_factory=dict)
