"""The nine source assets end to end: landing CSVs -> fsu.<extract>, fsu.quarantine, fsu.landing_manifest.

Runs dg.materialize against a temporary DuckDB and landing area (FSU_DATA_DIR / FSU_WAREHOUSE).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from fsu_dagster import warehouse
from fsu_dagster.contract import EXTRACTS
from fsu_dagster.defs.partitions import landing_month
from fsu_dagster.defs.resources import build_resources
from fsu_dagster.defs.sources.assets import SOURCE_ASSETS, build_source_asset, months_in_window
from fsu_dagster.ingest import output_schema
from fsu_dagster_tests.sources.cases import good_row, write_extract

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
AVAYA = EXTRACTS["avaya_calls"]
CW = EXTRACTS["cw_incidents"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private data dir and warehouse; returns (landing dir, warehouse path).

    The file is deliberately called ``fsu.duckdb``: DuckDB names a file's catalog after it, which
    clashes with the ``fsu`` schema unless the warehouse is attached under its own alias.
    """
    monkeypatch.setenv("FSU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FSU_WAREHOUSE", str(tmp_path / "wh" / "fsu.duckdb"))
    monkeypatch.delenv("FSU_QUARANTINE_MAX_RATE", raising=False)
    return tmp_path / "data" / "landing", tmp_path / "wh" / "fsu.duckdb"


def _run(assets, partition_key=None, tags=None, raise_on_error=True):
    return dg.materialize(
        assets, resources=build_resources(), partition_key=partition_key, tags=tags, raise_on_error=raise_on_error
    )


def _query(db, sql):
    with warehouse.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).pl()


def _avaya_rows(month: dt.date, n: int, bad: int = 0) -> list[dict[str, str]]:
    ts = f"{month:%Y-%m}-05T10:00:00"
    rows = [good_row(AVAYA, f"{month:%m}-{i:03d}", started_at=ts) for i in range(n)]
    rows += [good_row(AVAYA, f"{month:%m}-bad{i}", started_at="not a time") for i in range(bad)]
    return rows


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_month_rematerialised_replaces_its_rows(env, monkeypatch):
    """Re-running a month after the force re-sends a corrected file must replace, not append:
    the table, the quarantine and the manifest each hold that month once."""
    landing, db = env
    monkeypatch.setenv("FSU_QUARANTINE_MAX_RATE", "0.5")
    avaya = build_source_asset(AVAYA)
    write_extract(landing, "avaya_calls", MAR, _avaya_rows(MAR, 5, bad=1))
    write_extract(landing, "avaya_calls", FEB, _avaya_rows(FEB, 2))
    _run([avaya], "2026-02-01")
    _run([avaya], "2026-03-01")
    _run([avaya], "2026-03-01")  # the same file again
    assert _query(db, "select month, count(*) n from fsu.avaya_calls group by 1 order by 1").rows() == [
        (FEB, 2),
        (MAR, 5),
    ]
    assert _query(db, "select month, row_number, reason from fsu.quarantine").rows() == [
        (MAR, 6, "unparseable timestamp: expected ISO 8601")
    ]

    write_extract(landing, "avaya_calls", MAR, _avaya_rows(MAR, 3))  # corrected file
    result = _run([avaya], "2026-03-01")
    assert _query(db, "select month, count(*) n from fsu.avaya_calls group by 1 order by 1").rows() == [
        (FEB, 2),
        (MAR, 3),
    ]
    assert _query(db, "select count(*) from fsu.quarantine").item() == 0
    manifest = _query(
        db,
        "select extract, month, file, rows_read, rows_valid, rows_quarantined from fsu.landing_manifest order by month",
    )
    assert manifest.rows() == [
        ("avaya_calls", FEB, "landing/2026-02/avaya_calls.csv", 2, 2, 0),
        ("avaya_calls", MAR, "landing/2026-03/avaya_calls.csv", 3, 3, 0),
    ]
    assert _check(result, "avaya_calls_schema").passed
    assert _check(result, "avaya_calls_quarantine_rate").passed


