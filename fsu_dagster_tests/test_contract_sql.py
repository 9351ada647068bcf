"""Data contract section 3, implemented a second time in plain DuckDB SQL from the landing CSVs.

This shares no code with the pipeline (no polars, no ingest, no Stage 1 steps): it reads the
twelve landing folders with DuckDB's CSV reader and applies the contract's sentences directly.
The warehouse built by `fsu run --link-mode exact` must agree column by column: integer totals
exactly, hours to 1e-6, metrics to 1e-9, ranks, cohort membership and home LPA exactly.

Two details matter for exact ranks: the repeated autumn hour takes the earlier instant (DuckDB's
timezone() takes the later one, hence the macro), and hours are summed as whole seconds and
divided once, so people with equal hours get equal values rather than rounding noise.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from fsu_dagster import warehouse as wh

TOTALS = [
    "suspect_total",
    "offender_total",
    "victim_total",
    "custody_total",
    "custody_hours",
    "originator_calls",
    "originator_hours",
    "subject_calls",
    "subject_hours",
]
METRICS = {
    "investigations_custody": TOTALS[0:5],
    "originator": TOTALS[5:7],
    "subject": TOTALS[7:9],
    "overall": TOTALS,
}


#: A landing timestamp (Europe/London local time, no offset) as epoch seconds of its instant. In the
#: repeated autumn hour the contract takes the earlier instant; DuckDB's timezone() takes the later
#: one, so step back an hour when that instant still shows the same local time.
LOCAL_EPOCH_MACRO = """
create macro local_epoch(s) as (
  with t as (select strptime(nullif(trim(s), ''), '%Y-%m-%dT%H:%M:%S') as ts)
  select case
    when timezone('Europe/London', timezone('Europe/London', ts) - interval 1 hour) = ts
      then epoch(timezone('Europe/London', ts)) - 3600
    else epoch(timezone('Europe/London', ts)) end
  from t)
