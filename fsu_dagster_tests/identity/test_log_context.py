"""The other person on the same log as evidence (``log_context_links``), and the rule
that only sure links are spread further (``propagate_by_phone``).

A caller who gives name, DOB and number and then names herself, without a DOB, as the
subject is the same person: the log says so, even when the index holds a namesake.
But the log must not turn a household member into the caller, must not override what
a mention's own DOB says, and must not act on data too thin to estimate how often
people ring about themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl

from fsu_dagster.identity.config import LINK_CONFIG
from fsu_dagster.identity.context import propagate_by_phone
from fsu_dagster.identity.controlworks import link_controlworks
from fsu_dagster_tests.identity.test_home_postcodes import FILLER_PERSONS

D = dt.date
T = dt.datetime

# Two namesakes: Laura Begum A (1990) and Laura Begum B (1972).
PERSONS = pl.concat(
    [
        FILLER_PERSONS,
        pl.DataFrame(
            {
                "person_id": ["A", "B"],
                "forename": ["Laura", "Laura"],
                "surname": ["Begum", "Begum"],
                "dob": [D(1990, 4, 2), D(1972, 11, 30)],
                "pnc_id": [None, None],
                "phone_number": ["07700900123", None],
            },
            schema=FILLER_PERSONS.schema,
        ),
    ]
)
COLUMNS = ("forename", "surname", "dob", "pnc_id")


def _logs(rows: list[tuple[str, tuple | None, tuple | None]]) -> pl.DataFrame:
    """Logs from ``(incident_id, originator, subject)``; a person is ``(forename,
    surname, dob[, phone])`` or None."""
    data: dict[str, list] = {"incident_id": [], "created_at": []}
    for role in ("originator", "subject"):
        for c in (*COLUMNS, *(("phone",) if role == "originator" else ())):
            data[f"{role}_{c}"] = []
    for incident_id, orig, subj in rows:
        data["incident_id"].append(incident_id)
        data["created_at"].append(T(2026, 3, 4, 12))
        for role, who in (("originator", orig), ("subject", subj)):
            who = who or (None, None, None)
            data[f"{role}_forename"].append(who[0])
            data[f"{role}_surname"].append(who[1])
            data[f"{role}_dob"].append(who[2])
            data[f"{role}_pnc_id"].append(None)
            if role == "originator":
                data["originator_phone"].append(who[3] if len(who) > 3 else None)
    schema = {k: pl.String for k in data} | {
        "created_at": pl.Datetime("us"),
        "originator_dob": pl.Date,
        "subject_dob": pl.Date,
    }
    return pl.DataFrame(data, schema=schema)


def _background(n: int) -> list[tuple]:
    """``n`` logs whose two people are surely linked filler people; one in three is
    about the caller herself."""
    f = FILLER_PERSONS
    rows = []
    for i in range(n):
        caller = (f["forename"][i], f["surname"][i], f["dob"][i])
        j = i if i % 3 == 0 else i + 1000
        rows.append((f"BG{i:04d}", caller, (f["forename"][j], f["surname"][j], f["dob"][j])))
    return rows


def _link(logs: pl.DataFrame, incident_id: str, role: str, **kw) -> dict | None:
    out = link_controlworks(logs, PERSONS, cluster=False, **kw).filter(
        (pl.col("incident_id") == incident_id) & (pl.col("role") == role)
    )
    return out.row(0, named=True) if out.height else None


LAURA_A_CALLING = ("Laura", "Begum", D(1990, 4, 2), "07700900123")


def test_without_the_log_a_bare_name_is_ambiguous():
    """Control: the subject "Laura Begum" with no DOB, on a log of its own, links nobody."""
    logs = _logs([*_background(60), ("L1", None, ("Laura", "Begum", None))])
    assert _link(logs, "L1", "subject") is None


def test_a_caller_naming_herself_as_subject_is_the_same_person():
    """The caller is surely A; the subject, same name and no DOB, is A (not namesake B)."""
    logs = _logs([*_background(60), ("L1", LAURA_A_CALLING, ("LAURA", "begum", None))])
    assert _link(logs, "L1", "originator")["person_id"] == "A"
    subject = _link(logs, "L1", "subject")
    assert subject is not None and subject["person_id"] == "A"
    assert subject["reason"].endswith("log_context") and subject["score"] >= 0.8


def test_the_context_works_both_ways_round():
    """A subject surely linked makes the caller with the same name and no DOB that person."""
    logs = _logs([*_background(60), ("L1", ("Laura", "Begum", None), ("Laura", "Begum", D(1990, 4, 2)))])
    originator = _link(logs, "L1", "originator")
    assert originator is not None and originator["person_id"] == "A"


def test_a_household_member_is_not_made_the_caller():
    """Sharon Begum, on a log at the home Laura A shares with her, is someone else: the
    log and the address say "Laura's household", not "Laura" (different forename)."""
    logs = _logs([*_background(60), ("L1", LAURA_A_CALLING, ("Sharon", "Begum", None))]).with_columns(
        pl.when(pl.col("incident_id") == "L1").then(pl.lit("B65 2YS")).otherwise(None).alias("location_postcode")
    )
    roles = pl.DataFrame(
        {"investigation_id": ["I-A"], "person_id": ["A"], "role": ["VICTIM"], "home_postcode": ["B65 2YS"]}
    )
    assert _link(logs, "L1", "originator", person_roles=roles)["person_id"] == "A"
    assert _link(logs, "L1", "subject", person_roles=roles) is None


def test_a_mentions_own_dob_outweighs_the_log():
    """The subject gives B's DOB: she is B (the caller's namesake), not the caller."""
    logs = _logs([*_background(60), ("L1", LAURA_A_CALLING, ("Laura", "Begum", D(1972, 11, 30)))])
    assert _link(logs, "L1", "subject")["person_id"] == "B"


def test_too_few_logs_to_learn_from_give_no_context():
    """Fewer than CONTEXT_MIN_LOGS logs with both people surely linked: no estimate of
    how often people ring about themselves, so the log is not used."""
    logs = _logs([*_background(LINK_CONFIG.context_min_logs - 10), ("L1", LAURA_A_CALLING, ("Laura", "Begum", None))])
    assert _link(logs, "L1", "originator")["person_id"] == "A"
    assert _link(logs, "L1", "subject") is None


def test_a_weak_link_is_not_propagated_by_phone():
    """Mentions from one number linked only weakly (below 0.99) do not pass their person
    on to the number's name-only or number-only mentions; one sure link does."""
    mentions = pl.DataFrame(
        {
            "record_id": [1, 2, 3, 4, 5],
            "forename": ["Robert", "Robert", "Robert", "Robert", None],
            "surname": ["Platt"] * 4 + [None],
            "dob": [D(1980, 1, 2), D(1980, 1, 2), D(1980, 1, 2), None, None],
            "pnc_id": [None] * 5,
            "phone": ["07700900001"] * 5,
        }
    )
    weak = pl.DataFrame(
        {"record_id": [1, 2, 3], "person_id": ["P1"] * 3, "score": [0.85, 0.9, 0.95], "reason": ["fuzzy:dob~else"] * 3}
    )
    assert propagate_by_phone(mentions, weak).height == 0
    sure = weak.with_columns(pl.Series("score", [0.85, 0.9, 0.995]))
    out = propagate_by_phone(mentions, sure).sort("record_id")
    assert out.select("record_id", "person_id", "reason").rows() == [(4, "P1", "phone_name"), (5, "P1", "phone_only")]