def test_partition_range_loads_every_month_in_one_run(env):
    """Backfills run as one run over a range (single-run backfill policy): each month is loaded
    with its own month value, and a month without a file is recorded as loaded-but-empty."""
    landing, db = env
    avaya = build_source_asset(AVAYA)
    write_extract(landing, "avaya_calls", JAN, _avaya_rows(JAN, 1))
    write_extract(landing, "avaya_calls", MAR, _avaya_rows(MAR, 4))
    result = _run(
        [avaya],
        tags={"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-03-01"},
    )
    assert _query(db, "select month, count(*) from fsu.avaya_calls group by 1 order by 1").rows() == [
        (JAN, 1),
        (MAR, 4),
    ]
    assert _query(db, "select month, file, rows_read from fsu.landing_manifest order by month").rows() == [
        (JAN, "landing/2026-01/avaya_calls.csv", 1),
        (FEB, None, 0),
        (MAR, "landing/2026-03/avaya_calls.csv", 4),
    ]
    mats = result.asset_materializations_for_node(avaya.node_def.name)
    assert sorted(m.partition for m in mats) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    mat = mats[0]
    assert mat.metadata["dagster/row_count"].value == 5
    assert mat.metadata["rows_per_month"].value == {"2026-01": 1, "2026-02": 0, "2026-03": 4}
    assert mat.metadata["months_without_file"].value == ["2026-02"]


def test_quarantine_rate_above_threshold_fails_blocking_check(env, monkeypatch):
    """Too many bad rows means a broken export: the check fails and, being blocking, stops downstream."""
    landing, db = env
    monkeypatch.setenv("FSU_QUARANTINE_MAX_RATE", "0.2")
    downstream_ran = []

    @dg.asset(key=["probe"], deps=[dg.AssetKey(["sources", "avaya_calls"])], partitions_def=landing_month)
    def probe() -> None:
        downstream_ran.append(True)

    write_extract(landing, "avaya_calls", MAR, _avaya_rows(MAR, 3, bad=1))  # 1/4 = 25% > 20%
    result = _run([build_source_asset(AVAYA), probe], "2026-03-01", raise_on_error=False)
    check = _check(result, "avaya_calls_quarantine_rate")
    assert not check.passed
    assert check.metadata["per_month"].value == {"2026-03": {"rows_read": 4, "rows_quarantined": 1, "rate": 0.25}}
    assert check.metadata["months_over_threshold"].value == ["2026-03"]
    assert downstream_ran == []
    # The month is still recorded, so an analyst can see what was wrong.
    assert _query(db, "select count(*) from fsu.quarantine").item() == 1


def test_empty_extract_creates_a_typed_table_and_manifest_row(env):
    """An extract the force never sends must still exist as a typed, empty table for the window layers."""
    landing, db = env
    _run([build_source_asset(EXTRACTS["compact_missing"])], "2026-03-01")
    assert _query(db, "select count(*) from fsu.compact_missing").item() == 0
    table = _query(db, "select * from fsu.compact_missing")
    assert table.schema == pl.Schema(output_schema(EXTRACTS["compact_missing"]))
    assert _query(db, "select extract, month, file, rows_read from fsu.landing_manifest").rows() == [
        ("compact_missing", MAR, None, 0)
    ]


