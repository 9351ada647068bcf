"""Roles admin / force / lpa with LPAs per user: the users file, old files, and the ``fsu user`` commands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fsu_dagster.cli import app
from fsu_dagster.dashboard.scope import Scope
from fsu_dagster.dashboard.users import (
    User,
    add_user,
    authenticate,
    check_lpas,
    list_users,
    load_users,
    lookup,
    set_role,
)

runner = CliRunner()
PW = "a-long-password-1"


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("FSU_USERS_FILE", str(path))
    return path


def test_an_lpa_user_keeps_their_lpas(users):
    user = add_user(users, "lena", PW, "lpa", ["solihull", "COVENTRY"])
    assert user.lpas == ("COVENTRY", "SOLIHULL") and not user.all_lpas and not user.is_admin
    assert load_users(users)["lena"]["lpas"] == ["COVENTRY", "SOLIHULL"]
    assert authenticate(users, "lena", PW) == User("lena", "lpa", 0, ("COVENTRY", "SOLIHULL"))
    assert lookup(users, "lena").lpas == ("COVENTRY", "SOLIHULL")


@pytest.mark.parametrize(
    ("role", "lpas"), [("lpa", []), ("lpa", [" "]), ("force", ["COVENTRY"]), ("admin", ["COVENTRY"]), ("root", [])]
)
def test_role_and_lpas_must_fit(users, role, lpas):
    """An lpa user needs an LPA; admin and force see everything and take none; unknown roles are refused."""
    with pytest.raises(ValueError):
        add_user(users, "x", PW, role, lpas)
    assert not users.exists()


def test_an_old_viewer_reads_as_force(users):
    """A users file written before roles existed: 'viewer' signs in as force (every LPA)."""
    add_user(users, "vic", PW, "force")
    data = json.loads(users.read_text())
    data["users"]["vic"]["role"] = "viewer"
    del data["users"]["vic"]["lpas"]
    users.write_text(json.dumps(data))
    user = authenticate(users, "vic", PW)
    assert user.role == "force" and user.all_lpas and Scope.of(user).lpas is None
    assert [u.role for u in list_users(users)] == ["force"]
    assert add_user(users, "new", PW, "viewer").role == "force"  # the old name is accepted, stored as force
    assert load_users(users)["new"]["role"] == "force"


def test_an_lpa_entry_without_lpas_cannot_sign_in(users):
    """Edited by hand to have no LPA: refused (it would otherwise see nothing, or everything)."""
    add_user(users, "lena", PW, "lpa", ["COVENTRY"])
    data = json.loads(users.read_text())
    data["users"]["lena"]["lpas"] = []
    users.write_text(json.dumps(data))
    assert authenticate(users, "lena", PW) is None and lookup(users, "lena") is None
    assert list_users(users)[0].problem == "lpa user with no LPA"


def test_set_role_changes_lpas_and_ends_sessions(users):
    add_user(users, "lena", PW, "lpa", ["COVENTRY"])
    before = lookup(users, "lena").session_version
    set_role(users, "lena", "lpa", ["DUDLEY"])
    after = lookup(users, "lena")
    assert after.lpas == ("DUDLEY",) and after.session_version == before + 1
    set_role(users, "lena", "force")
    assert lookup(users, "lena").lpas == () and load_users(users)["lena"]["lpas"] == []


def test_check_lpas_against_the_configured_ones():
    assert check_lpas(["coventry", "Dudley"], ["COVENTRY", "DUDLEY", "WALSALL"]) == ("COVENTRY", "DUDLEY")
    with pytest.raises(ValueError, match="NOWHERE"):
        check_lpas(["NOWHERE"], ["COVENTRY"])


def test_scope_allows_and_filter_options():
    lpas = ["BIRMINGHAM", "COVENTRY", "DUDLEY"]
    mine = Scope.of(User("l", "lpa", 0, ("COVENTRY",)))
    assert mine.allows("COVENTRY") and mine.allows("coventry") and not mine.allows("DUDLEY")
    assert not mine.allows(None)  # no home LPA: only all-LPA users
    assert mine.filter_options(lpas) == ["COVENTRY"]
    everyone = Scope.of(User("f", "force", 0))
    assert everyone.allows(None) and everyone.allows("DUDLEY")
    assert everyone.filter_options(lpas) == [*lpas, "UNKNOWN"]
    assert Scope.of(User("a", "admin", 0)).lpas is None


def test_cli_add_lpa_user_and_list(users):
    result = runner.invoke(
        app,
        ["user", "add", "lena", "--role", "lpa", "--lpa", "COVENTRY", "--lpa", "solihull", "--password-stdin"],
        input=PW + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "lpa: COVENTRY, SOLIHULL" in result.output
    assert authenticate(users, "lena", PW).lpas == ("COVENTRY", "SOLIHULL")
    runner.invoke(app, ["user", "add", "adam", "--role", "admin", "--password-stdin"], input=PW + "\n")
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0
    lines = {line.split("│")[1].strip(): line for line in listed.output.splitlines() if line.count("│") >= 5}
    assert "COVENTRY, SOLIHULL" in lines["lena"] and "active" in lines["lena"]
    assert "admin" in lines["adam"] and "all" in lines["adam"]
    assert "$argon2" not in listed.output


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "lpa"],  # an lpa user needs an LPA
        ["--role", "lpa", "--lpa", "ATLANTIS"],  # not a configured LPA
        ["--role", "force", "--lpa", "COVENTRY"],  # force sees every LPA
    ],
)
def test_cli_add_refuses_bad_lpas(users, args):
    result = runner.invoke(app, ["user", "add", "lena", *args, "--password-stdin"], input=PW + "\n")
    assert result.exit_code == 1 and not users.exists()


def test_cli_set_role_with_lpas(users):
    add_user(users, "dan", PW, "force")
    result = runner.invoke(app, ["user", "set-role", "dan", "lpa", "--lpa", "walsall"])
    assert result.exit_code == 0, result.output
    assert lookup(users, "dan").lpas == ("WALSALL",)
    assert runner.invoke(app, ["user", "set-role", "dan", "lpa", "--lpa", "ATLANTIS"]).exit_code == 1
    assert runner.invoke(app, ["user", "set-role", "dan", "lpa"]).exit_code == 1
    assert lookup(users, "dan").lpas == ("WALSALL",)
    runner.invoke(app, ["user", "disable", "dan"])
    assert "disabled" in runner.invoke(app, ["user", "list"]).output
