"""The audit log: who looked at whom, readable by admins only, and never holding a name."""

from __future__ import annotations

import json

from ..conftest import PASSWORDS, row_ids, sign_in, snapshot_query


def _lines(app) -> list[dict]:
    path = app.state.config.audit_file
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_viewer_cannot_open_the_audit_log(viewer):
    """Role checks are enforced on the server: a viewer gets 403, not the log."""
    response = viewer.get("/audit")
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert 'href="/audit"' not in viewer.get("/method").text


def test_admin_can_open_the_audit_log(admin):
    page = admin.get("/audit")
    assert page.status_code == 200 and "adam" in page.text and 'href="/audit"' in page.text


def test_page_views_are_logged_with_user_path_and_person(app, viewer, published):
    """Each page view appends one line naming the user, the page and the person ID viewed — for accountability."""
    before = len(_lines(app))
    pid = row_ids(viewer.get("/").text)[0]
    viewer.get(f"/people/{pid}")
    viewer.get("/people/P00000000")
    new = _lines(app)[before:]
    assert [(r["user"], r["event"], r["path"], r["person_id"], r["status"]) for r in new] == [
        ("vera", "view", "/", None, 200),
        ("vera", "view", f"/people/{pid}", pid, 200),
        ("vera", "view", "/people/P00000000", "P00000000", 404),
    ]
    assert all(r["month"] == "2026-10" and r["time"].endswith("Z") for r in new[:2])


def test_audit_log_holds_no_names_or_passwords(app, client, published):
    """The log is kept long and read widely: people are named by ID only, and no password is ever written."""
    sign_in(client, "vera", "a-wrong-password")
    sign_in(client, "vera")
    for (pid,) in snapshot_query(published, "select person_id from fsu.cohort order by 1 limit 5"):
        client.get(f"/people/{pid}")
    text = app.state.config.audit_file.read_text()
    names = snapshot_query(
        published,
        "select forename, surname, cast(dob as varchar) from fsu.person_names where person_id in "
        "(select person_id from fsu.cohort order by 1 limit 5)",
    )
    for forename, surname, dob in names:
        for value in (forename, surname, dob):
            assert value and f'"{value}"' not in text and f" {value}" not in text
    assert PASSWORDS["vera"] not in text and "a-wrong-password" not in text
    events = [r["event"] for r in _lines(app)]
    assert events[:2] == ["login_failed", "login"] and events.count("view") == 5


def test_anonymous_requests_are_not_logged_as_views(app, client):
    """Redirects to the sign-in page and the sign-in page itself are not page views of any data."""
    client.get("/", follow_redirects=False)
    client.get("/login")
    assert _lines(app) == []


def test_one_audit_record_per_request_makes_one_line():
    """The middleware writes what the request's RequestAudit holds; anonymous page views write nothing."""
    from fsu_dagster.dashboard.audit import RequestAudit

    assert RequestAudit().line("/", 303) is None
    assert RequestAudit(role="admin").line("/", 200) is None
    viewed = RequestAudit(user="vera", role="viewer", person_id="P1", month="2026-10").line("/people/P1", 404)
    assert viewed == {
        "user": "vera",
        "event": "view",
        "path": "/people/P1",
        "status": 404,
        "person_id": "P1",
        "month": "2026-10",
    }
    failed = RequestAudit(user="(invalid name)", event="login_failed").line("/login", 401)
    assert failed is not None and (failed["user"], failed["event"], failed["person_id"]) == (
        "(invalid name)",
        "login_failed",
        None,
    )
