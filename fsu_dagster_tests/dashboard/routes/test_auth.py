"""Sign-in: only signed-in users see anything but the sign-in page and the stylesheet."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.config import DashboardConfig, InsecureConfig
from fsu_dagster.dashboard.users import add_user, authenticate, remove_user
from fsu_dagster.settings import load_settings

from ..conftest import PASSWORDS, csrf_token, make_app, sign_in

PROTECTED = [
    "/",
    "/?lpa=COVENTRY",
    "/?month=2026-10",
    "/people/P00000001",
    "/method",
    "/audit",
    "/people/x?month=1999-01",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_every_page_redirects_to_sign_in(client, path):
    """Nobody sees individual-level data, or even whether a person or month exists, without signing in."""
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    # No person ID on the sign-in page (the random CSRF token may hold "P0" by chance,
    # so look for an ID, not for two characters).
    assert not re.search(r"\bP\d{8}\b", client.get("/login").text)


def test_sign_in_success_returns_to_the_requested_page(client):
    """After signing in the user lands on the page they asked for, and the page is then served."""
    response = sign_in(client, "vera", next="/method")
    assert (response.status_code, response.headers["location"]) == (303, "/method")
    page = client.get("/method")
    assert page.status_code == 200 and "How this list is made" in page.text


@pytest.mark.parametrize(
    ("name", "password"),
    [("vera", "wrong-password-000"), ("nobody", "viewer-password-123"), ("vera", ""), ("../vera", PASSWORDS["vera"])],
)
def test_sign_in_failure(client, name, password):
    """A wrong password or unknown user gets the same message and no session."""
    response = client.post("/login", data={"username": name, "password": password, "csrf": csrf_token(client)})
    assert response.status_code in (401, 400)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_form_token(client):
    """A sign-in posted from another site (no CSRF token from our form) is refused."""
    client.get("/login")
    response = client.post("/login", data={"username": "vera", "password": PASSWORDS["vera"], "csrf": "forged"})
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(client, target):
    """The ``next`` parameter cannot be used to send a signed-in user to another site."""
    assert sign_in(client, "vera", next=target).headers["location"] == "/"


def test_sign_out_ends_the_session(viewer):
    """Signing out (a POST with the form token) means the next page view needs a new sign-in."""
    page = viewer.get("/method").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    assert viewer.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert viewer.get("/method", follow_redirects=False).status_code == 303


def test_removed_user_is_signed_out(tmp_path, published):
    """Removing someone from the users file ends their access at once, without waiting for the cookie to expire."""
    users = tmp_path / "users.json"
    add_user(users, "temp", "temporary-pass-1", "viewer")
    client = TestClient(make_app(tmp_path, published.snapshot_dir, users))
    assert sign_in(client, "temp", "temporary-pass-1").status_code == 303
    assert client.get("/method").status_code == 200
    remove_user(users, "temp")
    assert client.get("/method", follow_redirects=False).status_code == 303


def test_users_file_stores_only_argon2_hashes(users_file):
    """The users file never holds a password, only an argon2id hash that verifies it."""
    text = users_file.read_text()
    assert PASSWORDS["vera"] not in text
    entry = json.loads(text)["users"]["vera"]
    assert entry["role"] == "force" and entry["password_hash"].startswith("$argon2id$")  # "viewer" is stored as force
    assert authenticate(users_file, "vera", PASSWORDS["vera"]).role == "force"


@pytest.mark.parametrize(
    ("name", "password", "role"),
    [("ok", "short", "viewer"), ("bad name", "long-enough-pass", "viewer"), ("ok", "long-enough-pass", "root")],
)
def test_add_user_rejects(tmp_path, name, password, role):
    """Weak passwords, odd names and unknown roles never reach the users file."""
    with pytest.raises(ValueError):
        add_user(tmp_path / "users.json", name, password, role)
    assert not (tmp_path / "users.json").exists()


@pytest.mark.parametrize(
    ("env", "secret", "starts"),
    [
        ("", "", False),
        ("production", "short", False),
        ("", "changethis", False),
        ("", "s" * 40, True),
        ("local", "", True),
    ],
)
def test_session_secret_required_outside_local(monkeypatch, tmp_path, env, secret, starts):
    """Without a strong FSU_SESSION_SECRET anyone could forge a session cookie: refuse to start unless local."""
    monkeypatch.setenv("FSU_ENV", env)
    monkeypatch.setenv("FSU_SESSION_SECRET", secret)
    settings = load_settings(data_dir=tmp_path)
    if starts:
        config = DashboardConfig.from_env(settings)
        assert len(config.session_secret) >= 32
        assert config.secure_cookies == (env != "local")
        assert config.users_file == tmp_path / "users.json" and config.audit_file == tmp_path / "audit.log"
    else:
        with pytest.raises(InsecureConfig):
            DashboardConfig.from_env(settings)
