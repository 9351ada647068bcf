"""Reference tables and the generator's clock.

Harm totals are only as good as the CCHI table they read, so its loader must refuse
ambiguous tables; and every landing timestamp passes through the clock, so its month
bounds and local-time conversion must be right on DST days.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.reference import (
    load_cchi,
    load_offence_codes,
    load_outcome_codes,
    load_response_grades,
)
from fsu_dagster.synth.clock import months_between, to_local
from fsu_dagster.synth.vocab import OFFENCE_MIX, UNKNOWN_HARM_CODE


def test_packaged_cchi_covers_every_generated_code_but_the_documented_one():
    """All codes the generator draws have a harm value; 99X is the deliberate gap."""
    cchi = load_cchi()
    assert cchi.schema["offence_code"] == pl.String and cchi.schema["harm_days"] == pl.Float64
    codes = {c for mix in OFFENCE_MIX.values() for c in mix}
    assert codes <= set(cchi["offence_code"])
    assert UNKNOWN_HARM_CODE[0] not in set(cchi["offence_code"])
    assert set(load_offence_codes()["offence_code"]) == set(cchi["offence_code"])
    non_crime = load_offence_codes().filter(~pl.col("is_crime"))["offence_code"]
    assert (
        cchi.filter(pl.col("offence_code").is_in(non_crime.implode()))["harm_days"].to_list() == [0.0] * non_crime.len()
    )
    assert cchi.filter(pl.col("offence_code") == "1")["harm_days"].item() == 5475  # murder: 15 years


def test_a_forces_own_table_needs_only_code_and_harm(tmp_path):
    """Settings' cchi_path may point at a two-column table; codes are upper-cased."""
    p = tmp_path / "cchi.csv"
    p.write_text("offence_code,harm_days\n8n,365\n105a,1.5\n")
    df = load_cchi(p)
    assert df.columns == ["offence_code", "offence_description", "harm_days", "basis"]
    assert df.select("offence_code", "harm_days").rows() == [("8N", 365.0), ("105A", 1.5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("offence_code,harm_days\n8N,365\n8n,20\n", "repeats offence code"),
        ("offence_code,days\n8N,365\n", "lacks required column"),
        ("offence_code,harm_days\n8N,\n", "without harm_days"),
    ],
)
def test_ambiguous_or_incomplete_cchi_tables_are_refused(tmp_path, text, message):
    """A duplicated code or a missing value would make harm depend on row order or be silently 0."""
    p = tmp_path / "cchi.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_cchi(p)


def test_missing_cchi_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_cchi(tmp_path / "nope.csv")


def test_outcome_codes_and_response_grades_are_complete():
    """The contract allows outcomes 1-22 and grades P1-P4; the tables describe each once."""
    out = load_outcome_codes()
    assert out["outcome_code"].to_list() == list(range(1, 23))
    assert out["outcome_description"].null_count() == 0
    assert load_response_grades()["response_grade"].to_list() == ["P1", "P2", "P3", "P4"]


def _utc(*args) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(
    ("key", "start_utc", "end_utc"),
    [
        ("2026-01", (2026, 1, 1, 0), (2026, 2, 1, 0)),  # GMT throughout
        ("2026-03", (2026, 3, 1, 0), (2026, 3, 31, 23)),  # April starts at 00:00 BST
        ("2026-10", (2026, 9, 30, 23), (2026, 11, 1, 0)),  # October starts in BST, ends in GMT
        ("2026-06", (2026, 5, 31, 23), (2026, 6, 30, 23)),
    ],
)
def test_month_bounds_are_local_midnights(key, start_utc, end_utc):
    """A record's folder is its local month, so the bounds are local midnights as instants."""
    (m,) = months_between(key, key)
    assert (m.start, m.end) == (_utc(*start_utc), _utc(*end_utc))


def test_months_between_is_inclusive_and_crosses_years():
    assert [m.key for m in months_between("2025-11", "2026-02")] == ["2025-11", "2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("instant", "local"),
    [
        ((2026, 3, 29, 0, 59, 59), "2026-03-29T00:59:59"),  # last GMT second
        ((2026, 3, 29, 1, 0, 0), "2026-03-29T02:00:00"),  # 01:00-01:59 local never appears
        ((2026, 10, 25, 0, 30, 0), "2026-10-25T01:30:00"),  # first pass of the repeated hour (BST)
        ((2026, 10, 25, 1, 30, 0), "2026-10-25T01:30:00"),  # second pass (GMT)
        ((2026, 7, 1, 12, 0, 0), "2026-07-01T13:00:00"),
    ],
)
def test_instants_become_london_wall_clock(instant, local):
    df = pl.DataFrame({"t": [_utc(*instant)]}).select(to_local("t").dt.strftime("%Y-%m-%dT%H:%M:%S"))
    assert df.item() == local
