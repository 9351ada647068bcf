"""No generated person's name, date of birth, phone number or address in anything Dagster keeps.

Every event of every run of the backfill (sources, the two window months, the two
snapshots): log lines, asset materialisations and their metadata, check results, run tags.
"""

from __future__ import annotations

import re

import dagster as dg
import polars as pl
from dagster._serdes import serialize_value

from fsu_dagster.landing import months_between
from fsu_dagster_tests.automation.conftest import DATA_END, DATA_START

#: A token of the kept text: letters, digits, ``_``, ``'`` and ``-`` (a column name such as
#: ``is_own_home`` or a hex digest is one token, so it never matches a name such as "Own").
WORD = re.compile(r"[A-Za-z0-9_'\-]+")


def _landing_values(data_dir) -> dict[str, set[str]]:
    """The personal values written into the landing files, by kind."""
    names, dobs, phones, addresses = set(), set(), set(), set()
    first, last = (pl.Series([f"{m}-01"]).str.to_date()[0] for m in (DATA_START, DATA_END))
    for month in months_between(first, last):
        folder = data_dir / "landing" / f"{month:%Y-%m}"
        persons = pl.read_csv(folder / "connect_persons.csv", infer_schema_length=0)
        names |= set(persons["forename"].drop_nulls()) | set(persons["surname"].drop_nulls())
        dobs |= set(persons["dob"].drop_nulls())
        phones |= set(persons["phone_number"].drop_nulls())
        calls = pl.read_csv(folder / "avaya_calls.csv", infer_schema_length=0)
        phones |= set(calls["caller_number"].drop_nulls())
        incidents = pl.read_csv(folder / "cw_incidents.csv", infer_schema_length=0)
        addresses |= set(incidents["location_address"].drop_nulls())
        addresses |= set(incidents["location_postcode"].drop_nulls())
        for col in ("originator", "subject"):
            names |= set(incidents[f"{col}_forename"].drop_nulls()) | set(incidents[f"{col}_surname"].drop_nulls())
    # A name is matched as a whole word (or words), in any case.
    return {
        "name": {n.strip().lower() for n in names if len(n.strip()) > 2},
        "dob": dobs,
        "phone": {p for p in phones if len(p) >= 7},
        "address": {a for a in addresses if len(a) >= 5},
    }


def _everything_dagster_kept(instance: dg.DagsterInstance) -> list[str]:
    texts = []
    for record in instance.get_run_records():
        run = record.dagster_run
        texts.append(serialize_value(run.tags))
        for entry in instance.all_logs(run.run_id):
            texts.append(entry.user_message or "")
            if entry.dagster_event is not None:
                texts.append(serialize_value(entry.dagster_event))
    return texts


def test_no_personal_value_in_any_event_log_line_or_metadata(backfilled):
    values = _landing_values(backfilled.data_dir)
    assert all(values.values()), "the tiny data should hold values of every kind"
    with dg.DagsterInstance.from_config(str(backfilled.dagster_home)) as instance:
        texts = _everything_dagster_kept(instance)
    assert len(texts) > 500  # the runs' events really were read
    blob = "\n".join(texts)
    lower = blob.lower()
    words = {w.lower() for w in WORD.findall(blob)}
    leaked_names = sorted(
        n
        for n in values["name"]
        # A name of several words is looked for as a substring first (fast), then as whole words.
        if (
            n in words
            if WORD.fullmatch(n)
            else n in lower and re.search(rf"(?<![a-z0-9_]){re.escape(n)}(?![a-z0-9_])", lower)
        )
    )
    assert not leaked_names, leaked_names[:20]
    # Dates and phone numbers as they are written anywhere (inside timestamps too); addresses and
    # postcodes as runs of whole words.
    assert not values["dob"] & set(re.findall(r"\d{4}-\d{2}-\d{2}", blob))
    assert not values["phone"] & set(re.findall(r"\d{7,}", blob))
    tokens = re.findall(r"[a-z0-9]+", lower)
    addresses = {tuple(re.findall(r"[a-z0-9]+", a.lower())) for a in values["address"]} - {()}
    # Every run of whole tokens as long as an address, starting where an address could start (at a
    # token that begins one): the same runs as every n-token window, without building all of them.
    firsts = {a[0] for a in addresses}
    lengths = {len(a) for a in addresses}
    starts = [i for i, token in enumerate(tokens) if token in firsts]
    runs = {tuple(tokens[i : i + n]) for i in starts for n in lengths}
    leaked = sorted(" ".join(a) for a in addresses & runs)
    assert not leaked, leaked[:5]
