"""Sessions end on the server's word: sign-out, password reset, disable and role change end every
session of that user (a captured cookie is refused), and sessions time out when idle and absolutely."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.config import DashboardConfig, InsecureConfig
from fsu_dagster.dashboard.users import add_user, disable_user, reset_password, set_role
from fsu_dagster.settings import load_settings

from ..conftest import make_app, sign_in

PASSWORD = "session-password-1"
MINUTE = 60.0


class Clock:
    """The app's clock, moved on by the test (seconds since the epoch)."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * MINUTE


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(tmp_path):
    """A users file of this test's own (the tests change it)."""
    path = tmp_path / "users.json"
    add_user(path, "sam", PASSWORD, "viewer")
    return path


@pytest.fixture
def web(tmp_path, published, users, clock):
    return make_app(tmp_path, published.snapshot_dir, users, clock=clock)


def signed_in(web) -> TestClient:
    client = TestClient(web)
    assert sign_in(client, "sam", PASSWORD).status_code == 303
    assert client.get("/method").status_code == 200
    return client


def captured(client: TestClient) -> TestClient:
    """Another client holding a copy of ``client``'s session cookie (as an attacker who captured it)."""
    thief = TestClient(client.app)
    thief.cookies.set("fsu_session", client.cookies["fsu_session"])
    return thief


def refused(client: TestClient, path: str = "/method") -> bool:
    response = client.get(path, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def audit_events(tmp_path) -> list[tuple[str | None, str]]:
    path = tmp_path / "audit.log"
    return [(r["user"], r["event"]) for r in map(json.loads, path.read_text().splitlines())] if path.exists() else []


def form_token(client: TestClient) -> str:
    return client.get("/method").text.split('name="csrf" value="')[1].split('"')[0]


def test_captured_cookie_works_until_revoked(web):
    """Control for the tests below: a copied cookie is a working session until something ends it."""
    assert not refused(captured(signed_in(web)))


def test_sign_out_refuses_a_captured_cookie(web, tmp_path):
    """After sign-out a copy of the cookie taken before it is refused (not valid for up to 8 hours)."""
    client = signed_in(web)
    thief = captured(client)
    assert client.post("/logout", data={"csrf": form_token(client)}, follow_redirects=False).status_code == 303
    assert refused(thief)
    assert refused(client)
    assert ("sam", "logout") in audit_events(tmp_path) and ("sam", "session_revoked") in audit_events(tmp_path)


def test_sign_out_ends_every_session_of_the_user(web):
    """Signing out in one browser ends the user's sessions in every other browser too."""
    office, laptop = signed_in(web), signed_in(web)
    office.post("/logout", data={"csrf": form_token(office)})
    assert refused(laptop)
    assert sign_in(laptop, "sam", PASSWORD).status_code == 303 and not refused(laptop)  # a new sign-in works


def test_sign_out_with_a_read_only_users_file_still_ends_this_session(web, monkeypatch):
    """If the dashboard's account cannot write the users file, sign-out still works (this cookie ends)."""
    from fsu_dagster.dashboard.routes import auth

    def read_only(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(auth, "end_sessions", read_only)
    client = signed_in(web)
    response = client.post("/logout", data={"csrf": form_token(client)}, follow_redirects=False)
    assert response.status_code == 303 and refused(client)


def test_password_reset_refuses_a_captured_cookie(web, users):
    client = signed_in(web)
    thief = captured(client)
    reset_password(users, "sam", "a-brand-new-password")
    assert refused(thief) and refused(client)
    assert sign_in(client, "sam", PASSWORD).status_code == 401
    assert sign_in(client, "sam", "a-brand-new-password").status_code == 303


def test_disable_refuses_a_captured_cookie(web, users):
    client = signed_in(web)
    thief = captured(client)
    disable_user(users, "sam")
    assert refused(thief) and refused(client)
    assert sign_in(client, "sam", PASSWORD).status_code == 401


def test_role_change_refuses_a_captured_cookie(web, users):
    """A role change ends the sessions, and the new sign-in carries the new role (the audit page opens)."""
    client = signed_in(web)
    assert client.get("/audit", follow_redirects=False).status_code == 403
    thief = captured(client)
    set_role(users, "sam", "admin")
    assert refused(thief) and refused(client, "/audit")
    assert sign_in(client, "sam", PASSWORD).status_code == 303
    assert client.get("/audit").status_code == 200


def test_session_ends_after_idle_time(web, clock, tmp_path):
    """Default 30 minutes without a request ends the session; each request restarts the idle count."""
    client = signed_in(web)
    for _ in range(3):  # 87 minutes in all, never more than 29 idle
        clock.advance(29)
        assert client.get("/method").status_code == 200
    clock.advance(31)
    assert refused(client)
    assert ("sam", "session_expired") in audit_events(tmp_path)


def test_idle_time_is_configurable(tmp_path, published, users, clock):
    web = make_app(tmp_path, published.snapshot_dir, users, clock=clock, config={"session_idle_timeout": 5 * 60})
    client = signed_in(web)
    clock.advance(4)
    assert not refused(client)
    clock.advance(6)
    assert refused(client)


def test_session_ends_absolutely_after_eight_hours(web, clock):
    """However active, a session ends 8 hours after sign-in (the cookie's own signature is re-made on every response)."""
    client = signed_in(web)
    for _ in range(23):  # 23 x 20 minutes = 7 h 40 min: still in
        clock.advance(20)
        assert client.get("/method").status_code == 200
    clock.advance(21)  # 8 h 1 min
    assert refused(client)


def test_a_cookie_from_before_the_clock_is_refused(web, clock):
    """A session whose sign-in time lies in the future (a clock set back, a forged time) is not trusted."""
    client = signed_in(web)
    clock.advance(-10)
    assert refused(client)


@pytest.mark.parametrize(("value", "ok"), [("", 30 * 60), ("10", 10 * 60), ("0", None), ("ten", None)])
def test_idle_minutes_from_the_environment(monkeypatch, tmp_path, value, ok):
    monkeypatch.setenv("FSU_ENV", "local")
    monkeypatch.setenv("FSU_SESSION_IDLE_MINUTES", value)
    settings = load_settings(data_dir=tmp_path)
    if ok is None:
        with pytest.raises(InsecureConfig):
            DashboardConfig.from_env(settings)
    else:
        assert DashboardConfig.from_env(settings).session_idle_timeout == ok
