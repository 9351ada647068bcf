"""Details page sections: identity variants, household, and ControlWorks-only (``CW:``) people.

Expected values come from the pipeline's warehouse (its source-like tables: ``identity_variants``,
``home_addresses``, ``person_totals``, ``cw_person_links`` + ``cw_logs``), not from the snapshot.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from html import unescape

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.publish import publish_snapshot
from fsu_dagster.warehouse import connect

from ..conftest import MONTH, make_app, row_ids, sign_in

M = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def wh(tiny_built):
    conn = connect(str(tiny_built.warehouse), read_only=True)
    yield lambda sql, params=None: conn.execute(sql, [M, *(params or [])]).fetchall()
    conn.close()


def _section(html: str, element_id: str) -> str:
    m = re.search(rf'<section id="{re.escape(element_id)}"[^>]*>(.*?)</section>', html, re.DOTALL)
    assert m, f"no section {element_id}"
    return m.group(1)


def _lists(section: str) -> dict[str, dict[str, int]]:
    """Heading -> {value: count} of a variants section."""
    out = {}
    for heading, body in re.findall(r"<h3>([^<]+?) <span.*?</h3>(.*?)</div>", section, re.DOTALL):
        pairs = re.findall(r'<li><span>([^<]*)</span><span class="n"[^>]*>([\d,]+)</span></li>', body)
        out[heading.strip()] = {unescape(v): int(n.replace(",", "")) for v, n in pairs}
    return out


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


LABELS = {"forename": "Forenames", "surname": "Surnames", "dob": "Dates of birth", "pnc_id": "PNC IDs"}


def test_identity_variants_list_every_version_with_counts(viewer, wh):
    """Method 5.1.4's "all versions of that person": names, DOBs and PNC IDs seen, with version counts; no phones."""
    pid = wh(
        "select person_id from fsu.identity_variants where month = ? and field <> 'phone' "
        "and person_id in (select person_id from fsu.cohort where month = ?) group by 1 order by count(*) desc, 1 limit 1",
        [M],
    )[0][0]
    expected: dict[str, dict[str, int]] = {label: {} for label in LABELS.values()}
    phones = []
    for field, value, n in wh(
        "select field, value, n_versions from fsu.identity_variants where month = ? and person_id = ?", [pid]
    ):
        if field == "phone":
            phones.append(value)
        else:
            expected[LABELS[field]][value] = n
    assert sum(len(v) for v in expected.values()) > 4, "the tiny data should have a person with several variants"
    page = viewer.get(f"/people/{pid}")
    assert _lists(_section(page.text, "variants")) == expected
    assert phones and not any(p in page.text for p in phones)  # phone numbers are not shown (nor published)
    assert 'id="cw-identity"' not in page.text


def test_household_lists_the_members_and_shared_address(viewer, wh):
    """The household section: the shared home address, every listed member (the others linked) and combined totals."""
    household_id, address = wh(
        "select household_id, any_value(home_address) from fsu.home_addresses where month = ? "
        "and household_id is not null group by 1 having count(*) >= 3 order by 1 limit 1"
    )[0]
    members = sorted(
        r[0]
        for r in wh(
            "select person_id from fsu.home_addresses where month = ? and household_id = ?",
            [household_id],
        )
    )
    pid = members[0]
    section = _section(viewer.get(f"/people/{pid}").text, "household")
    text = _text(section)
    assert unescape(address) in text or address in text
    assert f"{len(members)} people in this month's list live here" in text
    linked = set(re.findall(r'<a href="/people/([^"?]+)\?month=2026-10">', section))
    assert linked == set(members) - {pid}
    ids = re.findall(r"<td>([A-Z0-9:]+)</td>", section)
    assert sorted(ids) == members and ids[0] == pid  # the person first
    totals = wh(
        "select sum(suspect_total), sum(victim_total), sum(originator_calls) from fsu.person_totals "
        "where month = ? and person_id in (select unnest(?))",
        [members],
    )[0]
    for label, value in zip(
        ["Suspect (investigations)", "Victim (investigations)", "Originator calls (logs)"], totals, strict=True
    ):
        assert re.search(rf"<td>{re.escape(label)}</td><td class=\"num\">{value:,}</td>", section)


def test_person_without_a_home_address_has_no_household(viewer, wh):
    rows = wh(
        "select person_id from fsu.home_addresses where month = ? and household_id is null "
        "and person_id not like 'CW:%' order by 1 limit 1"
    )
    if not rows:
        pytest.skip("everyone in the tiny cohort has a known home address")
    assert "No home address is known" in _text(_section(viewer.get(f"/people/{rows[0][0]}").text, "household"))


def test_person_alone_at_their_address(viewer, wh):
    rows = wh(
        "select min(person_id) from fsu.home_addresses where month = ? and household_id is not null "
        "group by household_id having count(*) = 1 order by 1 limit 1"
    )
    assert rows, "the tiny data should have someone who is the only listed person at their address"
    text = _text(_section(viewer.get(f"/people/{rows[0][0]}").text, "household"))
    assert "1 person in this month's list lives here" in text and "No one else" in text


# --- ControlWorks-only people (fuzzy mode's provisional CW: individuals) -------------------------


@pytest.fixture(scope="module")
def fuzzy(tiny_built_fuzzy, tmp_path_factory):
    """The tiny data linked in fuzzy mode (which makes ``CW:`` individuals; the session's run), published."""
    warehouse = tiny_built_fuzzy.warehouse
    folder = tmp_path_factory.mktemp("fuzzy_snapshots")
    publish_snapshot(warehouse, folder, MONTH)
    return warehouse, folder


