"""The access matrix (issue 13): anonymous, lpa, force and admin users x every route, and LPA scoping.

One table, one line per route: add a route here and every role is tested on it. ``{mine}`` is a
cohort member in the LPA user's LPA, ``{other}`` one in another LPA, ``{nohome}`` one with no
home LPA. Anonymous requests are sent to sign in (303); roles without the right get 403.
"""

from __future__ import annotations

import pytest

from ..access import access, csv_rows, lpa_links  # noqa: F401  (the module fixture)
from ..conftest import MONTH, row_ids, row_ranks

SIGN_IN = 303

#: (route, anonymous, lpa, force, admin)
MATRIX = [
    ("/", SIGN_IN, 200, 200, 200),
    ("/method", SIGN_IN, 200, 200, 200),
    ("/people/{mine}", SIGN_IN, 200, 200, 200),
    ("/people/{other}", SIGN_IN, 403, 200, 200),
    ("/people/{nohome}", SIGN_IN, 403, 200, 200),
    ("/people/{mine}/print", SIGN_IN, 200, 200, 200),
    ("/people/{other}/print", SIGN_IN, 403, 200, 200),
    ("/export/list.csv", SIGN_IN, 200, 200, 200),
    ("/people/{mine}/export.csv", SIGN_IN, 200, 200, 200),
    ("/people/{other}/export.csv", SIGN_IN, 403, 200, 200),
    ("/people/{nohome}/export.csv", SIGN_IN, 403, 200, 200),
    ("/quality", SIGN_IN, 403, 200, 200),
    ("/audit", SIGN_IN, 403, 403, 200),
    ("/users", SIGN_IN, 403, 403, 200),
]
ROLES = ("anonymous", "lpa", "force", "admin")


@pytest.mark.parametrize(
    ("route", "role", "status"),
    [
        pytest.param(route, role, codes[i], id=f"{role}:{route}")
        for route, *codes in MATRIX
        for i, role in enumerate(ROLES)
    ],
)
def test_access_matrix(access, route, role, status):  # noqa: F811
    people = access.people
    if "{nohome}" in route and people.nohome is None:
        pytest.skip("no cohort member without a home LPA in the tiny data")
    path = route.format(mine=people.mine, other=people.other, nohome=people.nohome)
    response = access.clients[role].get(path, follow_redirects=False)
    assert response.status_code == status, (role, path)
    if status == SIGN_IN:
        assert response.headers["location"].startswith("/login?next=")
    if status == 403:
        assert "Not allowed" in response.text and people.other not in response.text.replace(path, "")


def test_the_matrix_covers_every_page_route(access):  # noqa: F811
    """Every GET page of the app is in the matrix (sign-in pages and static files aside)."""
    routes = {r.path for r in access.app.routes if "GET" in getattr(r, "methods", set())}
    public = {"/login", "/login/oidc", "/auth/oidc/callback"}
    listed = {m[0].replace("{mine}", "{person_id}").replace("{other}", "{person_id}") for m in MATRIX}
    listed = {x.replace("{nohome}", "{person_id}") for x in listed}
    assert routes - public - listed == set()


def test_out_of_scope_person_is_refused_and_logged(access):  # noqa: F811
    """An LPA user asking for someone outside their LPAs: 403, and an audit line 'refused' with the person's ID."""
    other = access.people.other
    for path in (f"/people/{other}", f"/people/{other}/print", f"/people/{other}/export.csv"):
        response = access.clients["lpa"].get(path)
        assert response.status_code == 403
        assert "outside the LPAs you may see" in response.text
        line = access.audit_lines()[-1]
        assert line["user"] == "lena" and line["event"] == "refused" and line["status"] == 403
        assert line["person_id"] == other and line["path"] == path
        assert "rows" not in line


def test_lpa_user_asking_for_someone_not_listed_is_refused_too(access):  # noqa: F811
    """For an LPA user, 'not in the list' looks the same as 'not yours' (403): the answer does not reveal who is listed."""
    missing = "P00000000"
    assert access.clients["lpa"].get(f"/people/{missing}").status_code == 403
    assert access.audit_lines()[-1]["event"] == "refused"
    assert access.clients["force"].get(f"/people/{missing}").status_code == 404


def test_lpa_user_main_page_lists_only_their_lpa_with_universe_ranks(access):  # noqa: F811
    """The LPA user's list is exactly the cohort members with their home LPA; ranks are the ones everyone sees."""
    mine = row_ranks(access.clients["lpa"].get("/").text)
    everyone = row_ranks(access.clients["force"].get("/").text)
    assert set(mine) == access.people.in_lpa
    assert 0 < len(mine) < len(everyone)
    assert all(everyone[p] == r for p, r in mine.items())


