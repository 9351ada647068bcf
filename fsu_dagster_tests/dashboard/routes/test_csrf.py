"""CSRF on every form: each POST route of the app refuses a missing or wrong token with 403, and does nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.csrf import csrf_ok

from ..conftest import PASSWORDS, make_app, sign_in, snapshot_query

#: Values for path parameters and required form fields, by name (anything else gets a placeholder).
SAMPLES = {"name": "vera", "username": "adam", "password": PASSWORDS["adam"], "next": "/"}


@pytest.fixture
def walk_app(tmp_path, published, users_file):
    return make_app(tmp_path, published.snapshot_dir, users_file)


def _walk(routes, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path (FastAPI keeps an included router as one entry of ``app.routes``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def post_routes(app) -> list[tuple[str, APIRoute]]:
    return [(path, r) for path, r in _walk(app.routes) if "POST" in r.methods]


def sample_path(path: str, person_id: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLES.get(m.group(1), person_id), path)


def form_fields(route: APIRoute) -> dict[str, str]:
    """Every form field the route takes (so a refusal is the token's, not a missing field's), without ``csrf``."""
    return {p.alias: SAMPLES.get(p.alias, "x") for p in route.dependant.body_params if p.alias != "csrf"}


def test_the_app_has_the_forms_we_know(walk_app):
    """The walk below is not empty: sign-in, sign-out and unlock are among the POST routes (new ones join them)."""
    assert {"/login", "/logout", "/users/{name}/unlock"} <= {path for path, _ in post_routes(walk_app)}


@pytest.mark.parametrize("token", [None, "", "forged-token", "x" * 43])
def test_every_post_route_refuses_a_missing_or_wrong_token(walk_app, published, token):
    """Signed in as an admin (so no role check answers first), every POST without the session's token gets 403."""
    client = TestClient(walk_app)
    assert sign_in(client, "adam").status_code == 303
    person_id = snapshot_query(published, "select person_id from fsu.cohort limit 1")[0][0]
    for path, route in post_routes(walk_app):
        data = form_fields(route)
        if token is not None:
            data["csrf"] = token
        response = client.post(sample_path(path, person_id), data=data, follow_redirects=False)
        assert response.status_code == 403, f"POST {path} answered {response.status_code} without the token"
        assert client.get("/method", follow_redirects=False).status_code == 200, f"POST {path} signed us out"


def test_the_right_token_is_accepted(walk_app):
    """The check is not refusing everything: the page's own token signs out."""
    client = TestClient(walk_app)
    assert sign_in(client, "adam").status_code == 303
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/method").text).group(1)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/method", follow_redirects=False).status_code == 303


def test_every_page_form_carries_the_token(walk_app):
    """Each ``<form method="post">`` on the signed-in pages has the hidden ``csrf`` field with the session's token."""
    client = TestClient(walk_app)
    assert sign_in(client, "adam").status_code == 303
    tokens = []
    for path in ("/", "/method", "/audit"):
        html = client.get(path).text
        for form in re.findall(r'<form[^>]*method="post"[^>]*>.*?</form>', html, flags=re.S | re.I):
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token, f"a form on {path} has no CSRF field"
            tokens.append(token.group(1))
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # one per session, the one sign-out accepts below
    assert client.post("/logout", data={"csrf": tokens[0]}, follow_redirects=False).status_code == 303


def test_csrf_ok_is_strict():
    class Req:
        def __init__(self, session):
            self.session = session

    assert csrf_ok(Req({"csrf": "abc"}), "abc")
    assert not csrf_ok(Req({"csrf": "abc"}), "abd")
    assert not csrf_ok(Req({}), "")
    assert not csrf_ok(Req({"csrf": ""}), "")
    assert not csrf_ok(Req({"csrf": "abc"}), None)


def test_unlock_form_partial_posts_with_the_token(walk_app):
    """The users page's unlock button (``partials/unlock_form.html``) posts to the unlock route with the token."""
    from fsu_dagster.dashboard.rendering import templates

    html = templates.env.get_template("partials/unlock_form.html").render(name="vera", csrf_token="tok-123")
    assert 'action="/users/vera/unlock"' in html and 'method="post"' in html
    assert 'name="csrf" value="tok-123"' in html
