"""Provisional ``CW:`` individuals, ControlWorks linking and the link-quality aggregate.

A frequent caller with no Connect record must still be counted as one person (the
method's "people who may be missed"), without merging different people who happen
to share a phone or a surname, and with IDs that do not change between runs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fsu_dagster.identity.clustering import cluster_unlinked, connected_components
from fsu_dagster.identity.controlworks import link_controlworks
from fsu_dagster.identity.quality import link_quality

D = dt.date


def _m(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"record_id": pl.Int64, "forename": pl.String, "surname": pl.String, "dob": pl.Date, "phone": pl.String},
        orient="row",
    )


def _groups(out: pl.DataFrame) -> list[list[int]]:
    g = out.group_by("person_id").agg(pl.col("record_id").sort()).sort(pl.col("record_id").list.first())
    return g["record_id"].to_list()


def test_connected_components():
    """Edges 0-1, 1-2 and 3-4 give two components labelled by their smallest node."""
    labels = connected_components(6, np.array([1, 3, 0]), np.array([2, 4, 1]))
    assert labels.tolist() == [0, 0, 0, 3, 3, 5]


@pytest.mark.parametrize(
    "rows, groups",
    [
        # Same name and DOB, whatever the phone.
        ([(1, "Dean", "Platt", D(1980, 1, 2), None), (2, "DEAN", "platt", D(1980, 1, 2), "07700900001")], [[1, 2]]),
        # Same phone, nickname-close name, no DOB on one: one caller.
        ([(1, "Robert", "Platt", D(1980, 1, 2), "07700900001"), (2, "Bob", "Platt", None, "07700900001")], [[1, 2]]),
        # Same names, DOB day/month swapped: one caller.
        ([(1, "Dean", "Platt", D(1980, 1, 2), None), (2, "Dean", "Platt", D(1980, 2, 1), None)], [[1, 2]]),
        # Same DOB, surname typo: one caller.
        ([(1, "Dean", "Platt", D(1980, 1, 2), None), (2, "Dean", "Plat", D(1980, 1, 2), None)], [[1, 2]]),
        # Same phone, different people in the household: kept apart.
        (
            [(1, "Dean", "Platt", D(1980, 1, 2), "01214960000"), (2, "Sharon", "Platt", D(1982, 5, 6), "01214960000")],
            [[1], [2]],
        ),
        # Same name, DOBs far apart: namesakes, kept apart.
        ([(1, "Dean", "Platt", D(1980, 1, 2), None), (2, "Dean", "Platt", D(1995, 7, 9), None)], [[1], [2]]),
        # Same phone and name but contradicting DOBs (father and son): kept apart.
        (
            [(1, "Dean", "Platt", D(1960, 1, 2), "07700900001"), (2, "Dean", "Platt", D(1990, 8, 3), "07700900001")],
            [[1], [2]],
        ),
        # Transitive: 1~2 by name+DOB, 2~3 by phone.
        (
            [
                (1, "Dean", "Platt", D(1980, 1, 2), None),
                (2, "Dean", "Platt", D(1980, 1, 2), "07700900001"),
                (3, "Dean", "Platt", None, "07700900001"),
            ],
            [[1, 2, 3]],
        ),
    ],
)
def test_grouping_rules(rows, groups):
    """Each merge rule joins the same caller and refuses to join different people."""
    assert _groups(cluster_unlinked(_m(rows))) == groups


def test_name_only_mentions_get_no_individual():
    """A bare name (no DOB, no phone) cannot be told apart from its namesakes."""
    out = cluster_unlinked(_m([(1, "Dean", "Platt", None, None), (2, None, "Platt", D(1980, 1, 2), None)]))
    assert out.height == 0


def test_ids_are_stable_and_prefixed():
    """IDs depend on the data, not on row order or record numbers, and start CW:."""
    rows = [
        (1, "Dean", "Platt", D(1980, 1, 2), None),
        (2, "Dean", "Platt", D(1980, 1, 2), "07700900001"),
        (3, "Zoë", "Ng", D(2000, 3, 4), None),
    ]
    a = cluster_unlinked(_m(rows))
    shuffled = _m([(r[0] + 100, *r[1:]) for r in reversed(rows)])
    b = cluster_unlinked(shuffled)
    assert sorted(a["person_id"].unique()) == sorted(b["person_id"].unique())
    assert a["person_id"].str.starts_with("CW:").all()
    assert a["person_id"].str.len_chars().to_list() == [15, 15, 15]
    assert (a["score"] == 1.0).all() and (a["reason"] == "cw:provisional").all()


def test_empty_and_all_null():
    assert cluster_unlinked(_m([])).height == 0
    assert cluster_unlinked(_m([(1, None, None, None, None)])).height == 0


def _logs() -> pl.DataFrame:
    ts = dt.datetime
    return pl.DataFrame(
        {
            "incident_id": ["L1", "L2", "L3", "L4"],
            "created_at": [ts(2026, 1, 5, 10), ts(2026, 1, 9, 11), ts(2026, 2, 1, 9), ts(2026, 2, 3, 9)],
            "originator_forename": ["Xanthe", "Dean", "DEAN", None],
            "originator_surname": ["Quayle", "Platt", "Platt", None],
            "originator_dob": [D(1990, 12, 25), D(1980, 1, 2), D(1980, 1, 2), None],
            "originator_pnc_id": [None, None, None, None],
            "originator_phone": [None, "07700900001", None, None],
            "subject_forename": ["Xanthy", None, None, "Xanthe"],
            "subject_surname": ["Quayle", None, None, "Quayle"],
            "subject_dob": [D(1990, 12, 25), None, None, D(1990, 12, 25)],
            "subject_pnc_id": [None, None, None, None],
        }
    )


PERSONS = pl.DataFrame(
    {
        "person_id": ["P3"],
        "forename": ["Xanthe"],
        "surname": ["Quayle"],
        "dob": [D(1990, 12, 25)],
        "pnc_id": [None],
        "phone_number": [None],
    },
    schema={
        "person_id": pl.String,
        "forename": pl.String,
        "surname": pl.String,
        "dob": pl.Date,
        "pnc_id": pl.String,
        "phone_number": pl.String,
    },
)


def test_link_controlworks_fuzzy_adds_cw_individuals_and_exact_does_not():
    """Fuzzy mode counts Dean Platt (no Connect record) as one CW: person over two logs."""
    fuzzy = link_controlworks(_logs(), PERSONS, mode="fuzzy")
    assert fuzzy.columns == ["incident_id", "role", "person_id", "score", "reason"]
    connect = fuzzy.filter(pl.col("person_id") == "P3")
    assert sorted(zip(connect["incident_id"], connect["role"], strict=True)) == [
        ("L1", "originator"),
        ("L1", "subject"),
        ("L4", "subject"),
    ]
    cw = fuzzy.filter(pl.col("person_id").str.starts_with("CW:"))
    assert cw["incident_id"].to_list() == ["L2", "L3"] and cw["person_id"].n_unique() == 1
    exact = link_controlworks(_logs(), PERSONS, mode="exact")
    assert not exact["person_id"].str.starts_with("CW:").any()
    assert sorted(exact["incident_id"].to_list()) == ["L1", "L4"]  # the typo'd subject is missed


def test_link_quality_counts_logs_per_mode_and_month():
    """Shares are logs with a linked originator / subject over all logs of the month."""
    logs = _logs()
    q = link_quality(
        {"exact": link_controlworks(logs, PERSONS, mode="exact"), "fuzzy": link_controlworks(logs, PERSONS)}, logs
    )
    rows = {(r["mode"], r["log_month"]): r for r in q.iter_rows(named=True)}
    jan_exact, jan_fuzzy = rows[("exact", D(2026, 1, 1))], rows[("fuzzy", D(2026, 1, 1))]
    assert jan_exact["n_logs"] == 2 and jan_exact["n_originator_linked"] == 1 and jan_exact["n_subject_linked"] == 0
    assert jan_fuzzy["n_originator_linked"] == 2 and jan_fuzzy["n_originator_provisional"] == 1
    assert jan_fuzzy["n_subject_linked"] == 1 and jan_fuzzy["share_subject_linked"] == pytest.approx(0.5)
    feb_fuzzy = rows[("fuzzy", D(2026, 2, 1))]
    assert feb_fuzzy["n_originator_given"] == 1 and feb_fuzzy["share_originator_given_linked"] == pytest.approx(1.0)
    assert feb_fuzzy["n_subject_connect"] == 1


@pytest.mark.parametrize("subject_phone", [False, True])
def test_link_quality_given_is_a_log_with_a_mention_of_that_role(subject_phone):
    """A role is "given" on a log exactly when ``controlworks_mentions`` has a mention of it
    there: any one detail (a phone too, where the log has the column), not an all-null role."""
    from fsu_dagster.identity.controlworks import controlworks_mentions

    details = ("forename", "surname", "dob", "pnc_id", "phone")
    rows = []
    for i, only in enumerate((*details, None)):  # each detail alone, then nothing at all
        row = {"incident_id": f"L{i}", "created_at": dt.datetime(2026, 1, 5 + i, 10)}
        for role in ("originator", "subject"):
            for d in details:
                if d == "phone" and role == "subject" and not subject_phone:
                    continue
                value = {"dob": D(1980, 1, 2), "phone": "07700900001"}.get(d, "X") if d == only else None
                row[f"{role}_{d}"] = value
        rows.append(row)
    schema = {c: (pl.Date if c.endswith("_dob") else pl.Datetime if c == "created_at" else pl.String) for c in rows[0]}
    logs = pl.DataFrame(rows, schema=schema)
    mentioned = controlworks_mentions(logs)
    q = link_quality(
        {"exact": pl.DataFrame({"incident_id": ["L0"], "role": ["originator"], "person_id": ["P1"]})}, logs
    )
    for role in ("originator", "subject"):
        expected = mentioned.filter(pl.col("role") == role)["incident_id"].n_unique()
        assert q[f"n_{role}_given"].sum() == expected
    assert q["n_originator_given"].sum() == 5 and q["n_subject_given"].sum() == (5 if subject_phone else 4)


def test_propagate_by_phone_links_dob_less_and_bare_phone_mentions():
    """A caller linked on several calls from one number keeps being that person on the
    calls where only the name, or only the number, was taken; a shared line does not."""
    from fsu_dagster.identity.context import propagate_by_phone

    mentions = pl.DataFrame(
        {
            "record_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
            "forename": ["Robert", "Robert", "Robert", "Bob", None, "Robert", "Sharon", "Dean", None],
            "surname": ["Platt", "Platt", "Platt", "Platt", None, "Platt", "Platt", "Platt", None],
            "dob": [D(1980, 1, 2)] * 3 + [None, None, D(1999, 1, 1), None, D(1970, 1, 1), None],
            "pnc_id": [None] * 9,
            "phone": ["07700900001"] * 7 + ["01214960000", "01214960000"],
        }
    )
    links = pl.DataFrame(
        {
            "record_id": [1, 2, 3, 8],
            "person_id": ["P1", "P1", "P1", "P2"],
            "score": [0.99, 0.97, 0.999, 0.99],
            "reason": ["name_dob"] * 4,
        }
    )
    out = propagate_by_phone(mentions, links).sort("record_id")
    # 4: nickname of a linked name, no DOB -> P1. 5: number only, linked 3 times to P1 -> P1.
    # 6: has a DOB (it was not linked for a reason) -> nothing. 7: another name -> nothing.
    # 9: number only, but linked just once -> nothing.
    assert out.select("record_id", "person_id", "reason").rows() == [(4, "P1", "phone_name"), (5, "P1", "phone_only")]
    assert out["score"].to_list() == [0.97, 0.97]
