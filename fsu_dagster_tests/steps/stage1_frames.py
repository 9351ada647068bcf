"""Frame builders for the Stage 1 tests: source-shaped frames from the landing contract.

Each builder takes a few dicts naming only the columns a test cares about; every other
contract column is null, with the pipeline dtype.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.settings import FsuSettings

#: The custody cap of the default settings (settings.py holds the one default).
CAP_HOURS = FsuSettings.model_fields["custody_cap_hours"].default

M = dt.date(2026, 3, 1)

_DTYPES = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean, "date": pl.Date, "timestamp": pl.Datetime("us")}


def schema_of(extract: str) -> dict[str, pl.DataType]:
    return {c.name: _DTYPES[c.type] for c in EXTRACTS[extract].columns}


def frame(extract: str, rows: list[dict], **defaults) -> pl.DataFrame:
    schema = schema_of(extract)
    full = [{**{k: None for k in schema}, **defaults, **r} for r in rows]
    return pl.DataFrame(full, schema=schema, orient="row") if full else pl.DataFrame(schema=schema)


def ts(day: int, hour: float = 0.0) -> dt.datetime:
    """A March 2026 instant: ``day`` at ``hour`` (fractional hours allowed)."""
    return dt.datetime(2026, 3, day) + dt.timedelta(hours=hour)


def incidents(rows: list[dict]) -> pl.DataFrame:
    return frame("cw_incidents", rows, log_type="INCIDENT", created_at=ts(1), incident_type="X", is_preplanned=False)


def resources(rows: list[dict]) -> pl.DataFrame:
    return frame("cw_resources", rows, resource_id="R1", resource_group="RESPONSE")


def roles(rows: list[tuple]) -> pl.DataFrame:
    """``(investigation_id, person_id, role[, home_lpa])`` tuples."""
    return frame(
        "connect_person_roles",
        [dict(zip(("investigation_id", "person_id", "role", "home_lpa"), r, strict=False)) for r in rows],
    )


def investigations(rows: list[tuple]) -> pl.DataFrame:
    """``(investigation_id, recorded_at, offence_code)`` tuples."""
    return frame(
        "connect_investigations",
        [dict(zip(("investigation_id", "recorded_at", "offence_code"), r, strict=True)) for r in rows],
        offence_description="X",
        main_group="X",
        is_crime=True,
    )


def custody(rows: list[tuple]) -> pl.DataFrame:
    """``(custody_id, person_id, arrival_at, released_at)`` tuples."""
    return frame(
        "connect_custody",
        [dict(zip(("custody_id", "person_id", "arrival_at", "released_at"), r, strict=True)) for r in rows],
    )


def links(rows: list[tuple]) -> pl.DataFrame:
    """``(incident_id, role, person_id)`` tuples -> a link frame."""
    return pl.DataFrame(
        [(*r, 1.0, "test") for r in rows],
        schema={
            "incident_id": pl.String,
            "role": pl.String,
            "person_id": pl.String,
            "score": pl.Float64,
            "reason": pl.String,
        },
        orient="row",
    )


def logs(hours: dict[str, float]) -> pl.DataFrame:
    """A minimal cw_logs frame: ``incident_id -> hours``."""
    return pl.DataFrame(
        {"incident_id": list(hours), "hours": list(hours.values()), "n_resources": [1] * len(hours)},
        schema={"incident_id": pl.String, "hours": pl.Float64, "n_resources": pl.Int64},
    )
