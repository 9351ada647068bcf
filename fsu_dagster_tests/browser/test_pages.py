"""Browser flows for the pages issue 13 added: the details page's variants and household, the LPA chart
beside the list, column-header sorting, entrants, the print view, the CSV download, the data-quality
page, an LPA user's scope and the users page; each page checked by axe-core.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote, urlsplit

import pytest

from fsu_dagster_tests.browser.conftest import assert_accessible, row_ids
from fsu_dagster_tests.dashboard.conftest import MONTH


def _biggest_lpa(live) -> tuple[str, list[str]]:
    """The home LPA with the most cohort members, and them in overall-rank order."""
    rows = live.query(
        """
        SELECT l.home_lpa, list(c.person_id ORDER BY m.rank_overall, c.person_id)
        FROM fsu.cohort c JOIN fsu.person_home_lpa l USING (month, person_id)
        JOIN fsu.person_metrics m USING (month, person_id)
        WHERE l.home_lpa IS NOT NULL GROUP BY 1 ORDER BY len(list(c.person_id)) DESC, 1 LIMIT 1
        """
    )
    return rows[0][0], rows[0][1]


def _details_href(person_id: str) -> str:
    return f'a[href^="/people/{quote(person_id, safe="")}"]'


def test_details_page_is_accessible(page_as, live):
    page = page_as("force")
    (person,) = live.query("SELECT person_id FROM fsu.person_metrics ORDER BY rank_overall LIMIT 1")[0]
    assert page.goto(f"/people/{quote(person, safe='')}?month={MONTH}").status == 200
    assert_accessible(page)


def test_details_page_has_identity_variants_and_household(page_as, live):
    page = page_as("force")
    (person,) = live.query("SELECT person_id FROM fsu.person_metrics ORDER BY rank_overall LIMIT 1")[0]
    page.goto(f"/people/{quote(person, safe='')}?month={MONTH}")
    for section in ("variants", "household"):
        assert page.locator(f"#{section}").count() == 1, section
    (forename, surname) = live.query("SELECT forename, surname FROM fsu.person_names WHERE person_id = ?", [person])[0]
    variants = page.locator("#variants").inner_text()
    assert forename in variants and surname in variants, "the most common name is one of the variants listed"
    assert_accessible(page)


def test_selecting_a_person_shows_their_lpa_chart_beside_the_list(page_as, live):
    lpa, people = _biggest_lpa(live)
    page = page_as("force")
    page.goto(f"/?lpa={lpa}")
    listed = row_ids(page)
    assert listed == people
    person = people[0]
    page.locator(f'#cohort tr[data-person-id="{person}"] a[href*="selected="]').first.click()
    url = urlsplit(page.url)
    assert url.path == "/" and f"selected={quote(person, safe='')}" in url.query and url.fragment == "chart"
    assert row_ids(page) == listed, "the list stays as it was, with the chart beside it"
    chart = page.locator("#chart")
    assert chart.get_attribute("aria-label") == f"Investigation locations by LPA for {person}"
    expected = live.query(
        "SELECT location_lpa, investigations FROM fsu.investigation_lpas WHERE person_id = ? ORDER BY investigations DESC",
        [person],
    )
    assert expected, "the person has investigations to chart"
    text = chart.inner_text().upper()
    for location, count in expected:
        assert (location or "").upper() in text and str(count) in text, (location, count)
    assert_accessible(page)

    chart.locator(_details_href(person)).first.click()
    assert urlsplit(page.url).path == f"/people/{person}", "the chart links to the details page"


def test_sort_by_clicking_a_column_header(page_as, live):
    lpa, people = _biggest_lpa(live)
    page = page_as("force")
    page.goto(f"/?lpa={lpa}")
    header = page.locator("#cohort thead th", has_text="Harm caused")
    header.get_by_role("link").click()
    direction = header.get_attribute("aria-sort")
    assert direction in ("ascending", "descending")
    harm = dict(
        live.query(
            "SELECT c.person_id, coalesce(h.harm_caused, 0) FROM fsu.cohort c LEFT JOIN fsu.person_harm h USING (month, person_id)"
        )
    )
    values = [harm[i] for i in row_ids(page)]
    assert sorted(values, reverse=direction == "descending") == values and len(values) == len(people)
    assert page.locator("#cohort thead th[aria-sort]").count() == 1, "only the active column says how it is sorted"
    assert_accessible(page)

    header.get_by_role("link").click()  # again: the other way round
    flipped = header.get_attribute("aria-sort")
    assert {direction, flipped} == {"ascending", "descending"}
    assert [harm[i] for i in row_ids(page)] == sorted(values, reverse=flipped == "descending")


def test_entrants_count_and_filter(page_as, live):
    page = page_as("force")
    page.goto("/")
    (entrants, compared) = live.query(
        "SELECT count(*) FILTER (WHERE status = 'NEW'), count(rank_previous) FROM fsu.cohort_changes WHERE metric = 'overall'"
    )[0]
    text = page.locator("#entrants").inner_text()
    if compared == 0:  # the tiny build has one month: nobody was on a previous list
        assert "no previous month" in text, text
    else:
        shown = re.search(r"\d[\d,]*", text)
        assert shown and int(shown.group().replace(",", "")) == entrants, text
    page.goto("/?entrants=1")
    assert len(row_ids(page)) == entrants


def test_print_view(page_as, live):
    page = page_as("force")
    (person,) = live.query("SELECT person_id FROM fsu.person_metrics ORDER BY rank_overall LIMIT 1")[0]
    assert page.goto(f"/people/{quote(person, safe='')}/print?month={MONTH}").status == 200
    assert live.accounts["force"].name in page.locator("#printed-by").inner_text()
    assert page.get_by_text(person).count() >= 1
    body = page.locator("body").inner_text()
    assert MONTH in body or "October 2026" in body, "the pack names its month"
    assert_accessible(page)
    page.emulate_media(media="print")
    assert_accessible(page)


def test_download_the_filtered_list(page_as, live):
    lpa, people = _biggest_lpa(live)
    page = page_as("force")
    page.goto(f"/?lpa={lpa}")
    link = page.locator('a[href^="/export/list.csv"]')
    assert f"lpa={lpa}" in (link.get_attribute("href") or ""), "the export carries the page's filters"
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert [r["person_id"] for r in rows] == people, "the rows of the list as filtered, in its order"


@pytest.mark.parametrize("role, status", [("admin", 200), ("force", 200), ("lpa", 403)])
def test_data_quality_page(page_as, role, status):
    """Shown, and accessible, to the admin and force-wide roles; refused (accessibly) to an LPA user.

    One test per role (each its own sign-in and axe run), as the one test's loop over them was."""
    page = page_as(role)
    assert page.goto(f"/quality?month={MONTH}").status == status, role
    if status == 200:
        assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page)


