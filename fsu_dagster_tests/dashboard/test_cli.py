"""The dashboard's commands: ``fsu publish``, ``fsu user ...``, ``fsu dashboard`` refusing weak secrets."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fsu_dagster import cli
from fsu_dagster.cli import app
from fsu_dagster.dashboard.users import authenticate, load_users

runner = CliRunner()


@pytest.fixture
def terminal(monkeypatch):
    """Pretend stdin is a terminal, so ``fsu user add`` prompts (the test runner's stdin is a pipe)."""
    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("FSU_USERS_FILE", str(path))
    return path


def test_user_add_prompts_twice_and_stores_a_hash(users, terminal):
    """On a terminal the password is prompted (hidden, confirmed), never an argument, and only its hash is kept."""
    result = runner.invoke(
        app, ["user", "add", "alice", "--role", "admin"], input="a-long-password-1\na-long-password-1\n"
    )
    assert result.exit_code == 0, result.output
    assert "a-long-password-1" not in users.read_text()
    assert json.loads(users.read_text())["users"]["alice"]["role"] == "admin"
    assert authenticate(users, "alice", "a-long-password-1").is_admin
    assert runner.invoke(app, ["user", "remove", "alice"]).exit_code == 0
    assert authenticate(users, "alice", "a-long-password-1") is None


def test_user_add_refuses_a_short_password(users, terminal):
    result = runner.invoke(app, ["user", "add", "bob"], input="short\nshort\n")
    assert result.exit_code == 1 and not users.exists()


def test_user_add_without_a_terminal_refuses_unless_password_stdin(users):
    """No terminal to prompt on and no ``--password-stdin``: refused (exit 2), nothing written; ``--password`` is gone."""
    result = runner.invoke(app, ["user", "add", "carol"], input="a-long-password-2\na-long-password-2\n")
    assert result.exit_code == 2 and "--password-stdin" in result.output
    assert not users.exists()
    argument = runner.invoke(app, ["user", "add", "carol", "--password", "a-long-password-2"])
    assert argument.exit_code == 2 and not users.exists()  # click: no such option


def test_user_add_password_stdin_reads_the_first_line(users):
    """``--password-stdin`` (for scripts and the Makefile's demo) takes the first line of stdin, without its newline."""
    result = runner.invoke(app, ["user", "add", "carol", "--password-stdin"], input="a-long-password-2\nignored\n")
    assert result.exit_code == 0, result.output
    assert authenticate(users, "carol", "a-long-password-2") is not None
    assert authenticate(users, "carol", "a-long-password-2\n") is None
    assert "a-long-password-2" not in result.output


def test_user_reset_password_set_role_disable_enable(users):
    """Each change ends the user's sessions (session version + 1); disable stops sign-in until enable."""
    runner.invoke(app, ["user", "add", "dan", "--password-stdin"], input="first-password-12\n")
    versions = [load_users(users)["dan"]["session_version"]]
    result = runner.invoke(app, ["user", "reset-password", "dan", "--password-stdin"], input="second-password-12\n")
    assert result.exit_code == 0, result.output
    assert authenticate(users, "dan", "first-password-12") is None
    assert authenticate(users, "dan", "second-password-12") is not None
    versions.append(load_users(users)["dan"]["session_version"])
    assert runner.invoke(app, ["user", "set-role", "dan", "admin"]).exit_code == 0
    assert authenticate(users, "dan", "second-password-12").is_admin
    versions.append(load_users(users)["dan"]["session_version"])
    assert runner.invoke(app, ["user", "disable", "dan"]).exit_code == 0
    assert authenticate(users, "dan", "second-password-12") is None
    versions.append(load_users(users)["dan"]["session_version"])
    assert runner.invoke(app, ["user", "enable", "dan"]).exit_code == 0
    assert authenticate(users, "dan", "second-password-12") is not None
    assert versions == sorted(set(versions)) and len(versions) == 4  # strictly increasing
    missing = runner.invoke(app, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "no user nobody" in missing.output
    assert runner.invoke(app, ["user", "set-role", "dan", "superuser"]).exit_code == 2


def test_publish_command_writes_snapshot_and_latest(tiny_built, tmp_path, monkeypatch):
    """``fsu publish --month`` reads FSU_WAREHOUSE and writes the month's snapshot and the pointer."""
    monkeypatch.setenv("FSU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FSU_WAREHOUSE", str(tiny_built.warehouse))
    result = runner.invoke(app, ["publish", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "snapshots" / "fsu-2026-10.duckdb").is_file()
    assert (tmp_path / "snapshots" / "latest").read_text().strip() == "fsu-2026-10.duckdb"
    bad = runner.invoke(app, ["publish", "--month", "2020-01", "--snapshots", str(tmp_path / "other")])
    assert bad.exit_code == 1 and "no cohort" in bad.output


def test_dashboard_refuses_to_start_without_secret(tmp_path, monkeypatch):
    """Outside local mode the server will not start with an unsigned-able session (exit 2, before listening)."""
    monkeypatch.setenv("FSU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FSU_SESSION_SECRET", raising=False)
    monkeypatch.delenv("FSU_ENV", raising=False)
    result = runner.invoke(app, ["dashboard", "--port", "1"])
    assert result.exit_code == 2 and "FSU_SESSION_SECRET" in result.output
