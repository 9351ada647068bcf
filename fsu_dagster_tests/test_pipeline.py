"""The whole pipeline through Dagster, on tiny synthetic data: what `fsu run` leaves in the warehouse.

These tests exercise the wiring (partition windows, the IO manager, checks, the runner), not
the rules themselves, which the step tests pin down on hand-built frames.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

from fsu_dagster import warehouse as wh
from fsu_dagster.runner import PipelineFailed
from fsu_dagster_tests.conftest import build_pipeline

M = dt.date(2026, 10, 1)

CONTRACT_TABLES = {
    "person_totals": [
        "month",
        "person_id",
        "suspect_total",
        "offender_total",
        "victim_total",
        "custody_total",
        "custody_hours",
        "originator_calls",
        "originator_hours",
        "subject_calls",
        "subject_hours",
    ],
    "person_metrics": [
        "month",
        "person_id",
        "metric_investigations_custody",
        "metric_originator",
        "metric_subject",
        "metric_overall",
        "rank_investigations_custody",
        "rank_originator",
        "rank_subject",
        "rank_overall",
    ],
    "cohort": [
        "month",
        "person_id",
        "in_top_investigations_custody",
        "in_top_originator",
        "in_top_subject",
        "in_top_overall",
    ],
    "person_harm": ["month", "person_id", "harm_caused", "harm_received"],
    "person_home_lpa": ["month", "person_id", "home_lpa"],
}


def q(db, sql: str) -> pl.DataFrame:
    with wh.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).pl()


@pytest.mark.parametrize("table", sorted(CONTRACT_TABLES))
def test_contract_tables_exist_with_their_columns_first_and_month_a_date(tiny_built, table):
    cols = q(tiny_built.warehouse, f"describe fsu.{table}")
    names = cols["column_name"].to_list()
    assert names[: len(CONTRACT_TABLES[table])] == CONTRACT_TABLES[table]
    assert cols.filter(pl.col("column_name") == "month")["column_type"].item() == "DATE"
    assert q(tiny_built.warehouse, f"select distinct month from fsu.{table}")["month"].to_list() == [M]


def test_every_universe_table_has_one_row_per_person(tiny_built):
    universe = q(tiny_built.warehouse, "select person_id from fsu.person_totals")
    assert universe.height > 0 and universe["person_id"].n_unique() == universe.height
    for table in ("person_metrics", "person_harm", "person_home_lpa"):
        other = q(tiny_built.warehouse, f"select person_id from fsu.{table}")
        assert sorted(other["person_id"]) == sorted(universe["person_id"]), table


def test_cohort_is_the_union_of_the_top_lists(tiny_built):
    metrics = q(tiny_built.warehouse, "select * from fsu.person_metrics")
    cohort = q(tiny_built.warehouse, "select * from fsu.cohort")
    expected = set()
    for metric in ("investigations_custody", "originator", "subject", "overall"):
        top = metrics.filter((pl.col(f"rank_{metric}") <= 100) & (pl.col(f"metric_{metric}") > 0))
        expected |= set(top["person_id"])
        assert set(cohort.filter(pl.col(f"in_top_{metric}"))["person_id"]) == set(top["person_id"])
    assert set(cohort["person_id"]) == expected
    assert 0 < cohort.height <= 400


def test_window_reads_all_twelve_landing_months(tiny_built):
    manifest = q(
        tiny_built.warehouse, "select extract, count(distinct month) as months from fsu.landing_manifest group by 1"
    )
    assert manifest.height == 9 and set(manifest["months"]) == {12}
    logs = q(tiny_built.warehouse, "select count(*) as n from fsu.cw_logs")["n"].item()
    landed = q(tiny_built.warehouse, "select count(*) as n from fsu.cw_incidents where not is_preplanned")["n"].item()
    assert logs == landed


def test_rerunning_a_month_replaces_it(tiny_built, tmp_path):
    """Re-running must not duplicate a window month (nor the twelve source months under it).

    The first run is the session's ``tiny_built`` (the same data, month and mode), copied."""
    db = tmp_path / "wh.duckdb"
    shutil.copy(tiny_built.warehouse, db)
    counts = {
        t: q(db, f"select count(*) as n from fsu.{t}")["n"].item() for t in ("cw_incidents", "person_totals", "cohort")
    }
    assert all(counts.values()), counts
    build_pipeline(tiny_built.data_dir, db, link_mode="exact")
    assert {t: q(db, f"select count(*) as n from fsu.{t}")["n"].item() for t in counts} == counts


def test_a_missing_landing_month_stops_the_window_and_names_the_month(landing_copy, tmp_path):
    shutil.rmtree(landing_copy / "landing" / "2026-03")
    with pytest.raises(PipelineFailed) as err:
        build_pipeline(landing_copy, tmp_path / "wh.duckdb", link_mode="exact")
    assert "2026-03" in err.value.reason


def test_an_incomplete_window_runs_when_allowed_and_says_so(landing_copy, tmp_path):
    shutil.rmtree(landing_copy / "landing" / "2026-03")
    reports = build_pipeline(landing_copy, tmp_path / "wh.duckdb", link_mode="exact", allow_incomplete_window=True)
    warned = [r for r in reports if any("window_complete" in w for w in r.warnings)]
    assert warned, "an incomplete window must be reported"


