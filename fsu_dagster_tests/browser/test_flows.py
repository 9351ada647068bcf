"""The dashboard in headless Chromium, as a user goes through it (issue 13).

Every test runs in a fresh browser context whose requests outside 127.0.0.1 fail the test (see
``conftest.py``), and every page it lands on passes axe-core (WCAG 2.2 A and AA) with zero violations.
Expected rows come from the published snapshot itself, not from the page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from fsu_dagster_tests.browser.conftest import assert_accessible, row_ids, sign_in
from fsu_dagster_tests.dashboard.conftest import MONTH


def _path(page) -> str:
    return urlsplit(page.url).path


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _lpa_and_theme(live) -> tuple[str, str, set[str]]:
    """The (home LPA, theme) pair with the most cohort members, and those members."""
    rows = live.query(
        """
        SELECT l.home_lpa, t.theme, list(DISTINCT c.person_id) AS people
        FROM fsu.cohort c
        JOIN fsu.person_home_lpa l USING (month, person_id)
        JOIN fsu.person_themes t USING (month, person_id)
        WHERE l.home_lpa IS NOT NULL
        GROUP BY ALL
        ORDER BY len(people) DESC, l.home_lpa, t.theme
        LIMIT 1
        """
    )
    lpa, theme, people = rows[0]
    return lpa, theme, set(people)


# The sign-in flow and the filter flow each ran axe on every page they passed, and those runs were
# most of the two slowest browser tests. Each flow is still one test with every step and assertion;
# the axe run on each page it passes is a test of its own, reaching that page by the flow's steps up
# to it in a fresh context (the list after signing in: as a signed-in user of the same role).


def _anonymous_to_sign_in(context):
    page = context.new_page()
    page.goto("/")
    assert _path(page) == "/login", "an anonymous visitor is sent to the sign-in page"
    assert _query(page).get("next") == ["/"]
    return page


def _failed_sign_in(page, live) -> None:
    page.get_by_label("User name").fill(live.accounts["signout"].name)
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert _path(page) == "/login"
    assert page.get_by_role("alert").count() == 1, "a failed sign-in says so"


def test_the_sign_in_page_an_anonymous_visitor_is_sent_to_is_accessible(context):
    assert_accessible(_anonymous_to_sign_in(context))


def test_the_sign_in_page_after_a_failed_sign_in_is_accessible(context, live):
    page = _anonymous_to_sign_in(context)
    _failed_sign_in(page, live)
    assert_accessible(page)


def _lands_on_the_whole_list(page, live, name: str) -> None:
    assert _path(page) == "/"
    (cohort_size,) = live.query("SELECT count(*) FROM fsu.cohort")[0]
    assert len(row_ids(page)) == cohort_size, "the unfiltered list shows the whole cohort"
    assert page.get_by_text(name, exact=True).count() >= 1, "the page names who is signed in"


def test_the_list_a_signed_in_user_lands_on_is_accessible(page_as, live):
    """The sign-in flow's last page, for a user of the same role (``page_as`` signed in through the form)."""
    page = page_as("force")
    page.goto("/")
    _lands_on_the_whole_list(page, live, live.accounts["force"].name)
    assert_accessible(page)


def test_sign_in_lands_on_the_list_and_both_pages_are_accessible(context, live):
    """Each page's axe run is a test above: the two sign-in pages' by the same steps, the list's as a
    user of the same role (axe's colour-contrast rule over the whole cohort's list is most of a run)."""
    page = _anonymous_to_sign_in(context)
    _failed_sign_in(page, live)

    sign_in(page, live.accounts["signout"].name)
    _lands_on_the_whole_list(page, live, live.accounts["signout"].name)

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto("/")
    assert _path(page) == "/login", "after signing out the list needs a new sign-in"


def _filter_by_lpa(page_as, live):
    lpa, theme, expected = _lpa_and_theme(live)
    page = page_as("admin")
    page.goto("/")
    filters = page.get_by_role("region", name="Filters")
    filters.get_by_role("link", name=lpa.title(), exact=True).click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("lpa") == [lpa])
    assert _query(page).get("lpa") == [lpa]
    (in_lpa,) = live.query(
        "SELECT count(*) FROM fsu.cohort JOIN fsu.person_home_lpa USING (month, person_id) WHERE home_lpa = ?", [lpa]
    )[0]
    assert len(row_ids(page)) == in_lpa
    return page, lpa, theme, expected