def test_io_manager_round_trips_pipeline_dtypes(env):
    """Downstream assets load sources through the DuckDB-polars IO manager: month must be a DATE and
    timestamps naive, booleans and ints typed, or every later step would need casts."""
    landing, db = env
    loaded = {}
    july = dt.date(2026, 7, 1)
    row = good_row(CW, "0001", created_at="2026-07-01T09:30:00", is_preplanned="TRUE", originator_dob="1990-05-17")
    write_extract(landing, "cw_incidents", july, [row])
    write_extract(
        landing, "avaya_calls", july, [good_row(AVAYA, "0002", started_at="2026-07-01T09:00:00", duration_seconds="42")]
    )

    @dg.asset(
        key=["probe"],
        ins={"cw": dg.AssetIn(key=["sources", "cw_incidents"]), "calls": dg.AssetIn(key=["sources", "avaya_calls"])},
        partitions_def=landing_month,
        io_manager_key="mem",
    )
    def probe(cw: pl.DataFrame, calls: pl.DataFrame) -> None:
        loaded.update(cw=cw, calls=calls)

    assets = [build_source_asset(CW), build_source_asset(AVAYA), probe]
    dg.materialize(assets, resources={**build_resources(), "mem": dg.InMemoryIOManager()}, partition_key="2026-07-01")
    assert loaded["cw"].schema == pl.Schema(output_schema(CW))
    assert loaded["calls"].schema == pl.Schema(output_schema(AVAYA))
    assert loaded["cw"].select("month", "incident_id", "created_at", "is_preplanned", "originator_dob").row(0) == (
        july,
        "0001",
        dt.datetime(2026, 7, 1, 8, 30),
        True,
        dt.date(1990, 5, 17),
    )
    assert loaded["calls"].select("call_id", "duration_seconds").row(0) == ("0002", 42)
    types = dict(
        _query(
            db, "select column_name, data_type from information_schema.columns where table_name = 'avaya_calls'"
        ).rows()
        + _query(
            db, "select column_name, data_type from information_schema.columns where table_name = 'cw_incidents'"
        ).rows()
    )
    assert (
        types["month"],
        types["created_at"],
        types["is_preplanned"],
        types["originator_dob"],
        types["duration_seconds"],
    ) == ("DATE", "TIMESTAMP", "BOOLEAN", "DATE", "BIGINT")


def test_unreadable_file_fails_the_run_and_keeps_loaded_months(env):
    """A broken re-send must not wipe the month already loaded: the run fails naming file and line."""
    landing, db = env
    avaya = build_source_asset(AVAYA)
    path = write_extract(landing, "avaya_calls", MAR, _avaya_rows(MAR, 2))
    _run([avaya], "2026-03-01")
    path.write_text(path.read_text() + "03-999,2026-03-05T10:00:00\n")
    result = _run([avaya], "2026-03-01", raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "landing/2026-03/avaya_calls.csv line 4: expected 7 fields, found 2" in str(failure.step_failure_data.error)
    assert _query(db, "select count(*) from fsu.avaya_calls").item() == 2
    assert _query(db, "select rows_read from fsu.landing_manifest").item() == 2


def test_all_nine_assets_share_the_layer_conventions():
    """Later layers address sources by key and partition; a drifting key, group or policy breaks them."""
    assert sorted(a.key.path[1] for a in SOURCE_ASSETS) == sorted(EXTRACTS)
    for a in SOURCE_ASSETS:
        assert a.key.path[0] == "sources"
        assert a.group_names_by_key[a.key] == "sources"
        assert a.partitions_def == landing_month
        assert a.backfill_policy == dg.BackfillPolicy.single_run()
        assert a.metadata_by_key[a.key]["partition_expr"] == "month"
        assert {c.name for c in a.check_specs} == {
            f"{a.key.path[1]}_schema",
            f"{a.key.path[1]}_quarantine_rate",
            f"{a.key.path[1]}_volume",
        }
        assert all(c.blocking for c in a.check_specs)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-01", "2026-04-01", [MAR]),
        ("2025-11-01", "2026-02-01", [dt.date(2025, 11, 1), dt.date(2025, 12, 1), JAN]),
    ],
)
def test_months_in_window(start, end, expected):
    """Partition ranges span year ends."""
    window = dg.TimeWindow(
        dt.datetime.fromisoformat(start + "T00:00:00+00:00"), dt.datetime.fromisoformat(end + "T00:00:00+00:00")
    )
    assert months_in_window(window) == expected