def test_the_frequency_prior_counts_within_a_role():
    """Laura Begum A is the subject of thirty logs (surely linked), never a caller. A
    no-DOB subject "Laura Begum" is then most likely her; a no-DOB *caller* "Laura Begum"
    is not: being rung about often does not make her the likelier caller of the two."""
    often = [(f"V{i:03d}", None, ("Laura", "Begum", D(1990, 4, 2))) for i in range(30)]
    logs = _logs(
        [*_background(60), *often, ("L1", None, ("Laura", "Begum", None)), ("L2", ("Laura", "Begum", None), None)]
    )
    subject = _link(logs, "L1", "subject")
    assert subject is not None and subject["person_id"] == "A"
    assert _link(logs, "L2", "originator") is None


def test_a_number_is_tied_to_a_person_only_by_a_dob_or_pnc_link():
    """A no-DOB call linked surely on name and address alone (say, a carer named like
    the person she visits, ringing from that home) does not hand the caller's number to
    the person: her other no-DOB calls from it stay unlinked. A sure link that gave a
    DOB does tie the number."""
    mentions = pl.DataFrame(
        {
            "record_id": [1, 2, 3],
            "forename": ["Laura"] * 3,
            "surname": ["Smith"] * 3,
            "dob": [None, None, None],
            "pnc_id": [None] * 3,
            "phone": ["07700900002"] * 3,
        },
        schema_overrides={"dob": pl.Date, "pnc_id": pl.String},
    )
    by_address = pl.DataFrame(
        {"record_id": [1], "person_id": ["P7"], "score": [0.995], "reason": ["fuzzy:dob~missing,postcode=exact"]}
    )
    assert propagate_by_phone(mentions, by_address).height == 0
    with_dob = mentions.with_columns(pl.when(pl.col("record_id") == 1).then(D(1980, 1, 2)).otherwise(None).alias("dob"))
    out = propagate_by_phone(with_dob, by_address.with_columns(pl.lit("name_dob").alias("reason")))
    assert sorted(out["record_id"].to_list()) == [2, 3]


def test_links_do_not_depend_on_the_query_chunk():
    """Candidate pairs and best versions are built a chunk of queries at a time to bound
    memory; every chunk size gives the same links as one chunk for everything."""
    logs = _logs(
        [
            *_background(150),
            ("X1", LAURA_A_CALLING, ("Laura", "Begum", None)),
            ("X2", ("Laura", "Begum", None), None),
            ("X3", ("Lora", "Begum", D(1972, 11, 30)), ("Laura", "Begun", D(1990, 2, 4))),
        ]
    )
    whole = link_controlworks(logs, PERSONS, config=dataclasses.replace(LINK_CONFIG, query_chunk=1_000_000))
    assert whole.height > 300
    for chunk in (5, 64):
        chunked = link_controlworks(logs, PERSONS, config=dataclasses.replace(LINK_CONFIG, query_chunk=chunk))
        assert chunked.equals(whole), chunk


def test_links_do_not_depend_on_the_scoring_blocks():
    """With several scoring blocks the candidates wait on disk and every decision step (the
    sure share, the frequency prior, the choice, the log context) reads them a block at a
    time: the same links as one block, the context's among them."""
    logs = _logs(
        [
            *_background(150),
            ("X1", LAURA_A_CALLING, ("Laura", "Begum", None)),
            ("X2", ("Laura", "Begum", None), None),
            ("X3", ("Lora", "Begum", D(1972, 11, 30)), ("Laura", "Begun", D(1990, 2, 4))),
        ]
    )
    whole = link_controlworks(logs, PERSONS, config=LINK_CONFIG)
    assert whole["reason"].str.contains("log_context").any()
    blocked = link_controlworks(
        logs, PERSONS, config=dataclasses.replace(LINK_CONFIG, query_chunk=5, scoring_block_pairs=40)
    )
    assert blocked.equals(whole)
