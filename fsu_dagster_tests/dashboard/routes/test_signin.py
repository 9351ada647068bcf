"""Sign-in throttling (per account, per client address) and lock-out with admin unlock (issue 13)."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fsu_dagster.cli import app as cli_app
from fsu_dagster.dashboard.config import DashboardConfig, InsecureConfig
from fsu_dagster.dashboard.throttle import LoginThrottle
from fsu_dagster.dashboard.users import ROLES, add_user, authenticate, load_users, sign_in, unlock_user
from fsu_dagster.settings import load_settings

from ..conftest import csrf_token, make_app

#: A role that is neither admin nor LPA-scoped (``viewer`` before the LPA roles, ``force`` after).
OTHER_ROLE = next(r for r in ROLES if r not in ("admin", "lpa"))
PASSWORDS = {"vera": "vera-password-1234", "adam": "adam-password-5678", "olga": "olga-password-9012"}


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "vera", PASSWORDS["vera"], OTHER_ROLE)
    add_user(path, "olga", PASSWORDS["olga"], OTHER_ROLE)
    add_user(path, "adam", PASSWORDS["adam"], "admin")
    return path


def build(tmp_path, published, users, **config):
    return make_app(tmp_path, published.snapshot_dir, users, config=config)


def attempt(client: TestClient, name: str, password: str):
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf": csrf_token(client)},
        follow_redirects=False,
    )


def audit_events(tmp_path) -> list[dict]:
    path = tmp_path / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def error_text(html: str) -> str:
    return re.search(r'role="alert">([^<]*)<', html).group(1)


# --- throttling ------------------------------------------------------------------------------


def test_account_throttle_answers_429_without_checking_the_password(tmp_path, published, users):
    """Over the per-account limit even the right password gets 429 + Retry-After, and no failure is counted."""
    client = TestClient(build(tmp_path, published, users, login_limit_account="3/minute"))
    for _ in range(3):
        assert attempt(client, "vera", "wrong-password-000").status_code == 401
    throttled = attempt(client, "vera", PASSWORDS["vera"])
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert "Too many sign-in attempts" in throttled.text
    assert client.get("/method", follow_redirects=False).status_code == 303  # not signed in
    assert load_users(users)["vera"]["failed_logins"] == 3  # the throttled attempt was not checked
    last = audit_events(tmp_path)[-1]
    assert (last["event"], last["user"], last["status"]) == ("throttled", "vera", 429)
    # Another account from the same address is not affected by vera's limit.
    assert attempt(client, "olga", PASSWORDS["olga"]).status_code == 303


def test_account_throttle_ignores_case(tmp_path, published, users):
    """``VERA`` and ``vera`` count against one limit (changing case does not buy more guesses)."""
    client = TestClient(build(tmp_path, published, users, login_limit_account="2/minute"))
    assert attempt(client, "vera", "wrong-password-000").status_code == 401
    assert attempt(client, "VERA", "wrong-password-000").status_code == 401
    assert attempt(client, "Vera", "wrong-password-000").status_code == 429


def test_address_throttle_limits_one_address_trying_many_accounts(tmp_path, published, users):
    """Credential stuffing: one address over its limit is refused for every account; another address is not."""
    app = build(tmp_path, published, users, login_limit_address="3/minute")
    client = TestClient(app, client=("192.0.2.10", 50000))
    for name in ("alice", "bob", "carol"):
        assert attempt(client, name, "guess-password-000").status_code == 401
    refused = attempt(client, "olga", PASSWORDS["olga"])
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    other = TestClient(app, client=("192.0.2.11", 50000))
    assert attempt(other, "olga", PASSWORDS["olga"]).status_code == 303


def test_throttle_window_moves_on():
    """The moving window: once the counted attempts are older than the window, attempts are allowed again."""
    throttle = LoginThrottle(account="2/second", address="100/minute")
    assert throttle.attempt("vera", "a") is None
    assert throttle.attempt("vera", "a") is None
    over = throttle.attempt("vera", "a")
    assert over is not None and over.scope == "account" and over.retry_after == 1
    time.sleep(1.1)
    assert throttle.attempt("vera", "a") is None


def test_throttle_and_lockout_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FSU_SESSION_SECRET", "s" * 40)
    monkeypatch.setenv("FSU_LOGIN_LIMIT_ACCOUNT", "7/hour")
    monkeypatch.setenv("FSU_LOGIN_LIMIT_ADDRESS", "30 per minute")
    monkeypatch.setenv("FSU_LOCKOUT_FAILURES", "4")
    config = DashboardConfig.from_env(load_settings(data_dir=tmp_path), local=False)
    assert (config.login_limit_account, config.login_limit_address, config.lockout_failures) == (
        "7/hour",
        "30 per minute",
        4,
    )
    monkeypatch.setenv("FSU_LOGIN_LIMIT_ACCOUNT", "lots")
    with pytest.raises(InsecureConfig, match="FSU_LOGIN_LIMIT_ACCOUNT"):
        DashboardConfig.from_env(load_settings(data_dir=tmp_path), local=False)
    monkeypatch.setenv("FSU_LOGIN_LIMIT_ACCOUNT", "5/minute")
    monkeypatch.setenv("FSU_LOCKOUT_FAILURES", "0")
    with pytest.raises(InsecureConfig, match="FSU_LOCKOUT_FAILURES"):
        DashboardConfig.from_env(load_settings(data_dir=tmp_path), local=False)


def test_default_limits(tmp_path, monkeypatch):
    for name in ("FSU_LOGIN_LIMIT_ACCOUNT", "FSU_LOGIN_LIMIT_ADDRESS", "FSU_LOCKOUT_FAILURES"):
        monkeypatch.delenv(name, raising=False)
    config = DashboardConfig.from_env(load_settings(data_dir=tmp_path), local=True)
    assert (config.login_limit_account, config.login_limit_address, config.lockout_failures) == (
        "5/minute",
        "20/minute",
        10,
    )


# --- lock-out --------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_with_the_same_message(tmp_path, published, users):
    """After N wrong passwords the right one is refused too, with the wrong-password page (no enumeration)."""
    client = TestClient(build(tmp_path, published, users, lockout_failures=3))
    wrong = [attempt(client, "vera", f"wrong-password-{i:03}") for i in range(3)]
    assert [r.status_code for r in wrong] == [401, 401, 401]
    entry = load_users(users)["vera"]
    assert entry["failed_logins"] == 3 and entry["locked_at"]
    right = attempt(client, "vera", PASSWORDS["vera"])
    unknown = attempt(client, "nobody", PASSWORDS["vera"])
    assert right.status_code == unknown.status_code == wrong[0].status_code == 401
    assert error_text(right.text) == error_text(unknown.text) == error_text(wrong[0].text)
    assert client.get("/method", follow_redirects=False).status_code == 303
    events = [(e["event"], e["user"]) for e in audit_events(tmp_path)]
    assert events[-4:] == [
        ("login_failed", "vera"),
        ("locked", "vera"),
        ("login_locked", "vera"),
        ("login_failed", "nobody"),
    ]
    assert authenticate(users, "vera", PASSWORDS["vera"]) is None  # every password check refuses a locked account
    assert "nobody" not in load_users(users)  # an unknown name leaves no trace in the users file


def test_a_success_resets_the_failure_count(tmp_path, published, users):
    """Only consecutive failures lock: a right password in between starts the count again."""
    client = TestClient(build(tmp_path, published, users, lockout_failures=3, login_limit_account="100/minute"))
    for _ in range(2):
        attempt(client, "vera", "wrong-password-000")
    assert attempt(client, "vera", PASSWORDS["vera"]).status_code == 303
    assert "failed_logins" not in load_users(users)["vera"]
    other = TestClient(client.app)
    for _ in range(2):
        attempt(other, "vera", "wrong-password-000")
    assert not load_users(users)["vera"].get("locked_at")
    assert attempt(other, "vera", PASSWORDS["vera"]).status_code == 303


def test_locking_leaves_the_session_version_alone(users):
    """Locking is about new sign-ins; an admin ends sessions with ``fsu user disable`` if needed."""
    before = load_users(users)["vera"]["session_version"]
    for _ in range(2):
        sign_in(users, "vera", "wrong-password-000", max_failures=2)
    assert load_users(users)["vera"]["session_version"] == before
    assert load_users(users)["vera"]["locked_at"]


def admin_client(app) -> TestClient:
    client = TestClient(app)
    assert attempt(client, "adam", PASSWORDS["adam"]).status_code == 303
    return client


def page_token(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/method").text).group(1)


def test_admin_unlocks_an_account(tmp_path, published, users):
    """``POST /users/{name}/unlock`` (admin, CSRF): the account signs in again; logged as ``unlock`` by the admin."""
    app = build(tmp_path, published, users, lockout_failures=2)
    for _ in range(2):
        sign_in(users, "vera", "wrong-password-000", max_failures=2)
    admin = admin_client(app)
    response = admin.post("/users/vera/unlock", data={"csrf": page_token(admin)}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/users")
    entry = load_users(users)["vera"]
    assert "locked_at" not in entry and "failed_logins" not in entry
    last = audit_events(tmp_path)[-1]
    assert (last["event"], last["user"], last["path"]) == ("unlock", "adam", "/users/vera/unlock")
    assert attempt(TestClient(app), "vera", PASSWORDS["vera"]).status_code == 303


def test_unlock_is_for_admins_only(tmp_path, published, users):
    app = build(tmp_path, published, users, lockout_failures=2)
    for _ in range(2):
        sign_in(users, "vera", "wrong-password-000", max_failures=2)
    anonymous = TestClient(app)
    token = csrf_token(anonymous)
    response = anonymous.post("/users/vera/unlock", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    olga = TestClient(app)
    assert attempt(olga, "olga", PASSWORDS["olga"]).status_code == 303
    assert olga.post("/users/vera/unlock", data={"csrf": page_token(olga)}).status_code == 403
    assert load_users(users)["vera"]["locked_at"]  # still locked
    admin = admin_client(app)
    assert admin.post("/users/nobody/unlock", data={"csrf": page_token(admin)}).status_code == 404
    assert admin.post("/users/..%2Fvera/unlock", data={"csrf": page_token(admin)}).status_code in (400, 404)


def test_cli_unlock(tmp_path, users, monkeypatch):
    """``fsu user unlock NAME`` clears the lock and writes an audit line naming the account."""
    monkeypatch.setenv("FSU_USERS_FILE", str(users))
    monkeypatch.setenv("FSU_AUDIT_LOG", str(tmp_path / "audit.log"))
    for _ in range(2):
        sign_in(users, "vera", "wrong-password-000", max_failures=2)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["user", "unlock", "vera"])
    assert result.exit_code == 0 and "unlocked" in result.output
    assert sign_in(users, "vera", PASSWORDS["vera"]).user is not None
    last = audit_events(tmp_path)[-1]
    assert (last["event"], last["account"], last["path"]) == ("unlock", "vera", "cli:fsu user unlock")
    assert runner.invoke(cli_app, ["user", "unlock", "nobody"]).exit_code == 1
    assert unlock_user(users, "vera") is False  # nothing to unlock any more


def test_users_page_offers_unlock_for_a_locked_account(tmp_path, published, users):
    """The admin users page marks a locked account and its unlock button posts with the page's token."""
    app = build(tmp_path, published, users, lockout_failures=2)
    for _ in range(2):
        sign_in(users, "vera", "wrong-password-000", max_failures=2)
    admin = admin_client(app)
    page = admin.get("/users").text
    vera = re.search(r'<tr data-user="vera">.*?</tr>', page, flags=re.S).group(0)
    olga = re.search(r'<tr data-user="olga">.*?</tr>', page, flags=re.S).group(0)
    assert "locked" in vera and 'action="/users/vera/unlock"' in vera
    assert "unlock" not in olga
    token = re.search(r'name="csrf" value="([^"]+)"', vera).group(1)
    assert admin.post("/users/vera/unlock", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert 'action="/users/vera/unlock"' not in admin.get("/users").text
