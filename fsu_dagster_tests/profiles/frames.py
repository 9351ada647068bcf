"""Small hand-built frames for the profile tests, typed from the landing contract."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.settings import FsuSettings

#: The custody cap of the default settings (settings.py holds the one default).
CAP_HOURS = FsuSettings.model_fields["custody_cap_hours"].default

M = dt.date(2026, 3, 1)

_TYPES = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean, "date": pl.Date, "timestamp": pl.Datetime("us")}


def extract(name: str, rows: list[dict], **extra_types: pl.DataType) -> pl.DataFrame:
    """A frame of extract ``name`` with every contract column (missing values null)."""
    schema = {c.name: _TYPES[c.type] for c in EXTRACTS[name].columns} | extra_types
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


def cohort(*ids: str, month: dt.date = M) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [month] * len(ids),
            "person_id": list(ids),
            "in_top_investigations_custody": [True] * len(ids),
            "in_top_originator": [False] * len(ids),
            "in_top_subject": [False] * len(ids),
            "in_top_overall": [True] * len(ids),
        },
        schema={
            "month": pl.Date,
            "person_id": pl.String,
            "in_top_investigations_custody": pl.Boolean,
            "in_top_originator": pl.Boolean,
            "in_top_subject": pl.Boolean,
            "in_top_overall": pl.Boolean,
        },
    )


def links(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """``(incident_id, role, person_id)`` triples."""
    return pl.DataFrame(
        {
            "incident_id": [r[0] for r in rows],
            "role": [r[1] for r in rows],
            "person_id": [r[2] for r in rows],
            "score": [1.0] * len(rows),
            "reason": ["test"] * len(rows),
        },
        schema={
            "incident_id": pl.String,
            "role": pl.String,
            "person_id": pl.String,
            "score": pl.Float64,
            "reason": pl.String,
        },
    )


def cw_logs(rows: list[dict]) -> pl.DataFrame:
    defaults = {
        "log_type": "INCIDENT",
        "created_at": dt.datetime(2026, 2, 10, 12),
        "incident_type": "CONCERN FOR SAFETY",
        "is_preplanned": False,
        "hours": 0.0,
        "n_resources": 0,
    }
    return extract("cw_incidents", [defaults | r for r in rows], hours=pl.Float64, n_resources=pl.Int64)


def ts(day: int, hour: int = 0, month: int = 2, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour)
