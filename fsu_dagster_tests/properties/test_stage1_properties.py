"""Property tests of Stage 1 and of reruns (hypothesis; issue 12 item 7).

The windows come from the naive-reference test's generator (``make_window``: ambiguous PNCs,
spelling variants, pre-planned logs, null and negative times, custody over the cap), drawn from a
hypothesis seed. Examples are few and deadlines off, so the file runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsu_dagster import warehouse
from fsu_dagster.contract import EXTRACTS
from fsu_dagster_tests.steps.test_stage1_reference import METRICS, T0, make_window, run_stage1

FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
OUTPUTS = ("totals", "metrics", "cohort", "harm", "home")
seeds = st.integers(min_value=0, max_value=10_000)


@FAST
@given(seed=seeds, shuffle=seeds)
def test_row_order_does_not_matter(seed, shuffle):
    w = make_window(seed)
    a, b = run_stage1(w), run_stage1(w, shuffle_seed=shuffle)
    for name in a:
        assert a[name].equals(b[name]), name


@FAST
@given(seed=seeds, who=st.integers(min_value=0, max_value=119), resources=st.integers(min_value=0, max_value=3))
def test_a_preplanned_log_changes_nothing(seed, who, resources):
    """A pre-planned event mentioning someone already on a log, with resources attached, is
    excluded from every total: no total, metric, cohort flag, harm or home LPA moves."""
    w = make_window(seed)
    before = run_stage1(w)
    source = w["incidents"][who]
    extra = {k: v for k, v in source.items() if k.startswith(("originator_", "subject_"))}
    w["incidents"].append(
        dict(incident_id="PRE1", log_type="INCIDENT", created_at=T0, incident_type="X", is_preplanned=True, **extra)
    )
    for i in range(resources):
        w["resources"].append(
            dict(
                incident_id="PRE1",
                resource_id=f"R{i}",
                resource_group="RESPONSE",
                assigned_at=T0,
                released_at=T0 + dt.timedelta(hours=5),
            )
        )
    after = run_stage1(w)
    for name in OUTPUTS:
        assert before[name].equals(after[name]), name


@FAST
@given(seed=seeds, person=st.integers(min_value=20, max_value=45), released=st.booleans())
def test_raising_one_persons_count_never_lowers_their_metric(seed, person, released):
    """One more custody record for a person: their totals go up and none of their metrics goes down
    (normalisation by the top values' mean can lower other people's metrics, never theirs)."""
    w = make_window(seed)
    before = run_stage1(w)["metrics"]
    pid = f"P{person:03d}"
    arrival = T0 + dt.timedelta(hours=3)
    w["custody"].append(
        dict(
            custody_id="KNEW",
            person_id=pid,
            arrival_at=arrival,
            released_at=arrival + dt.timedelta(hours=4) if released else None,
        )
    )
    after = run_stage1(w)["metrics"]
    new = after.filter(pl.col("person_id") == pid).row(0, named=True)
    old = before.filter(pl.col("person_id") == pid)
    if old.height == 0:  # they were not in the universe: now they are, with a positive metric
        assert new["metric_investigations_custody"] > 0
        return
    old_row = old.row(0, named=True)
    for metric in METRICS:
        assert new[metric] >= old_row[metric] - 1e-12, metric
    assert new["metric_investigations_custody"] > old_row["metric_investigations_custody"] - 1e-12


# ---------------------------------------------------------------- reruns


_ids = st.text(alphabet="ABC0123", min_size=1, max_size=3)
_rows = st.lists(
    st.tuples(_ids, st.integers(min_value=1, max_value=28), st.sampled_from(["999", "101", "OTHER", "bad", ""])),
    min_size=0,
    max_size=12,
)


@settings(max_examples=15, deadline=None, database=None)
@given(first=_rows, second=_rows)
def test_replacing_a_slice_twice_equals_once(first, second, tmp_path_factory):
    """The warehouse's slice replacement (manifest, quarantine, data quality) is idempotent: a
    month replaced twice with the same rows holds them once; other months are untouched."""
    db = tmp_path_factory.mktemp("wh") / "fsu.duckdb"
    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)

    def frame(rows, month):
        return pl.DataFrame(
            {
                "extract": ["e"] * len(rows),
                "month": [month] * len(rows),
                "k": [r[0] for r in rows],
                "n": [r[1] for r in rows],
            },
            schema={"extract": pl.String, "month": pl.Date, "k": pl.String, "n": pl.Int64},
        )

    with warehouse.connect(str(db)) as conn:
        warehouse.replace_rows_atomically(conn, [("fsu.t", frame(second, april), {"extract": "e", "month": april})])
        for _ in range(2):
            warehouse.replace_rows_atomically(conn, [("fsu.t", frame(first, march), {"extract": "e", "month": march})])
        got = conn.execute("select * from fsu.t order by month, k, n").pl()
    expected = pl.concat([frame(first, march), frame(second, april)]).sort("month", "k", "n")
    assert got.equals(expected)


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows)
def test_rerunning_a_month_is_idempotent(rows, tmp_path_factory, monkeypatch):
    """Loading the same landing month twice leaves the table, quarantine, manifest and data-quality
    rows exactly as after the first load (timestamps of the load aside)."""
    from fsu_dagster.defs.resources import build_resources
    from fsu_dagster.defs.sources.assets import build_source_asset
    from fsu_dagster_tests.sources.cases import good_row, write_extract

    root = tmp_path_factory.mktemp("rerun")
    monkeypatch.setenv("FSU_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("FSU_WAREHOUSE", str(root / "fsu.duckdb"))
    monkeypatch.setenv("FSU_QUARANTINE_MAX_RATE", "1")
    monkeypatch.setenv("FSU_VOLUME_BAND", "0")
    avaya = EXTRACTS["avaya_calls"]
    landing = [
        good_row(avaya, key, started_at=f"2026-03-{day:02d}T10:00:00", line=line, answered_at="", ended_at="")
        for key, day, line in rows
    ]
    write_extract(root / "data" / "landing", "avaya_calls", dt.date(2026, 3, 1), landing)
    asset = build_source_asset(avaya)
    queries = {
        "fsu.avaya_calls": "select * from fsu.avaya_calls order by call_id",
        "fsu.quarantine": 'select * exclude (quarantined_at) from fsu.quarantine order by row_number, "column"',
        "fsu.landing_manifest": "select * exclude (loaded_at) from fsu.landing_manifest",
        "fsu.data_quality": "select * exclude (checked_at) from fsu.data_quality",
    }
    snapshots = []
    for _ in range(2):
        dg.materialize([asset], resources=build_resources(), partition_key="2026-03-01")
        with warehouse.connect(str(root / "fsu.duckdb"), read_only=True) as conn:
            snapshots.append({t: conn.execute(q).pl() for t, q in queries.items()})
    for table in queries:
        assert snapshots[0][table].equals(snapshots[1][table]), table
    assert snapshots[1]["fsu.landing_manifest"]["rows_read"].to_list() == [len(rows)]