"""


def _ts(col: str) -> str:
    return f"local_epoch({col})"


def _name(col: str) -> str:
    return f"nullif(regexp_replace(upper({col}), '[^A-Z]', '', 'g'), '')"


def independent_stage1(landing: str) -> dict[str, pl.DataFrame]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(LOCAL_EPOCH_MACRO)
    for extract in ("cw_incidents", "cw_resources", "connect_persons", "connect_person_roles", "connect_custody"):
        con.execute(
            f"create view {extract} as select * from read_csv('{landing}/*/{extract}.csv', all_varchar = true, header = true)"
        )
    con.execute(f"""
        create table idx as select distinct person_id, {_name("forename")} as fn, {_name("surname")} as sn,
               cast(nullif(dob, '') as date) as dob, nullif(replace(upper(pnc_id), ' ', ''), '') as pnc
        from connect_persons;
        create table logs as select incident_id from cw_incidents where lower(is_preplanned) <> 'true';
        create table log_hours as
          select l.incident_id, coalesce(sum(greatest(coalesce(
                   {_ts("r.released_at")} - least({_ts("r.assigned_at")}, {_ts("r.deployed_at")}, {_ts("r.arrived_at")}), 0), 0)), 0) as seconds
          from logs l left join cw_resources r using (incident_id) group by l.incident_id;
        create table mentions as
          select i.incident_id, role, fn, sn, dob, pnc from cw_incidents i join logs using (incident_id),
          lateral (values
            ('originator', {_name("i.originator_forename")}, {_name("i.originator_surname")},
             cast(nullif(i.originator_dob, '') as date), nullif(replace(upper(i.originator_pnc_id), ' ', ''), '')),
            ('subject', {_name("i.subject_forename")}, {_name("i.subject_surname")},
             cast(nullif(i.subject_dob, '') as date), nullif(replace(upper(i.subject_pnc_id), ' ', ''), ''))
          ) as m(role, fn, sn, dob, pnc);
        create table pnc_hits as
          select m.incident_id, m.role, count(distinct x.person_id) as n, min(x.person_id) as person_id
          from mentions m join idx x on m.pnc = x.pnc group by all;
        create table name_hits as
          select m.incident_id, m.role, count(distinct x.person_id) as n, min(x.person_id) as person_id
          from mentions m join idx x on m.fn = x.fn and m.sn = x.sn and m.dob = x.dob
          where not exists (select 1 from pnc_hits p where p.incident_id = m.incident_id and p.role = m.role)
          group by all;
        create table links as
          select incident_id, role, person_id from pnc_hits where n = 1
          union all select incident_id, role, person_id from name_hits where n = 1;
        create table totals as
        with roles as (
          select person_id,
            count(distinct investigation_id) filter (where upper(trim(role)) = 'SUSPECT') as suspect_total,
            count(distinct investigation_id) filter (where upper(trim(role)) = 'OFFENDER') as offender_total,
            count(distinct investigation_id) filter (where upper(trim(role)) = 'VICTIM') as victim_total
          from connect_person_roles group by person_id),
        custody as (
          select person_id, count(*) as custody_total,
            sum(coalesce(least(greatest({_ts("released_at")} - {_ts("arrival_at")}, 0), 200 * 3600), 0)) / 3600.0 as custody_hours
          from connect_custody group by person_id),
        calls as (
          select person_id,
            count(*) filter (where role = 'originator') as originator_calls,
            coalesce(sum(seconds) filter (where role = 'originator'), 0) / 3600.0 as originator_hours,
            count(*) filter (where role = 'subject') as subject_calls,
            coalesce(sum(seconds) filter (where role = 'subject'), 0) / 3600.0 as subject_hours
          from (select distinct incident_id, role, person_id from links) join log_hours using (incident_id)
          group by person_id),
        everyone as (select person_id from roles union select person_id from custody union select person_id from calls)
        select person_id,
          coalesce(suspect_total, 0) as suspect_total, coalesce(offender_total, 0) as offender_total,
          coalesce(victim_total, 0) as victim_total, coalesce(custody_total, 0) as custody_total,
          coalesce(custody_hours, 0) as custody_hours, coalesce(originator_calls, 0) as originator_calls,
          coalesce(originator_hours, 0) as originator_hours, coalesce(subject_calls, 0) as subject_calls,
          coalesce(subject_hours, 0) as subject_hours
        from everyone left join roles using (person_id) left join custody using (person_id) left join calls using (person_id);
        delete from totals where {" + ".join(TOTALS)} = 0;
    """)
    totals = con.execute("select * from totals order by person_id").pl()

    n = totals.height
    scales = {}
    for t in TOTALS:
        top = sorted(totals[t].to_list(), reverse=True)[: min(1000, n)]
        scales[t] = sum(top) / len(top)
    metrics = totals.select("person_id")
    for metric, ts in METRICS.items():
        raw = sum((totals[t] / scales[t] if scales[t] else totals[t] * 0.0) for t in ts) / len(ts)
        top = raw.max()
        metrics = metrics.with_columns((raw / top if top else raw * 0.0).alias(f"metric_{metric}"))
    for metric in METRICS:
        ranked = metrics.sort([f"metric_{metric}", "person_id"], descending=[True, False]).with_row_index(
            f"rank_{metric}", offset=1
        )
        metrics = metrics.join(ranked.select("person_id", pl.col(f"rank_{metric}").cast(pl.Int64)), on="person_id")
    cohort = metrics.filter(
        pl.any_horizontal((pl.col(f"rank_{m}") <= 100) & (pl.col(f"metric_{m}") > 0) for m in METRICS)
    ).select("person_id")

    con.register("universe", totals.select("person_id").to_arrow())
    home = con.execute(f"""
        with inv as (select investigation_id, max({_ts("recorded_at")}) as rec from read_csv('{landing}/*/connect_investigations.csv',
                     all_varchar = true, header = true) group by 1),
        pairs as (select distinct r.person_id, r.investigation_id, trim(r.home_lpa) as lpa from connect_person_roles r
                  where nullif(trim(r.home_lpa), '') is not null),
        counted as (select person_id, lpa, count(*) as n, max(rec) as latest from pairs left join inv using (investigation_id) group by 1, 2),
        ranked as (select *, row_number() over (partition by person_id order by n desc, latest desc nulls last, lpa) as k from counted)
        select u.person_id, r.lpa as home_lpa from universe u left join ranked r on r.person_id = u.person_id and r.k = 1
        order by 1
    """).pl()
    return {"totals": totals, "metrics": metrics.sort("person_id"), "cohort": cohort, "home": home}


@pytest.fixture(scope="module")
def both(small_built):
    expected = independent_stage1(str(small_built.data_dir / "landing"))
    with wh.connect(str(small_built.warehouse), read_only=True) as conn:
        got = {
            "totals": conn.execute("select * exclude (month) from fsu.person_totals order by person_id").pl(),
            "metrics": conn.execute("select * from fsu.person_metrics order by person_id").pl(),
            "cohort": conn.execute("select person_id from fsu.cohort order by person_id").pl(),
            "home": conn.execute("select person_id, home_lpa from fsu.person_home_lpa order by person_id").pl(),
        }
    return expected, got


def test_same_universe(both):
    expected, got = both
    assert got["totals"]["person_id"].to_list() == expected["totals"]["person_id"].to_list()


@pytest.mark.parametrize("total", TOTALS)
def test_each_total_agrees(both, total):
    expected, got = both
    e, g = expected["totals"][total], got["totals"][total]
    if total.endswith("hours"):
        assert (e.cast(pl.Float64) - g).abs().max() <= 1e-6
    else:
        assert e.cast(pl.Int64).to_list() == g.to_list()


@pytest.mark.parametrize("metric", list(METRICS))
def test_each_metric_and_rank_agrees(both, metric):
    expected, got = both
    assert (expected["metrics"][f"metric_{metric}"] - got["metrics"][f"metric_{metric}"]).abs().max() <= 1e-9
    assert expected["metrics"][f"rank_{metric}"].to_list() == got["metrics"][f"rank_{metric}"].to_list()


def test_cohort_and_home_lpa_agree(both):
    expected, got = both
    assert sorted(expected["cohort"]["person_id"]) == got["cohort"]["person_id"].to_list()
    assert expected["home"].equals(got["home"])
