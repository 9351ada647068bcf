"""Stage 1 against a second, deliberately naive implementation of the data contract.

The contract's rules are re-implemented here in plain Python loops with exact
``Fraction`` arithmetic (so ties are true ties), and compared with the polars steps on
random windows full of awkward cases: ambiguous PNC IDs, spelling variants, duplicate
role rows, pre-planned logs, null and negative times, custody over the cap, tied home
LPAs. An independent implementation will be compared with ours in the same way, so any
disagreement here is a contract violation in one of the two.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from fractions import Fraction

import polars as pl
import pytest

from fsu_dagster.identity import identity_index, link_controlworks
from fsu_dagster.stage1 import (
    TOTALS,
    cohort,
    controlworks_logs,
    person_harm,
    person_home_lpa,
    person_metrics,
    person_totals,
)
from fsu_dagster_tests.steps.stage1_frames import M, frame

TOP_N = 6
LIST_SIZE = 4
CAP = 200
METRICS = {
    "metric_investigations_custody": TOTALS[0:5],
    "metric_originator": TOTALS[5:7],
    "metric_subject": TOTALS[7:9],
    "metric_overall": TOTALS,
}
T0 = dt.datetime(2026, 1, 1)
LPAS = ["DUDLEY", "WALSALL", "COVENTRY"]


# ---------------------------------------------------------------- random window


def make_window(seed: int) -> dict:
    rnd = random.Random(seed)
    forenames = ["Ann", "Bob", "Cy", "Dee", "Éva"]
    surnames = ["Lee", "O'Neil", "Smith-Jones", "Kaur"]
    dobs = [dt.date(1980, 1, 1), dt.date(1990, 5, 5), dt.date(2001, 2, 3)]
    persons = []
    for i in range(30):
        pid = f"P{i:03d}"
        for _ in range(rnd.randint(1, 3)):
            persons.append(
                dict(
                    person_id=pid,
                    forename=rnd.choice(forenames + [None]),
                    surname=rnd.choice(surnames),
                    dob=rnd.choice(dobs + [None]),
                    pnc_id=rnd.choice([None, None, f"07/{i % 25:06d}A"]),  # i and i+25 share a PNC
                )
            )

    def variant(s):
        if s is None or rnd.random() < 0.5:
            return s
        return rnd.choice([s.upper(), s.lower(), f" {s} ", s.replace("-", " "), s + "."])

    def mention():
        if rnd.random() < 0.15:
            return {}
        v = rnd.choice(persons)
        pnc = v["pnc_id"] if rnd.random() < 0.5 else rnd.choice([None, "99/999999Z"])
        if pnc and rnd.random() < 0.5:
            pnc = " " + pnc.lower().replace("/", " / ")
        return dict(
            forename=variant(v["forename"]),
            surname=variant(v["surname"]),
            dob=v["dob"] if rnd.random() < 0.9 else None,
            pnc_id=pnc,
        )

    incidents, resources = [], []
    for i in range(120):
        iid = f"I{i:04d}"
        row = dict(
            incident_id=iid, log_type="INCIDENT", created_at=T0, incident_type="X", is_preplanned=rnd.random() < 0.1
        )
        for role in ("originator", "subject"):
            for k, v in mention().items():
                row[f"{role}_{k}"] = v
        incidents.append(row)
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):

            def t():
                return None if rnd.random() < 0.2 else T0 + dt.timedelta(minutes=rnd.randint(0, 600))

            resources.append(
                dict(
                    incident_id=iid,
                    resource_id="R",
                    resource_group="RESPONSE",
                    assigned_at=t(),
                    deployed_at=t(),
                    arrived_at=t(),
                    released_at=t(),
                )
            )

    investigations = [
        dict(
            investigation_id=f"C{i:03d}",
            recorded_at=T0 + dt.timedelta(days=rnd.randint(0, 20)),
            offence_code=rnd.choice(["8A", "28E", "105A", "UNRATED"]),
            offence_description="X",
            main_group="X",
            is_crime=rnd.random() < 0.8,
        )
        for i in range(50)
    ]
    roles = [
        dict(
            investigation_id=f"C{rnd.randint(0, 49):03d}",
            person_id=f"P{rnd.randint(0, 39):03d}",
            role=rnd.choice(["SUSPECT", "OFFENDER", "VICTIM", "WITNESS", "OTHER"]),
            home_lpa=rnd.choice(LPAS + [None]),
        )
        for _ in range(140)
    ]
    custody = []
    for i in range(40):
        arrival = T0 + dt.timedelta(hours=rnd.randint(0, 500))
        released = None if rnd.random() < 0.15 else arrival + dt.timedelta(minutes=rnd.randint(-600, 300 * 60))
        custody.append(
            dict(custody_id=f"K{i}", person_id=f"P{rnd.randint(20, 45):03d}", arrival_at=arrival, released_at=released)
        )
    return dict(
        persons=persons,
        incidents=incidents,
        resources=resources,
        investigations=investigations,
        roles=roles,
        custody=custody,
    )


# ---------------------------------------------------------------- naive reference


def norm_name(s):
    if s is None:
        return None
    out = re.sub("[^A-Z]", "", s.upper())
    return out or None


def norm_pnc(s):
    if s is None:
        return None
    out = s.upper().replace(" ", "")
    return out or None


def hours(a, b) -> Fraction:
    return Fraction(int((b - a).total_seconds()), 3600)


def reference(w: dict) -> dict:
    # Linking.
    def link(m):
        pnc = norm_pnc(m.get("pnc_id"))
        if pnc is not None:
            hits = {v["person_id"] for v in w["persons"] if norm_pnc(v["pnc_id"]) == pnc}
            if len(hits) == 1:
                return hits.pop()
            if len(hits) > 1:
                return None
        key = (norm_name(m.get("forename")), norm_name(m.get("surname")), m.get("dob"))
        if None in key:
            return None
        hits = {
            v["person_id"] for v in w["persons"] if (norm_name(v["forename"]), norm_name(v["surname"]), v["dob"]) == key
        }
        return hits.pop() if len(hits) == 1 else None

    logs = {i["incident_id"]: i for i in w["incidents"] if not i["is_preplanned"]}
    log_hours = {iid: Fraction(0) for iid in logs}
    for r in w["resources"]:
        if r["incident_id"] not in logs:
            continue
        starts = [r[k] for k in ("assigned_at", "deployed_at", "arrived_at") if r[k] is not None]
        if starts and r["released_at"] is not None:
            log_hours[r["incident_id"]] += max(hours(min(starts), r["released_at"]), Fraction(0))

    totals = defaultdict(lambda: dict.fromkeys(TOTALS, Fraction(0)))
    for role_name, total in (("SUSPECT", "suspect_total"), ("OFFENDER", "offender_total"), ("VICTIM", "victim_total")):
        seen = {(r["person_id"], r["investigation_id"]) for r in w["roles"] if r["role"] == role_name}
        for pid, _ in seen:
            totals[pid][total] += 1
    for c in w["custody"]:
        totals[c["person_id"]]["custody_total"] += 1
        if c["released_at"] is not None:
            totals[c["person_id"]]["custody_hours"] += min(max(hours(c["arrival_at"], c["released_at"]), 0), CAP)
    for iid, log in logs.items():
        for role in ("originator", "subject"):
            pid = link({k: log.get(f"{role}_{k}") for k in ("forename", "surname", "dob", "pnc_id")})
            if pid is not None:
                totals[pid][f"{role}_calls"] += 1
                totals[pid][f"{role}_hours"] += log_hours[iid]
    universe = {p: t for p, t in totals.items() if any(v != 0 for v in t.values())}

    n_top = min(TOP_N, len(universe))
    scale = {t: sum(sorted((u[t] for u in universe.values()), reverse=True)[:n_top]) / n_top for t in TOTALS}
    raw = {
        m: {p: sum((u[t] / scale[t] if scale[t] else 0) for t in ts) / len(ts) for p, u in universe.items()}
        for m, ts in METRICS.items()
    }
    metric = {}
    for m in METRICS:
        mx = max(raw[m].values())
        metric[m] = {p: (v / mx if mx else Fraction(0)) for p, v in raw[m].items()}
    rank = {
        m: {p: i + 1 for i, p in enumerate(sorted(universe, key=lambda p, m=m: (-metric[m][p], p)))} for m in METRICS
    }
    cohort_ = {p: tuple(rank[m][p] <= LIST_SIZE and metric[m][p] > 0 for m in METRICS) for p in universe}
    cohort_ = {p: f for p, f in cohort_.items() if any(f)}

    # Home LPA.
    recorded = {i["investigation_id"]: i["recorded_at"] for i in w["investigations"]}
    home = {}
    for p in universe:
        pairs = {
            (r["investigation_id"], r["home_lpa"])
            for r in w["roles"]
            if r["person_id"] == p and r["home_lpa"] is not None
        }
        if not pairs:
            home[p] = None
            continue
        count = defaultdict(int)
        last = {}
        for inv, lpa in pairs:
            count[lpa] += 1
            last[lpa] = max(last.get(lpa, dt.datetime.min), recorded.get(inv) or dt.datetime.min)
        best = max(count.values())
        tied = [lpa for lpa in count if count[lpa] == best]
        latest = max(last[lpa] for lpa in tied)
        home[p] = min(lpa for lpa in tied if last[lpa] == latest)

    # Harm.
    cchi = {"8A": 365.0, "28E": 10.0, "105A": 1.5}
    code = {i["investigation_id"]: i["offence_code"] for i in w["investigations"]}
    harm = {}
    for p in universe:
        caused = {
            r["investigation_id"] for r in w["roles"] if r["person_id"] == p and r["role"] in ("SUSPECT", "OFFENDER")
        }
        received = {r["investigation_id"] for r in w["roles"] if r["person_id"] == p and r["role"] == "VICTIM"}
        harm[p] = (sum(cchi.get(code.get(i), 0.0) for i in caused), sum(cchi.get(code.get(i), 0.0) for i in received))
    return dict(universe=universe, metric=metric, rank=rank, cohort=cohort_, home=home, harm=harm)


# ---------------------------------------------------------------- comparison


def run_stage1(w: dict, shuffle_seed: int | None = None) -> dict[str, pl.DataFrame]:
    def f(extract, key):
        df = frame(extract, w[key])
        return df.sample(fraction=1.0, shuffle=True, seed=shuffle_seed) if shuffle_seed is not None else df

    index = identity_index(f("connect_persons", "persons"), M)
    logs = controlworks_logs(f("cw_incidents", "incidents"), f("cw_resources", "resources"), M)
    links = link_controlworks(logs, index, mode="exact")
    roles = f("connect_person_roles", "roles")
    inv = f("connect_investigations", "investigations")
    totals = person_totals(roles, f("connect_custody", "custody"), links, logs, M, cap_hours=CAP)
    metrics = person_metrics(totals, top_n=TOP_N)
    cchi = pl.DataFrame({"offence_code": ["8A", "28E", "105A"], "harm_days": [365.0, 10.0, 1.5]})
    return dict(
        index=index,
        logs=logs,
        links=links,
        totals=totals,
        metrics=metrics,
        cohort=cohort(metrics, list_size=LIST_SIZE),
        harm=person_harm(roles, inv, cchi, totals),
        home=person_home_lpa(roles, inv, totals),
    )


@pytest.mark.parametrize("seed", range(3))
def test_stage1_independent_of_row_order(seed):
    """Shuffling every input gives bit-identical outputs: reruns and re-extracts cannot reorder the list."""
    w = make_window(seed)
    a, b = run_stage1(w), run_stage1(w, shuffle_seed=seed + 100)
    for name in a:
        assert a[name].equals(b[name]), name


@pytest.mark.parametrize("seed", range(8))
def test_stage1_matches_naive_reference(seed):
    """Totals exactly (hours too), metrics to 1e-12, ranks, cohort, home LPA and harm exactly."""
    w = make_window(seed)
    ref = reference(w)

    index = identity_index(frame("connect_persons", w["persons"]), M)
    logs = controlworks_logs(frame("cw_incidents", w["incidents"]), frame("cw_resources", w["resources"]), M)
    links = link_controlworks(logs, index, mode="exact")
    roles = frame("connect_person_roles", w["roles"])
    inv = frame("connect_investigations", w["investigations"])
    totals = person_totals(roles, frame("connect_custody", w["custody"]), links, logs, M, cap_hours=CAP)
    metrics = person_metrics(totals, top_n=TOP_N)
    co = cohort(metrics, list_size=LIST_SIZE)
    cchi = pl.DataFrame({"offence_code": ["8A", "28E", "105A"], "harm_days": [365.0, 10.0, 1.5]})

    assert totals.get_column("person_id").to_list() == sorted(ref["universe"])
    for row in totals.iter_rows(named=True):
        expected = ref["universe"][row["person_id"]]
        for t in TOTALS:
            if t.endswith("hours"):
                # Exact: hours are summed as whole microseconds and converted once.
                assert row[t] == float(expected[t]), (row["person_id"], t)
            else:
                assert row[t] == expected[t], (row["person_id"], t)

    for row in metrics.iter_rows(named=True):
        p = row["person_id"]
        for m in METRICS:
            assert row[m] == pytest.approx(float(ref["metric"][m][p]), abs=1e-12), (p, m)
            assert row[m.replace("metric_", "rank_")] == ref["rank"][m][p], (p, m)

    assert {r[0]: tuple(r[1:]) for r in co.drop("month").rows()} == ref["cohort"]
    assert dict(person_home_lpa(roles, inv, totals).select("person_id", "home_lpa").rows()) == ref["home"]
    harm = person_harm(roles, inv, cchi, totals)
    assert harm.get_column("person_id").to_list() == sorted(ref["harm"])
    for p, caused, received in harm.drop("month").rows():
        assert (caused, received) == pytest.approx(ref["harm"][p]), p
