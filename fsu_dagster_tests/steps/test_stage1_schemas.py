"""The Stage 1 Pandera models accept real Stage 1 output and reject broken tables."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
import pytest

from fsu_dagster.defs.stage1.schemas import (
    Cohort,
    CwLogs,
    CwPersonLinks,
    IdentityIndex,
    PersonHarm,
    PersonHomeLpa,
    PersonMetrics,
    PersonTotals,
)
from fsu_dagster.identity import identity_index, link_controlworks
from fsu_dagster.stage1 import (
    cohort,
    controlworks_logs,
    person_harm,
    person_home_lpa,
    person_metrics,
    person_totals,
)
from fsu_dagster_tests.steps.stage1_frames import (
    CAP_HOURS,
    M,
    custody,
    frame,
    incidents,
    investigations,
    resources,
    roles,
    ts,
)

D1 = dt.date(1990, 1, 1)


@pytest.fixture(scope="module")
def stage1():
    persons = frame(
        "connect_persons",
        [dict(person_id="P1", forename="Ann", surname="Lee", dob=D1), dict(person_id="P2", pnc_id="07/2B")],
    )
    inc = incidents(
        [
            dict(incident_id="I1", originator_forename="Ann", originator_surname="Lee", originator_dob=D1),
            dict(incident_id="I2", subject_pnc_id="07/2B"),
            dict(incident_id="I3", is_preplanned=True),
        ]
    )
    res = resources([dict(incident_id="I1", assigned_at=ts(1, 0), released_at=ts(1, 2))])
    r = roles([("C1", "P3", "SUSPECT", "DUDLEY"), ("C1", "P1", "VICTIM", None)])
    inv = investigations([("C1", ts(1), "8A")])
    index = identity_index(persons, M)
    logs = controlworks_logs(inc, res, M)
    links = link_controlworks(logs, index, mode="exact")
    totals = person_totals(r, custody([("K1", "P4", ts(2), ts(3))]), links, logs, M, cap_hours=CAP_HOURS)
    metrics = person_metrics(totals, top_n=1000)
    cchi = pl.DataFrame({"offence_code": ["8A"], "harm_days": [10.0]})
    return {
        IdentityIndex: index,
        CwLogs: logs,
        CwPersonLinks: links,
        PersonTotals: totals,
        PersonMetrics: metrics,
        Cohort: cohort(metrics, list_size=100),
        PersonHarm: person_harm(r, inv, cchi, totals),
        PersonHomeLpa: person_home_lpa(r, inv, totals),
    }


@pytest.mark.parametrize(
    "model", [IdentityIndex, CwLogs, CwPersonLinks, PersonTotals, PersonMetrics, Cohort, PersonHarm, PersonHomeLpa]
)
def test_models_accept_stage1_output(stage1, model):
    """Each model accepts what the Stage 1 steps produce (so the asset checks pass on good data)."""
    frame_ = stage1[model]
    assert frame_.height > 0
    model.validate(frame_, lazy=True)


def _break(df: pl.DataFrame, **cols) -> pl.DataFrame:
    return df.with_columns(**{k: pl.Series(k, v, dtype=df.schema[k]) for k, v in cols.items()})


@pytest.mark.parametrize(
    ("model", "breakage"),
    [
        (PersonTotals, lambda d: _break(d, suspect_total=[-1] * d.height)),
        (PersonTotals, lambda d: pl.concat([d, d])),  # duplicate person in the month
        (PersonTotals, lambda d: d.with_columns(pl.col(c) * 0 for c in d.columns[2:])),  # outside the universe
        (PersonMetrics, lambda d: _break(d, metric_overall=[1.5] * d.height)),
        (PersonMetrics, lambda d: _break(d, rank_overall=[1] * d.height)),  # ranks not unique
        (PersonMetrics, lambda d: _break(d, rank_subject=[0] + list(range(2, d.height + 1)))),
        (Cohort, lambda d: d.with_columns(pl.col(c) & False for c in d.columns[2:])),
        (PersonHarm, lambda d: _break(d, harm_caused=[-1.0] * d.height)),
        (PersonHomeLpa, lambda d: _break(d, home_lpa_rule=["nearest"] * d.height)),
        (CwLogs, lambda d: _break(d, hours=[-1.0] * d.height)),
        (CwLogs, lambda d: _break(d, is_preplanned=[True] * d.height)),
        (CwPersonLinks, lambda d: _break(d, score=[1.5] * d.height)),
        (CwPersonLinks, lambda d: _break(d, role=["caller"] * d.height)),
        (IdentityIndex, lambda d: pl.concat([d, d])),
    ],
)
def test_models_reject_broken_tables(stage1, model, breakage):
    """Each rule the models state actually fails a table that breaks it."""
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):
        model.validate(breakage(stage1[model]), lazy=True)