def test_an_lpa_user_sees_only_their_area(page_as, live):
    (lpa,) = live.accounts["lpa"].lpas
    page = page_as("lpa")
    page.goto("/")
    (mine,) = live.query(
        "SELECT list(person_id ORDER BY person_id) FROM fsu.cohort JOIN fsu.person_home_lpa USING (month, person_id) WHERE home_lpa = ?",
        [lpa],
    )[0]
    assert sorted(row_ids(page)) == mine
    lpa_links = page.get_by_role("region", name="Filters").locator('a[href*="lpa="]')
    offered = {re.search(r"lpa=([A-Z_]+)", h).group(1) for h in lpa_links.evaluate_all("as => as.map(a => a.href)")}
    assert offered == {lpa}, "the filters offer only the user's LPAs"
    assert_accessible(page)
    (other,) = live.query(
        "SELECT person_id FROM fsu.person_home_lpa WHERE home_lpa IS DISTINCT FROM ? ORDER BY person_id LIMIT 1", [lpa]
    )[0]
    assert page.goto(f"/people/{quote(other, safe='')}?month={MONTH}").status == 403
    assert_accessible(page)


def test_users_page_for_admin_only(page_as, live):
    page = page_as("admin")
    assert page.goto("/users").status == 200
    for account in live.accounts.values():
        assert page.get_by_text(account.name, exact=True).count() >= 1, account.name
    assert_accessible(page)
    assert page_as("force").goto("/users").status == 403