def test_lpa_user_filter_offers_only_their_lpas(access):  # noqa: F811
    """The LPA filter shows only the user's LPAs (no 'no home LPA'); asking for another LPA is a bad request."""
    page = access.clients["lpa"].get("/").text
    assert lpa_links(page) == {access.people.lpa}
    assert "No home LPA" not in page
    force_page = access.clients["force"].get("/").text
    assert access.people.lpa in lpa_links(force_page) and "UNKNOWN" in lpa_links(force_page)
    another = next(x for x in lpa_links(force_page) if x not in (access.people.lpa, "UNKNOWN"))
    for path in ("/", "/export/list.csv"):
        assert access.clients["lpa"].get(path, params={"lpa": another}).status_code == 400
        assert access.clients["lpa"].get(path, params={"lpa": "UNKNOWN"}).status_code == 400
    assert row_ids(access.clients["lpa"].get("/", params={"lpa": access.people.lpa}).text)


def test_lpa_user_with_two_lpas_sees_both(access, published, tmp_path):  # noqa: F811
    """Several LPAs: the union of their people, and both LPA buttons."""
    from fastapi.testclient import TestClient

    from fsu_dagster.dashboard.users import add_user

    from ..access import people_of
    from ..conftest import make_app, sign_in, snapshot_query

    force_page = access.clients["force"].get("/").text
    second = sorted(x for x in lpa_links(force_page) if x not in (access.people.lpa, "UNKNOWN"))[0]
    users = tmp_path / "users.json"
    add_user(users, "lou", "two-lpas-password-1", "lpa", [access.people.lpa, second.lower()])
    client = TestClient(make_app(tmp_path, published.snapshot_dir, users))
    assert sign_in(client, "lou", "two-lpas-password-1").status_code == 303
    page = client.get("/").text
    expected = {
        p
        for p, lpa in snapshot_query(published, "select person_id, home_lpa from fsu.person_home_lpa")
        if lpa in (access.people.lpa, second)
    }
    assert set(row_ids(page)) == expected and expected > people_of(published).in_lpa
    assert lpa_links(page) == {access.people.lpa, second}


def test_role_change_ends_the_session_and_applies_the_new_scope(published, tmp_path):
    """set_role (e.g. an LPA user made force) ends their sessions; signed in again they see the new scope."""
    from fastapi.testclient import TestClient

    from fsu_dagster.dashboard.users import add_user, set_role

    from ..access import people_of
    from ..conftest import make_app, sign_in

    people = people_of(published)
    users = tmp_path / "users.json"
    add_user(users, "lee", "lpa-to-force-pass-1", "lpa", [people.lpa])
    client = TestClient(make_app(tmp_path, published.snapshot_dir, users))
    assert sign_in(client, "lee", "lpa-to-force-pass-1").status_code == 303
    assert client.get(f"/people/{people.other}").status_code == 403
    set_role(users, "lee", "force")
    assert client.get(f"/people/{people.other}", follow_redirects=False).status_code == SIGN_IN
    assert sign_in(client, "lee", "lpa-to-force-pass-1").status_code == 303
    assert client.get(f"/people/{people.other}").status_code == 200


def test_list_export_is_the_filtered_list_in_scope_with_rows_logged(access):  # noqa: F811
    """The CSV is the page's list (same filters, same order, same scope); the audit line counts its rows."""
    for role in ("lpa", "force"):
        client = access.clients[role]
        for params in ({}, {"sort": "subject"}, {"lpa": access.people.lpa}):
            page_ids = row_ids(client.get("/", params=params).text)
            response = client.get("/export/list.csv", params=params)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            assert response.headers["content-disposition"] == f'attachment; filename="fsu-list-{MONTH}.csv"'
            rows = csv_rows(response.text)
            assert rows[0][:5] == ["person_id", "forename", "surname", "dob", "home_lpa"]
            assert [r[0] for r in rows[1:]] == page_ids
            line = access.audit_lines()[-1]
            assert line["event"] == "export" and line["format"] == "csv" and line["rows"] == len(page_ids)
            assert line["status"] == 200 and line["month"] == MONTH
            if role == "lpa":
                assert {r[4] for r in rows[1:]} == {access.people.lpa}


def test_list_export_ranks_match_the_snapshot(access, published):  # noqa: F811
    """Rank columns are the universe ranks from the snapshot, not positions in the file."""
    from ..conftest import snapshot_query

    rows = csv_rows(access.clients["lpa"].get("/export/list.csv").text)
    header, body = rows[0], rows[1:]
    col = header.index("rank_overall")
    expected = dict(snapshot_query(published, "select person_id, rank_overall from fsu.person_metrics"))
    assert {r[0]: int(r[col]) for r in body} == {p: expected[p] for p in (r[0] for r in body)}


