"""The main page (cohort table and its filters) and the details page, against a published tiny snapshot."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.settings import load_settings
from fsu_dagster.warehouse import connect

from ..conftest import make_app, row_ids, row_ranks, sign_in

M = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def wh(tiny_built):
    """Expected values come from the pipeline's warehouse, not from the snapshot the page reads."""
    conn = connect(str(tiny_built.warehouse), read_only=True)
    yield lambda sql, params=None: conn.execute(sql, [M, *(params or [])]).fetchall()
    conn.close()


def _cohort(wh) -> set[str]:
    return {r[0] for r in wh("select person_id from fsu.cohort where month = ?")}


def test_main_page_lists_the_cohort_by_overall_rank(viewer, wh):
    """Unfiltered, the table is exactly the month's cohort, ordered by overall rank out of the universe."""
    page = viewer.get("/")
    assert page.status_code == 200
    ids = row_ids(page.text)
    assert set(ids) == _cohort(wh) and len(ids) == len(set(ids))
    expected = [
        r[0]
        for r in wh(
            "select m.person_id from fsu.person_metrics m join fsu.cohort c using (month, person_id) "
            "where m.month = ? order by m.rank_overall, m.person_id"
        )
    ]
    assert ids == expected


@pytest.mark.parametrize("lpa", [*load_settings().lpas, "UNKNOWN"])
def test_lpa_filter_shows_only_that_home_lpa(viewer, wh, lpa):
    """An LPA button keeps exactly the cohort members whose home LPA it is (method 6.1, 'by area')."""
    page = viewer.get("/", params={"lpa": lpa})
    expected = {
        r[0]
        for r in wh(
            "select c.person_id from fsu.cohort c left join fsu.person_home_lpa l using (month, person_id) "
            "where c.month = ? and coalesce(l.home_lpa, 'UNKNOWN') = ?",
            [lpa],
        )
    }
    assert set(row_ids(page.text)) == expected


def test_lpa_filters_partition_the_cohort_without_reranking(viewer, wh):
    """Filters hide rows but never recompute ranks: every person keeps their universe rank, and the LPAs add up."""
    everyone = row_ranks(viewer.get("/").text)
    seen: dict[str, int] = {}
    for lpa in [*load_settings().lpas, "UNKNOWN"]:
        ranks = row_ranks(viewer.get("/", params={"lpa": lpa}).text)
        assert not set(ranks) & set(seen)
        seen.update(ranks)
    assert seen == everyone
    some_filter = row_ranks(viewer.get("/", params={"lpa": "COVENTRY"}).text)
    assert 0 < len(some_filter) < len(everyone)
    assert min(some_filter.values()) > 0 and all(everyone[p] == r for p, r in some_filter.items())


@pytest.mark.parametrize(
    ("param", "value", "sql"),
    [
        ("theme", "DA", "select person_id from fsu.person_themes where month = ? and theme = 'DA'"),
        ("theme", "MISSING", "select person_id from fsu.missing_summary where month = ? and missing_reports > 0"),
        (
            "priority",
            "violent_crime",
            "select person_id from fsu.person_priority_crimes where month = ? and priority_crime_type = 'violent_crime'",
        ),
    ],
)
def test_theme_and_priority_filters(viewer, wh, param, value, sql):
    """Theme and priority-crime buttons keep the people who have that theme / crime type."""
    assert set(row_ids(viewer.get("/", params={param: value}).text)) == {r[0] for r in wh(sql)}


def test_filters_combine(viewer, wh):
    """Filters add up (AND): LPA and theme together keep only people with both."""
    both = set(row_ids(viewer.get("/", params={"lpa": "BIRMINGHAM", "theme": "DA"}).text))
    lpa = set(row_ids(viewer.get("/", params={"lpa": "BIRMINGHAM"}).text))
    theme = set(row_ids(viewer.get("/", params={"theme": "DA"}).text))
    assert both == lpa & theme


def test_sort_by_harm_caused(viewer, wh):
    """Ordering by a column sorts the rows by it (harm: largest first)."""
    ids = row_ids(viewer.get("/", params={"sort": "harm_caused"}).text)
    harm = dict(wh("select person_id, harm_caused from fsu.person_harm where month = ?"))
    values = [harm.get(p, 0) for p in ids]
    assert values == sorted(values, reverse=True) and values[0] > 0


