"""Pandera schemas of the source tables (the `<extract>_schema` blocking checks)."""

from __future__ import annotations

import datetime as dt

import pandera.errors as pa_errors
import polars as pl
import pytest

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.defs.sources.checks import schema_check
from fsu_dagster.defs.sources.schemas import SOURCE_SCHEMAS
from fsu_dagster.ingest import empty_frame, parse_extract
from fsu_dagster_tests.sources.cases import MARCH, good_row, write_extract


def _valid(tmp_path, name: str, n: int = 2) -> pl.DataFrame:
    extract = EXTRACTS[name]
    rows = [good_row(extract, f"K{i}") for i in range(n)]
    return parse_extract(write_extract(tmp_path / "landing", name, MARCH, rows), extract, MARCH).valid


@pytest.mark.parametrize("name", sorted(EXTRACTS))
def test_schema_accepts_parser_output_and_empty_frames(tmp_path, name):
    """The parser and the schema are built from the same contract: whatever parses, validates."""
    SOURCE_SCHEMAS[name].validate(_valid(tmp_path, name))
    SOURCE_SCHEMAS[name].validate(empty_frame(EXTRACTS[name]))


def _break(frame: pl.DataFrame, how: str, name: str) -> pl.DataFrame:
    extract = EXTRACTS[name]
    required = [c for c in extract.columns if c.required and c.type == "str"][-1].name
    if how == "month-not-first":
        return frame.select(frame.columns[1:] + ["month"])
    if how == "extra-column":
        return frame.with_columns(pl.lit(1).alias("extra"))
    if how == "null-required":
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(required))
    if how == "null-month":
        return frame.with_columns(pl.lit(None, dtype=pl.Date).alias("month"))
    if how == "tz-aware-timestamp":
        ts = next(c.name for c in extract.columns if c.type == "timestamp")
        return frame.with_columns(pl.col(ts).dt.replace_time_zone("UTC"))
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["month-not-first", "extra-column", "null-required", "null-month", "tz-aware-timestamp"]
)
@pytest.mark.parametrize("name", ["avaya_calls", "connect_custody", "compact_missing"])
def test_schema_rejects_structural_breaks(tmp_path, name, how):
    """Later layers assume month first, typed naive-UTC timestamps and non-null required values."""
    with pytest.raises((pa_errors.SchemaError, pa_errors.SchemaErrors)):
        SOURCE_SCHEMAS[name].validate(_break(_valid(tmp_path, name), how, name), lazy=True)


@pytest.mark.parametrize(
    ("name", "column", "value"),
    [
        ("avaya_calls", "line", "FAX"),
        ("cw_incidents", "response_grade", "P9"),
        (
            "connect_person_roles",
            "role",
            "suspect",
        ),  # not upper-cased: the parser upper-cases, so this is a bug upstream
        ("compact_missing", "risk_level", "VERY HIGH"),
        ("connect_investigations", "outcome_code", 23),
        ("avaya_calls", "duration_seconds", -1),
    ],
)
def test_schema_rejects_values_outside_the_contract(tmp_path, name, column, value):
    frame = _valid(tmp_path, name, n=1)
    frame = frame.with_columns(pl.lit(value, dtype=frame.schema[column]).alias(column))
    with pytest.raises(pa_errors.SchemaErrors):
        SOURCE_SCHEMAS[name].validate(frame, lazy=True)


@pytest.mark.parametrize("name", [n for n, e in sorted(EXTRACTS.items()) if e.primary_key])
def test_schema_rejects_duplicate_primary_keys(tmp_path, name):
    """The parser quarantines repeated keys; the check catches any path that bypasses it."""
    frame = _valid(tmp_path, name, n=1)
    with pytest.raises(pa_errors.SchemaErrors):
        SOURCE_SCHEMAS[name].validate(pl.concat([frame, frame]), lazy=True)


def test_schema_check_metadata_has_counts_not_values(tmp_path):
    """Check metadata is shown in the Dagster UI: failing values (names, PNC IDs) must not appear."""
    secret = "07/999999Z"
    frame = _valid(tmp_path, "cw_incidents", n=2).with_columns(
        pl.lit(secret).alias("log_type"), pl.lit("K0").alias("incident_id")
    )
    result = schema_check(EXTRACTS["cw_incidents"], frame)
    assert not result.passed
    assert result.metadata["failure_count"].value == 4  # 2 not-allowed + 2 duplicate keys
    assert secret not in repr(result.metadata)
    assert schema_check(EXTRACTS["cw_incidents"], frame.head(0)).passed


def test_month_column_is_a_date(tmp_path):
    assert SOURCE_SCHEMAS["avaya_calls"].columns["month"].dtype.type == pl.Date
    assert list(SOURCE_SCHEMAS["avaya_calls"].columns)[0] == "month"
    assert _valid(tmp_path, "avaya_calls").get_column("month").to_list() == [dt.date(2026, 3, 1)] * 2