def test_the_list_filtered_by_lpa_is_accessible(page_as, live):
    page, *_ = _filter_by_lpa(page_as, live)
    assert_accessible(page)


def test_filter_by_lpa_then_theme(page_as, live, theme_labels):
    """The LPA-filtered page's axe run is the test above (the same steps up to it)."""
    page, lpa, theme, expected = _filter_by_lpa(page_as, live)

    page.get_by_role("region", name="Filters").get_by_role("link", name=theme_labels[theme], exact=True).click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("theme") == [theme])
    assert _query(page).get("lpa") == [lpa] and _query(page).get("theme") == [theme], "filters combine"
    ids = row_ids(page)
    assert set(ids) == expected and len(ids) == len(expected)
    assert_accessible(page)


def test_sort_by_harm_caused(page_as, live):
    page = page_as("force")
    page.goto("/?sort=harm_caused")
    ids = row_ids(page)
    harm = dict(
        live.query(
            "SELECT c.person_id, coalesce(h.harm_caused, 0) FROM fsu.cohort c LEFT JOIN fsu.person_harm h USING (month, person_id)"
        )
    )
    assert len(ids) == len(harm)
    values = [harm[i] for i in ids]
    assert values == sorted(values, reverse=True), "harm caused, largest first"
    assert values[0] > values[-1], "the sort is not vacuous"


def test_details_page_from_the_list(page_as, live):
    page = page_as("force")
    page.goto("/")
    person = row_ids(page)[0]
    (rank,) = live.query("SELECT rank_overall FROM fsu.person_metrics WHERE person_id = ?", [person])[0]
    assert rank == 1, "the list starts with the overall rank 1"
    page.locator(f'a[href^="/people/{quote(person, safe="")}?"]').first.click()
    assert _path(page) == f"/people/{person}"
    assert page.get_by_text(person).count() >= 1
    for section in ("why", "trend", "investigations", "incidents", "custody", "missing"):
        assert page.locator(f"section#{section}").count() == 1, section
    (investigations,) = live.query(
        "SELECT count(DISTINCT investigation_id) FROM fsu.investigation_list WHERE person_id = ?", [person]
    )[0]
    assert investigations > 0
    links = page.locator('#investigations a[href^="https://connect.test/inv/"]')
    assert links.count() == investigations, "every investigation is listed, linked to Connect"
    # axe-core on this page: test_pages.py::test_details_page_is_accessible

    page.get_by_role("link", name="Back to the list", exact=False).click()
    assert _path(page) == "/" and _query(page).get("month") == [MONTH]


def test_method_page(page_as):
    page = page_as("force")
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Method").click()
    assert _path(page) == "/method"
    assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page)


def test_audit_page_for_admin_and_refusal_page_for_others(page_as, live):
    admin = page_as("admin")
    admin.goto("/")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    assert _path(admin) == "/audit"
    assert admin.get_by_text(live.accounts["admin"].name).count() >= 1, "the admin's own views are in the log"
    assert_accessible(admin)

    other = page_as("force")
    response = other.goto("/audit")
    assert response.status == 403
    assert_accessible(other)


def test_error_pages_are_accessible(page_as):
    page = page_as("force")
    assert page.goto("/people/P00000000000000?month=" + MONTH).status == 404
    assert_accessible(page)
    assert page.goto("/?lpa=NOWHERE").status == 400
    assert_accessible(page)


def test_a_request_outside_the_site_is_caught(context, guard):
    """The guard itself: a request for another host is recorded and aborted (and would fail the test)."""
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto("http://example.invalid/x")
    assert guard.external == ["http://example.invalid/x"]
    guard.external.clear()  # this test's own request, made on purpose


def test_a_content_security_policy_report_is_caught(context, guard):
    """The guard itself: a script the page's CSP refuses shows up in the console and would fail the test."""
    page = context.new_page()
    page.goto("/login")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }")
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in line for line in guard.console), guard.console
    guard.console.clear()  # this test's own violation, made on purpose