@pytest.mark.parametrize(
    "query", [{"lpa": "ATLANTIS"}, {"theme": "XX"}, {"sort": "name"}, {"priority": "drop table"}, {"month": "2026-1"}]
)
def test_unknown_filter_is_a_bad_request(viewer, query):
    """Only offered filter values are accepted (nothing from the address reaches SQL unchecked)."""
    assert viewer.get("/", params=query).status_code == 400


def test_unknown_month_is_not_found(viewer):
    assert viewer.get("/", params={"month": "2019-01"}).status_code == 404


def test_no_snapshot_yet(tmp_path, users_file):
    """Before anything is published the dashboard says so instead of failing."""
    client = TestClient(make_app(tmp_path, tmp_path / "empty", users_file))
    sign_in(client, "vera")
    page = client.get("/")
    assert page.status_code == 503 and "fsu publish" in page.text


def _busiest(wh) -> str:
    """The cohort member with the most investigations and logs (so every section has rows)."""
    return wh(
        "select c.person_id from fsu.cohort c join fsu.person_totals t using (month, person_id) where c.month = ? "
        "order by t.suspect_total + t.offender_total + t.victim_total + t.custody_total + t.originator_calls + t.subject_calls desc, 1 limit 1"
    )[0][0]


def test_details_page_shows_every_section(viewer, wh):
    """The details page (method 6.2) lists the person's investigations, logs and custody, with source-system links."""
    pid = _busiest(wh)
    page = viewer.get(f"/people/{pid}")
    assert page.status_code == 200
    text = unescape(page.text)
    for heading in [
        "Why this person is listed",
        "Monthly trend",
        "Investigations",
        "Incidents (ControlWorks)",
        "Custody records and arrests",
        "Missing episodes",
        "Location of investigations by LPA",
        "Resource groups",
    ]:
        assert heading in text
    investigations = {
        r[0] for r in wh("select investigation_id from fsu.investigation_list where month = ? and person_id = ?", [pid])
    }
    custody_investigations = {
        r[0]
        for r in wh(
            "select investigation_id from fsu.custody_records where month = ? and person_id = ? and investigation_id is not null",
            [pid],
        )
    }
    linked = set(re.findall(r'href="https://connect\.test/inv/([^"]+)"', text))
    assert investigations and linked == investigations | custody_investigations
    for (custody_id,) in wh("select custody_id from fsu.custody_records where month = ? and person_id = ?", [pid]):
        assert f'href="https://connect.test/custody/{custody_id}"' in text
    logs = wh("select incident_id from fsu.cw_log_list where month = ? and person_id = ?", [pid])
    assert len(re.findall(r'href="https://cw\.test/log/', text)) == len(logs)
    for lpa, n in wh(
        "select location_lpa, investigations from fsu.investigation_lpas where month = ? and person_id = ?", [pid]
    ):
        assert re.search(
            rf'<span class="bar-label"[^>]*>{re.escape(lpa)}</span>.*?<span class="bar-value">{n}</span>',
            text,
            re.DOTALL,
        )


@pytest.mark.parametrize("pid", ["P00000000", "nobody", "'; drop table fsu.cohort; --"])
def test_details_unknown_person_is_404(viewer, pid):
    assert viewer.get(f"/people/{pid}").status_code == 404


def test_details_person_outside_cohort_is_404(viewer, wh):
    """A person ranked in the universe but not in the month's list is not shown (only the cohort is published)."""
    outside = wh(
        "select person_id from fsu.person_metrics where month = ? and person_id not in "
        "(select person_id from fsu.cohort where month = ?) limit 1",
        [M],
    )
    assert outside, "tiny data should have people outside the cohort"
    assert viewer.get(f"/people/{outside[0][0]}").status_code == 404


def test_main_page_links_to_details(viewer):
    """Each row links to the person's details page for the same month."""
    page = viewer.get("/").text
    first = row_ids(page)[0]
    assert f'href="/people/{first}?month=2026-10"' in page