def _cw_mentions(warehouse) -> dict[str, dict[str, Counter]]:
    """Per CW: cohort member and field, how many linked ControlWorks mentions carry each value."""
    conn = connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            "select k.person_id, k.role, g.originator_forename, g.originator_surname, g.originator_dob, "
            "g.subject_forename, g.subject_surname, g.subject_dob "
            "from fsu.cw_person_links k join fsu.cw_logs g on g.month = k.month and g.incident_id = k.incident_id "
            "where k.month = ? and k.person_id like 'CW:%' "
            "and k.person_id in (select person_id from fsu.cohort where month = ?)",
            [M, M],
        ).fetchall()
    finally:
        conn.close()
    out: dict[str, dict[str, Counter]] = {}
    for pid, role, *values in rows:
        fore, sur, dob = values[:3] if role == "originator" else values[3:]
        person = out.setdefault(pid, {"forename": Counter(), "surname": Counter(), "dob": Counter()})
        for field, value in (("forename", fore), ("surname", sur), ("dob", dob)):
            if value is not None and str(value).strip():
                person[field][str(value).strip()] += 1
    return out


def test_cw_people_show_their_most_common_controlworks_name_marked_not_on_connect(fuzzy, tmp_path, users_file):
    """A ``CW:`` person has no Connect record: their name and DOB are the most common on their ControlWorks mentions."""
    warehouse, folder = fuzzy
    mentions = _cw_mentions(warehouse)
    assert mentions, "fuzzy linking of the tiny data should put provisional CW: individuals in the list"

    def clear_top(counter: Counter) -> str | None:
        top = counter.most_common(2)
        return top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None

    pid, person = next(
        (p, v) for p, v in sorted(mentions.items()) if all(clear_top(v[f]) for f in ("forename", "surname", "dob"))
    )
    client = TestClient(make_app(tmp_path, folder, users_file))
    assert sign_in(client, "vera").status_code == 303
    page = client.get(f"/people/{pid}")
    assert page.status_code == 200
    name = f"{clear_top(person['forename'])} {clear_top(person['surname'])}"
    h1 = _text(re.search(r"<h1>(.*?)</h1>", page.text, re.DOTALL)[1])
    assert name in h1 and "not on Connect" in h1
    section = _section(page.text, "cw-identity")
    text = _text(section)
    assert "no Connect record" in text and name in text
    assert f"born {clear_top(person['dob'])}" in text
    lists = _lists(section)
    assert lists["Forenames"] == dict(person["forename"]) and lists["Surnames"] == dict(person["surname"])
    assert lists["Dates of birth"] == dict(person["dob"])
    assert 'id="variants"' not in page.text

    main = client.get("/")
    assert pid in row_ids(main.text)
    row = re.search(rf'<tr data-person-id="{re.escape(pid)}".*?</tr>', main.text, re.DOTALL)[0]
    assert name in _text(row) and "not on Connect" in _text(row)


def test_household_members_outside_the_users_scope_show_by_id_only(published, wh):
    """With LPA scope, another member whose home LPA is not the user's is listed by ID only: no name, DOB or link."""
    from fsu_dagster.dashboard import views
    from fsu_dagster.dashboard.deps import Snapshot
    from fsu_dagster.dashboard.scope import Scope
    from fsu_dagster.settings import load_settings

    household_id = wh(
        "select household_id from fsu.home_addresses where month = ? and household_id is not null "
        "group by 1 having count(*) >= 2 order by 1 limit 1"
    )[0][0]
    members = sorted(
        r[0]
        for r in wh("select person_id from fsu.home_addresses where month = ? and household_id = ?", [household_id])
    )

    conn = connect(str(published.path), read_only=True)
    try:
        snap = Snapshot(month=M, path=published.path, conn=conn, months=[M])
        full = views.details_context(snap, load_settings(), members[0])["household"]
        scoped = views.details_context(snap, load_settings(), members[0], scope=Scope(frozenset({"NOWHERE"})))[
            "household"
        ]
    finally:
        conn.close()
    assert [m["person_id"] for m in full["members"]] == [m["person_id"] for m in scoped["members"]] == members
    assert all(m["name"] and m["visible"] for m in full["members"])
    assert all(m["href"] for m in full["others"])
    me, *others = scoped["members"]
    assert me["is_self"] and me["name"]
    assert others and all(m["name"] is None and m["dob"] is None and m["href"] is None for m in others)


def test_person_export_has_the_variants_and_household(viewer, wh):
    """The person's CSV pack carries what the details page adds: every identity variant with its count, and the
    household's address and members (from the warehouse, not from the page)."""
    household_id, address = wh(
        "select household_id, any_value(home_address) from fsu.home_addresses where month = ? "
        "and household_id is not null and person_id not like 'CW:%' group by 1 having count(*) >= 2 order by 1 limit 1"
    )[0]
    members = sorted(
        r[0]
        for r in wh("select person_id from fsu.home_addresses where month = ? and household_id = ?", [household_id])
    )
    pid = members[0]
    expected_variants = sorted(
        (field, str(value), str(n))
        for field, value, n in wh(
            "select field, value, n_versions from fsu.identity_variants where month = ? and person_id = ? "
            "and field <> 'phone'",
            [pid],
        )
    )
    response = viewer.get(f"/people/{pid}/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    items: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        items.setdefault((r["section"], r["item"]), {})[r["field"]] = r["value"]
    variants = sorted((v["field"], v["value"], v["count"]) for (sec, _), v in items.items() if sec == "variants")
    assert variants == expected_variants and expected_variants
    assert items[("household", "1")]["address"] == address
    exported = sorted(v["person_id"] for (sec, _), v in items.items() if sec == "household_members")
    assert exported == members