def test_fsu_run_exits_non_zero_naming_the_failing_asset(landing_copy, tmp_path, monkeypatch):
    (landing_copy / "landing" / "2026-05" / "connect_custody.csv").write_text("custody_id,person_id\nC1,P1\n")
    monkeypatch.setenv("FSU_DATA_DIR", str(landing_copy))
    monkeypatch.setenv("FSU_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("FSU_LINK_MODE", raising=False)
    from fsu_dagster.cli import app

    result = CliRunner().invoke(app, ["run", "--month", "2026-10", "--link-mode", "exact"])
    assert result.exit_code == 1
    assert "link mode: exact" in result.output
    assert "FSU_LINK_MODE" not in os.environ  # the flag goes into the settings, not the environment
    assert "FAILED at sources/connect_custody" in result.output
    assert "arrival_at" in result.output  # the missing required column is named


def test_fuzzy_mode_links_more_and_counts_controlworks_only_people(tiny_built_fuzzy):
    """Fuzzy mode (the default) links at least what exact mode links, adds provisional CW: people to
    the universe, and the link-quality table reports both modes side by side.

    The fuzzy run of the tiny data is the session's ``tiny_built_fuzzy`` (also the dashboard's CW: tests')."""
    db = tiny_built_fuzzy.warehouse
    links = q(db, "select link_mode, person_id from fsu.cw_person_links")
    assert set(links["link_mode"]) == {"fuzzy"}
    quality = q(
        db, "select mode, sum(n_originator_linked + n_subject_linked) as linked from fsu.link_quality group by 1"
    )
    linked = dict(quality.iter_rows())
    assert set(linked) == {"exact", "fuzzy"} and linked["fuzzy"] > linked["exact"]
    universe = q(db, "select person_id from fsu.person_totals")["person_id"]
    assert universe.str.starts_with("CW:").sum() > 0
    assert q(db, "select count(*) as n from fsu.cohort")["n"].item() > 0


def test_parquet_landing_files_give_the_same_answers_as_csv(tiny_built, tmp_path):
    """A force may land Parquet instead of CSV (contract section 1): the ranking must not change."""
    from fsu_dagster.synth import generate
    from fsu_dagster_tests.conftest import WINDOW_END, WINDOW_START

    data = tmp_path / "parquet"
    generate(out=data, start=WINDOW_START, end=WINDOW_END, scale="tiny", seed=11, fmt="parquet", progress=False)
    assert any((data / "landing" / "2026-01").glob("*.parquet"))
    build_pipeline(data, tmp_path / "wh.duckdb", link_mode="exact")
    for table in ("person_totals", "person_metrics", "cohort", "person_harm", "person_home_lpa"):
        got = q(tmp_path / "wh.duckdb", f"select * from fsu.{table} order by person_id")
        expected = q(tiny_built.warehouse, f"select * from fsu.{table} order by person_id")
        assert got.equals(expected), table


def test_a_record_landed_in_two_months_counts_once(landing_copy, tmp_path):
    """The same custody record re-sent in a later month is one record, and the run still succeeds."""
    import csv

    src = landing_copy / "landing" / "2026-05" / "connect_custody.csv"
    dst = landing_copy / "landing" / "2026-06" / "connect_custody.csv"
    header, first = list(csv.reader(src.open()))[:2]
    person = first[header.index("person_id")]
    with dst.open("a", newline="") as f:
        csv.writer(f).writerow(first)
    db = tmp_path / "wh.duckdb"
    build_pipeline(landing_copy, db, link_mode="exact")
    landed = q(db, f"select count(*) as n from fsu.connect_custody where person_id = '{person}'")["n"].item()
    counted = q(db, f"select custody_total from fsu.person_totals where person_id = '{person}'")["custody_total"].item()
    assert counted == landed - 1


def test_settings_given_to_build_definitions_reach_every_asset(tiny_landing, tmp_path, monkeypatch):
    """``build_definitions(load_settings(...))`` is what the assets see: the environment, which
    says otherwise here, is not read again at run time."""
    monkeypatch.setenv("FSU_LINK_MODE", "fuzzy")
    monkeypatch.setenv("FSU_LIST_SIZE", "100")
    db = tmp_path / "wh.duckdb"
    build_pipeline(tiny_landing, db, link_mode="exact", list_size=3, top_n=7)
    assert set(q(db, "select distinct link_mode from fsu.cw_person_links")["link_mode"]) == {"exact"}
    assert q(db, "select count(*) as n from fsu.person_totals where person_id like 'CW:%'")["n"].item() == 0
    metrics = q(db, "select * from fsu.person_metrics")
    cohort = q(db, "select * from fsu.cohort")
    for metric in ("investigations_custody", "originator", "subject", "overall"):
        top = metrics.filter((pl.col(f"rank_{metric}") <= 3) & (pl.col(f"metric_{metric}") > 0))
        assert set(cohort.filter(pl.col(f"in_top_{metric}"))["person_id"]) == set(top["person_id"])
    assert 0 < cohort.height <= 12
    # top_n normalises by the mean of the largest min(top_n, N) values: the top 7 norms average 1.
    for total in ("suspect_total", "originator_calls", "subject_hours"):
        assert metrics[f"norm_{total}"].top_k(7).mean() == pytest.approx(1.0), total
