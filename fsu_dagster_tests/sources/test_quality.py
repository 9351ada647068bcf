"""The data-quality summary (fsu.data_quality, the printout) and the volume guard (issue 12)."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from fsu_dagster import warehouse
from fsu_dagster.contract import EXTRACTS
from fsu_dagster.defs.resources import build_resources
from fsu_dagster.defs.sources.assets import build_source_asset
from fsu_dagster.ingest import find_landing_file, parse_extract
from fsu_dagster.quality import quality_rows, summary_lines, volume_verdicts
from fsu_dagster.settings import FsuSettings, load_settings
from fsu_dagster.volume import record_acceptance
from fsu_dagster.window import months_from
from fsu_dagster_tests.sources.cases import good_row, write_extract

MONTHS = months_from(dt.date(2025, 11, 1), dt.date(2026, 11, 1))
OCT = dt.date(2026, 10, 1)
BAND = FsuSettings.model_fields["volume_band"].default
RANGE = {"dagster/asset_partition_range_start": "2025-11-01", "dagster/asset_partition_range_end": "2026-10-01"}


def _flat(n: int = 100, **months: int) -> dict[dt.date, int]:
    counts = dict.fromkeys(MONTHS, n)
    counts.update({dt.date(int(k[1:5]), int(k[6:8]), 1): v for k, v in months.items()})
    return counts


# ---------------------------------------------------------------- the guard's rule


@pytest.mark.parametrize(
    ("rows", "passes"), [(0, False), (10, False), (49, False), (50, True), (100, True), (200, True), (201, False)]
)
def test_a_month_outside_the_band_around_the_trailing_median_fails(rows, passes):
    verdicts = volume_verdicts(_flat(m2026_10=rows), {}, band=BAND)
    assert verdicts[OCT].median == 100 and verdicts[OCT].history == 6
    assert verdicts[OCT].passed is passes
    assert all(v.passed for m, v in verdicts.items() if m != OCT)


@pytest.mark.parametrize(("rows", "passes"), [(0, False), (2, False), (12, True), (24, True), (48, True), (70, False)])
def test_a_small_extracts_chance_variation_is_not_a_shrink(rows, passes):
    """With a median of 25 a month varies by about 5 (sqrt 25) by chance: 12 is outside the band but
    within 4 of those, so it passes; an empty month, or one 4 deviations off, still fails."""
    counts = {dt.date(2026, m, 1): 25 for m in range(4, 10)} | {OCT: rows}
    assert volume_verdicts(counts, {}, band=BAND)[OCT].passed is passes
    assert volume_verdicts(counts, {}, band=BAND, noise_sigmas=0)[OCT].passed is (12.5 <= rows <= 50)


def test_first_months_have_no_history_and_pass():
    """A fresh warehouse loading twelve months compares each with the months before it in the range."""
    verdicts = volume_verdicts(_flat(m2025_11=1, m2025_12=1000, m2026_01=5), {}, band=BAND)
    assert [v.status for v in verdicts.values()][:3] == ["no history"] * 3
    assert verdicts[dt.date(2026, 2, 1)].history == 3


def test_in_range_months_judge_later_ones_and_history_comes_from_earlier_loads():
    counts = {dt.date(2026, 9, 1): 100, OCT: 0}
    earlier = {dt.date(2026, m, 1): 100 for m in range(3, 9)}
    verdicts = volume_verdicts(counts, earlier, band=BAND)
    assert verdicts[dt.date(2026, 9, 1)].passed and not verdicts[OCT].passed
    assert verdicts[OCT].median == 100 and verdicts[OCT].history == 6


def test_empty_months_do_not_count_as_history_and_acceptance_passes_with_a_status():
    counts = _flat(m2026_05=0, m2026_10=0)
    verdicts = volume_verdicts(counts, {}, band=BAND, accepted=[dt.date(2026, 5, 1)])
    assert verdicts[dt.date(2026, 5, 1)].status == "accepted" and verdicts[dt.date(2026, 5, 1)].passed
    assert verdicts[dt.date(2026, 6, 1)].median == 100  # the empty May is not part of the median
    assert verdicts[OCT].status == "outside band"


def test_a_month_without_any_landing_file_is_left_to_the_window_check():
    """A landing folder with no files at all is a missing month (the window check refuses it unless
    allow_incomplete_window); an extract missing from a month that has other files is a shrink."""
    verdicts = volume_verdicts(_flat(m2026_10=0, m2026_09=0), {}, band=BAND, absent=[OCT])
    assert verdicts[OCT].status == "month missing" and verdicts[OCT].passed
    assert verdicts[dt.date(2026, 9, 1)].status == "outside band"


def test_band_zero_turns_the_guard_off():
    assert all(v.passed for v in volume_verdicts(_flat(m2026_10=0), {}, band=0).values())


def _landed_counts(root) -> dict[str, dict[dt.date, int]]:
    out = {}
    for name, extract in EXTRACTS.items():
        out[name] = {
            m: parse_extract(find_landing_file(root / "landing", name, m), extract, m).stats["rows_read"]
            for m in MONTHS
        }
    return out


@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_synthetic_data_passes_the_guard_at_the_default_band(scale, request):
    """Generated months are noisy at tiny scale; the default band must accept them (a false alarm
    every run would teach people to accept without looking)."""
    root = request.getfixturevalue(f"{scale}_landing")
    for name, counts in _landed_counts(root).items():
        failing = [v for v in volume_verdicts(counts, {}, band=BAND).values() if not v.passed]
        assert failing == [], (name, failing)


# ---------------------------------------------------------------- the asset check and acceptances


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("FSU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FSU_WAREHOUSE", str(tmp_path / "wh" / "fsu.duckdb"))
    for var in ("FSU_QUARANTINE_MAX_RATE", "FSU_VOLUME_BAND", "FSU_LANDING_ENCODING"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "data" / "landing", tmp_path / "wh" / "fsu.duckdb"


def _custody_month(landing, month: dt.date, n: int) -> None:
    rows = [
        good_row(
            EXTRACTS["connect_custody"],
            f"K{month:%m}{i}",
            arrested_at=f"{month:%Y-%m}-05T09:00:00",
            arrival_at=f"{month:%Y-%m}-05T10:00:00",
            released_at=f"{month:%Y-%m}-05T12:00:00",
        )
        for i in range(n)
    ]
    write_extract(landing, "connect_custody", month, rows)


def _check(result, name):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _query(db, sql):
    with warehouse.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).pl()


def test_header_only_month_fails_the_blocking_volume_check_until_accepted(env):
    landing, db = env
    for m in MONTHS[:-1]:
        _custody_month(landing, m, 40)
    _custody_month(landing, OCT, 0)  # a header-only file
    custody = build_source_asset(EXTRACTS["connect_custody"])
    downstream = []

    @dg.asset(key=["probe"], deps=[custody.key], partitions_def=custody.partitions_def)
    def probe() -> None:
        downstream.append(True)

    result = dg.materialize([custody, probe], resources=build_resources(), tags=RANGE, raise_on_error=False)
    check = _check(result, "connect_custody_volume")
    assert not check.passed and downstream == []
    message = check.metadata["message"].value
    for part in (
        "connect_custody 2026-10",
        "0 rows read",
        "median 40",
        "fsu accept-volume --extract connect_custody --month 2026-10",
    ):
        assert part in message, message
    status = _query(db, "select month, volume_status from fsu.data_quality order by month").rows()
    assert status[-1] == (OCT, "outside band") and status[0] == (MONTHS[0], "no history")

    record_acceptance(db, "connect_custody", "2026-10", "suite closed for refurbishment", who="analyst")
    result = dg.materialize([custody], resources=build_resources(), partition_key="2026-10-01")
    check = _check(result, "connect_custody_volume")
    assert check.passed and "accepted" in check.metadata["note"].value
    assert _query(db, "select extract, month, reason, accepted_by from fsu.volume_acceptances").rows() == [
        ("connect_custody", OCT, "suite closed for refurbishment", "analyst")
    ]
    # A month loaded on its own is judged against the months loaded before (the manifest).
    assert _query(
        db, "select volume_median, volume_status from fsu.data_quality where month = '2026-10-01'"
    ).rows() == [(40.0, "accepted")]


def test_accept_volume_refuses_bad_input(env):
    _, db = env
    with pytest.raises(ValueError, match="unknown extract"):
        record_acceptance(db, "nope", "2026-10", "x")
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        record_acceptance(db, "connect_custody", "Oct 2026", "x")
    with pytest.raises(ValueError, match="reason is required"):
        record_acceptance(db, "connect_custody", "2026-10", "   ")


def test_accept_volume_command(env):
    from typer.testing import CliRunner

    from fsu_dagster.cli import app

    _, db = env
    out = CliRunner().invoke(
        app, ["accept-volume", "--extract", "cw_incidents", "--month", "2026-09", "--reason", "strike"]
    )
    assert out.exit_code == 0, out.output
    assert "Accepted the volume of cw_incidents 2026-09" in out.output
    assert _query(db, "select extract, month, reason from fsu.volume_acceptances").rows() == [
        ("cw_incidents", dt.date(2026, 9, 1), "strike")
    ]
    bad = CliRunner().invoke(app, ["accept-volume", "--extract", "cw_incidents", "--month", "2026-9x", "--reason", "x"])
    assert bad.exit_code == 1


def test_data_quality_table_counts_orphans_ignored_columns_and_reasons(env, monkeypatch):
    landing, db = env
    monkeypatch.setenv("FSU_QUARANTINE_MAX_RATE", "0.5")
    march = dt.date(2026, 3, 1)
    inc = EXTRACTS["cw_incidents"]
    write_extract(landing, "cw_incidents", march, [good_row(inc, "I1"), good_row(inc, "I2"), good_row(inc, "I1")])
    res = EXTRACTS["cw_resources"]
    rows = [good_row(res, incident_id=i, released_at="2026-03-10T13:00:00") for i in ("I1", "I2", "I9", "I9")]
    write_extract(landing, "cw_resources", march, rows)
    assets = [build_source_asset(inc), build_source_asset(res)]
    dg.materialize(assets, resources=build_resources(), partition_key="2026-03-01")
    dq = _query(db, "select * from fsu.data_quality order by extract")
    by = {r["extract"]: r for r in dq.iter_rows(named=True)}
    assert by["cw_resources"]["orphan_child_rows"] == 2 and by["cw_incidents"]["orphan_child_rows"] is None
    assert json.loads(by["cw_incidents"]["quarantined_by_reason"]) == {"duplicate primary key": 1}
    assert (
        by["cw_incidents"]["rows_read"],
        by["cw_incidents"]["rows_accepted"],
        by["cw_incidents"]["rows_quarantined"],
    ) == (3, 2, 1)
    assert by["cw_incidents"]["encoding"] == "utf-8"
    text = "\n".join(summary_lines(dq))
    assert "cw_resources: 4 read, 4 accepted; 2 orphan child rows" in text
    assert "cw_incidents: 3 read, 2 accepted; 1 rows quarantined (duplicate primary key 1)" in text


def test_summary_lines_are_compact_and_only_name_extracts_with_problems(tiny_landing):
    months = MONTHS[-2:]
    parsed = [
        parse_extract(find_landing_file(tiny_landing / "landing", n, m), e, m)
        for n, e in EXTRACTS.items()
        for m in months
    ]
    lines = summary_lines(quality_rows(parsed, dt.datetime(2026, 11, 1)))
    assert lines[0].startswith("Data quality, 9 extracts x 2 months (2026-09 .. 2026-10):")
    assert lines[0].endswith("no problems found") and len(lines) == 1
    broken = parsed[0]
    broken.stats["extra_columns_ignored"] = ["notes"]
    lines = summary_lines(quality_rows(parsed, dt.datetime(2026, 11, 1)))
    assert len(lines) == 3 and lines[1].startswith(f"  {broken.extract}: ") and "ignored columns notes" in lines[1]


def test_run_prints_the_summary_and_fails_when_a_month_shrank(landing_copy, tmp_path, monkeypatch):
    """`fsu run` on tiny data with October's custody file emptied: exit 1 naming extract, month,
    count and median, and the summary printed anyway (issue 12: a header-only month silently
    changed the cohort)."""
    from fsu_dagster.definitions import build_definitions
    from fsu_dagster.runner import PipelineFailed, run_month

    path = landing_copy / "landing" / "2026-10" / "connect_custody.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = load_settings(data_dir=landing_copy, warehouse=tmp_path / "wh.duckdb", link_mode="exact")
    lines: list[str] = []
    with pytest.raises(PipelineFailed) as info:
        run_month("2026-10", echo=lines.append, defs=build_definitions(settings))
    assert info.value.asset == "sources/connect_custody"
    assert "connect_custody 2026-10: 0 rows read (empty, header-only or missing file)" in info.value.reason
    assert "median" in info.value.reason and "fsu accept-volume" in info.value.reason
    text = "\n".join(lines)
    assert "Data quality, 9 extracts x 12 months" in text
    assert "connect_custody:" in text and "volume 2026-10: 0 rows read vs median" in text
    assert not any("stage1/" in line for line in lines)  # nothing downstream ran


def test_summary_names_extracts_the_run_did_not_load(tmp_path):
    """Rows of an earlier run are not passed off as this run's: extracts without fresh rows are listed."""
    from fsu_dagster.runner import data_quality_summary

    db = tmp_path / "fsu.duckdb"
    landing = tmp_path / "landing"
    _custody_month(landing, OCT, 3)
    parsed = [parse_extract(find_landing_file(landing, "connect_custody", OCT), EXTRACTS["connect_custody"], OCT)]
    old, new = dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 2)
    with warehouse.connect(str(db)) as conn:
        warehouse.replace_rows(conn, "fsu.data_quality", quality_rows(parsed, old), {})
    lines = data_quality_summary(db, [OCT], since=new)
    assert lines == [
        "Data quality: nothing loaded",
        "  not loaded by this run (step failed or skipped): " + ", ".join(EXTRACTS),
    ]
    assert data_quality_summary(db, [OCT], since=old)[0].startswith("Data quality, 1 extracts x 1 months")


def test_data_quality_of_the_window_is_published_with_the_snapshot(tiny_built, tmp_path):
    """The dashboard reads snapshots only: the window's twelve months of fsu.data_quality go with it."""
    import duckdb

    from fsu_dagster.publish import publish_snapshot

    path = publish_snapshot(tiny_built.warehouse, tmp_path / "snaps", "2026-10")
    with duckdb.connect(str(path), read_only=True) as conn:
        months, rows, extracts = conn.execute(
            "select count(distinct month), count(*), count(distinct extract) from fsu.data_quality"
        ).fetchone()
    assert (months, rows, extracts) == (12, 108, 9)
    with warehouse.connect(str(tiny_built.warehouse), read_only=True) as conn:
        statuses = set(conn.execute("select distinct volume_status from fsu.data_quality").pl()["volume_status"])
    assert statuses <= {"ok", "no history"}  # the generated data passes the guard end to end
