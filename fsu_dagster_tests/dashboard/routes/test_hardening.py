"""Hardening: security headers on every response (errors too), a clear page for a damaged snapshot,
relative redirects whatever the ``Host`` says, and person IDs checked before use or logging."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard import views
from fsu_dagster.dashboard.ids import valid_person_id

from ..conftest import make_app, row_ids, sign_in, snapshot_query

HEADERS = {
    "content-security-policy": "script-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_security_headers(response) -> None:
    for name, value in HEADERS.items():
        assert value in response.headers.get(name, ""), (name, response.status_code)


def audit_records(tmp_path) -> list[dict]:
    path = tmp_path / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def some_person(published) -> str:
    return snapshot_query(published, "select min(person_id) from fsu.cohort")[0][0]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-page", 404),
        ("POST", "/method", 405),
        ("GET", "/people/P1?month=1999-01", 404),
        ("GET", "/?sort=x&lpa=NOWHERE", 400),
    ],
)
def test_error_pages_carry_the_security_headers(viewer, method, path, status):
    response = viewer.request(method, path, follow_redirects=False)
    assert response.status_code == status
    assert_security_headers(response)


def test_anonymous_errors_carry_the_security_headers(client):
    for response in (
        client.get("/no-such-page"),
        client.post("/login", data={}),
        client.get("/", follow_redirects=False),
    ):
        assert_security_headers(response)


def test_an_unexpected_error_is_a_plain_500_page_with_headers(viewer, monkeypatch, tmp_path):
    """An exception no handler knows gives a 500 page with the headers and an audit line, not a stack trace."""

    def broken(*args, **kwargs):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(views, "cohort_context", broken)
    response = viewer.get("/")  # the test client would re-raise an exception that reached the server
    assert response.status_code == 500
    assert_security_headers(response)
    assert "secret-internal-detail" not in response.text and "Traceback" not in response.text
    assert "Something went wrong" in response.text
    assert (audit_records(tmp_path)[-1]["event"], audit_records(tmp_path)[-1]["status"]) == ("error", 500)


def _damaged_copy(published, tmp_path, content: bytes):
    """A snapshot folder holding the good October and a damaged November, which ``latest`` names."""
    folder = tmp_path / "snaps"
    folder.mkdir()
    shutil.copy(published.path, folder / published.path.name)
    (folder / "fsu-2026-11.duckdb").write_bytes(content)
    (folder / "latest").write_text("fsu-2026-11.duckdb\n")
    return folder


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_snapshot_gives_a_clear_page_and_an_audit_line(tmp_path, published, users_file, damage):
    good = published.path.read_bytes()
    content = {"garbage": b"\x00not a database\xff" * 4096, "truncated": good[: len(good) // 3], "empty": b""}[damage]
    web = make_app(tmp_path, _damaged_copy(published, tmp_path, content), users_file)
    client = TestClient(web)
    assert sign_in(client, "vera").status_code == 303
    response = client.get("/")
    assert response.status_code == 503
    assert_security_headers(response)
    assert "cannot be read" in response.text and "2026-11" in response.text
    assert "Traceback" not in response.text and "IO Error" not in response.text
    last = audit_records(tmp_path)[-1]
    assert (last["event"], last["status"], last["month"], last["user"]) == (
        "snapshot_unreadable",
        503,
        "2026-11",
        "vera",
    )
    # The other months still work.
    assert client.get("/?month=2026-10").status_code == 200


@pytest.mark.parametrize(
    ("path", "location"),
    [("/method/", "/method"), ("/people/P1/?month=2026-10", "/people/P1?month=2026-10"), ("/?lpa=X", None)],
)
def test_trailing_slash_redirect_is_relative_whatever_the_host(viewer, path, location):
    """A hostile ``Host`` header never ends up in a ``Location`` (the router's own redirect would echo it)."""
    response = viewer.get(path, headers={"host": "evil.example"}, follow_redirects=False)
    if location is None:
        assert response.status_code != 307
    else:
        assert (response.status_code, response.headers["location"]) == (307, location)
    assert "evil.example" not in response.headers.get("location", "")
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["//evil.example/", "///evil.example/", "/\\evil.example/"])
def test_no_redirect_to_another_site(viewer, path):
    response = viewer.get(path, headers={"host": "evil.example"}, follow_redirects=False)
    assert not response.headers.get("location", "").startswith(("//", "/\\", "http"))


def test_redirects_to_sign_in_are_relative(client):
    response = client.get("/people/P1", headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    response = client.get("/login", headers={"host": "evil.example"})  # not signed in: the form itself
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    "bad",
    ["A" * 200, "CW:ZZZZZZZZZZZZ", "CW:0123", "P1%0Aforged", "P1%20x", "P1%27--", "%C3%A9P1", "-P1"],
)
def test_invalid_person_id_is_refused_and_never_logged(viewer, tmp_path, bad):
    """An ID not shaped like a Connect or CW: ID gets 404 and the audit line says "invalid id", never the value."""
    response = viewer.get(f"/people/{bad}", follow_redirects=False)
    assert response.status_code == 404
    assert_security_headers(response)
    last = audit_records(tmp_path)[-1]
    assert (last["person_id"], last["path"], last["status"]) == ("invalid id", "/people/(invalid id)", 404)
    text = (tmp_path / "audit.log").read_text()
    for fragment in ("AAAAAAAAAA", "ZZZZ", "forged", "etc", "--"):
        assert fragment not in text


def test_valid_person_ids_are_served_and_logged(viewer, tmp_path, published):
    """Control: a real cohort member's page opens and is logged with their ID; a well-shaped absent ID is a 404 with it."""
    pid = some_person(published)
    assert viewer.get(f"/people/{pid}").status_code == 200
    assert audit_records(tmp_path)[-1]["person_id"] == pid
    assert viewer.get("/people/CW:0123456789ab").status_code == 404
    assert audit_records(tmp_path)[-1]["person_id"] == "CW:0123456789ab"


def test_every_cohort_id_has_the_contract_shape(published, viewer):
    """The check refuses nobody the pipeline makes: every listed ID (Connect and CW:) is valid."""
    ids = [r[0] for r in snapshot_query(published, "select person_id from fsu.cohort")]
    ids += [r[0] for r in snapshot_query(published, "select distinct related_person_id from fsu.person_relationships")]
    assert ids and all(valid_person_id(i) for i in ids)
    assert set(row_ids(viewer.get("/").text)) <= set(ids)


def test_unknown_paths_never_reach_the_audit_log_raw(viewer, tmp_path):
    """A signed-in user's request for a path that is no page leaves no line holding what was sent."""
    before = len(audit_records(tmp_path))
    assert viewer.get("/" + "%0A" + "x" * 300).status_code == 404
    assert all(r["path"] in ("(invalid path)",) for r in audit_records(tmp_path)[before:])
    assert "xxxxxxxx" not in (tmp_path / "audit.log").read_text()


def test_the_outermost_layer_answers_with_headers_when_everything_inside_failed():
    """Even an exception outside the app's own error handling (e.g. in a middleware) gives a bare 500 with the headers."""
    from fsu_dagster.dashboard.main import SecurityHeaders

    async def exploding(scope, receive, send):
        raise RuntimeError("secret-internal-detail")

    response = TestClient(SecurityHeaders(exploding)).get("/anything")
    assert response.status_code == 500
    assert_security_headers(response)
    assert "secret-internal-detail" not in response.text and "Something went wrong" in response.text