def test_person_export_is_the_pack_in_long_format(access, published):  # noqa: F811
    """section, item, field, value: the person's header, metrics and every details table; rows logged."""
    from ..conftest import snapshot_query

    pid = access.people.mine
    response = access.clients["lpa"].get(f"/people/{pid}/export.csv")
    assert response.status_code == 200
    safe = pid.replace(":", "_")
    assert response.headers["content-disposition"] == f'attachment; filename="fsu-person-{safe}-{MONTH}.csv"'
    rows = csv_rows(response.text)
    assert rows[0] == ["section", "item", "field", "value"]
    body = rows[1:]
    assert ["person", "1", "person_id", pid] in body
    investigations = snapshot_query(
        published, "select investigation_id from fsu.investigation_list where person_id = ?", [pid]
    )
    exported = {r[3] for r in body if r[0] == "investigations" and r[2] == "investigation_id"}
    assert exported == {i for (i,) in investigations}
    rank = snapshot_query(published, "select rank_overall from fsu.person_metrics where person_id = ?", [pid])[0][0]
    overall = next(r[1] for r in body if r[0] == "metrics" and r[2] == "key" and r[3] == "overall")
    assert ["metrics", overall, "rank", str(rank)] in body
    line = access.audit_lines()[-1]
    assert line["event"] == "export" and line["rows"] == len(body) and line["person_id"] == pid


def test_print_pack_has_month_method_and_who_printed(access):  # noqa: F811
    """The evidence pack: the month, the method summary, who printed it; print styles; an audit line 'print'."""
    pid = access.people.mine
    response = access.clients["lpa"].get(f"/people/{pid}/print")
    assert response.status_code == 200
    page = response.text
    assert f'id="pack-month">{MONTH}<' in page
    assert 'id="printed-by"' in page and "Printed by <strong>lena</strong>" in page
    assert "twelve months" in page and "Ranks are out of everyone" in page and "volume of contact only" in page
    assert '<link rel="stylesheet" href="/static/print.css">' in page and "app.css" not in page
    assert pid in page
    line = access.audit_lines()[-1]
    assert line["event"] == "print" and line["person_id"] == pid and line["user"] == "lena"
    css = access.clients["anonymous"].get("/static/print.css")
    assert css.status_code == 200 and "@media print" in css.text


def test_details_page_links_to_print_and_export(access):  # noqa: F811
    page = access.clients["force"].get(f"/people/{access.people.other}").text
    assert f'href="/people/{access.people.other}/print?month={MONTH}"' in page
    assert f'href="/people/{access.people.other}/export.csv?month={MONTH}"' in page
    main = access.clients["force"].get("/", params={"sort": "subject"}).text
    assert f'href="/export/list.csv?month={MONTH}&amp;sort=subject&amp;dir=asc"' in main


def test_a_hand_edited_scope_ends_the_session(published, tmp_path):
    """The session carries the role and LPAs it was granted: editing them in the file (no version bump) ends it."""
    import json

    from fastapi.testclient import TestClient

    from fsu_dagster.dashboard.users import add_user

    from ..access import people_of
    from ..conftest import make_app, sign_in

    people = people_of(published)
    users = tmp_path / "users.json"
    add_user(users, "lee", "hand-edited-pass-1", "lpa", [people.lpa])
    client = TestClient(make_app(tmp_path, published.snapshot_dir, users))
    assert sign_in(client, "lee", "hand-edited-pass-1").status_code == 303
    assert client.get("/").status_code == 200
    data = json.loads(users.read_text())
    data["users"]["lee"]["lpas"] = sorted({people.lpa, "DUDLEY", "WALSALL"} - {people.lpa})
    users.write_text(json.dumps(data))
    response = client.get("/", follow_redirects=False)
    assert response.status_code == SIGN_IN
    assert json.loads((tmp_path / "audit.log").read_text().splitlines()[-1])["event"] == "session_revoked"
    assert sign_in(client, "lee", "hand-edited-pass-1").status_code == 303
    assert client.get("/").status_code == 200


def test_related_people_outside_the_scope_are_not_linked(access, published):  # noqa: F811
    """On an in-scope person's page, a related listed person of another LPA keeps their ID but loses the link."""
    from ..conftest import snapshot_query

    pairs = snapshot_query(
        published,
        "select r.person_id, r.related_person_id from fsu.person_relationships r "
        "join fsu.cohort c on c.person_id = r.related_person_id "
        "join fsu.person_home_lpa a on a.person_id = r.person_id "
        "left join fsu.person_home_lpa b on b.person_id = r.related_person_id "
        "where a.home_lpa = ? and coalesce(b.home_lpa, '') <> ? order by 1, 2 limit 1",
        [access.people.lpa, access.people.lpa],
    )
    assert pairs, "the tiny data should relate people across LPAs"
    pid, related = pairs[0]
    link = f'href="/people/{related}?month={MONTH}"'
    page = access.clients["lpa"].get(f"/people/{pid}").text
    assert related in page and link not in page
    assert link in access.clients["force"].get(f"/people/{pid}").text
