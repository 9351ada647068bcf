"""The dashboard's commands: ``fsu publish``, ``fsu user add/remove``, ``fsu dashboard`` refusing weak secrets."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fsu_dagster.cli import app
from fsu_dagster.dashboard.users import authenticate

runner = CliRunner()


def test_user_add_prompts_twice_and_stores_a_hash(tmp_path, monkeypatch):
    """The password is prompted (hidden, confirmed), never an argument, and only its hash is kept."""
    users = tmp_path / "users.json"
    monkeypatch.setenv("FSU_USERS_FILE", str(users))
    result = runner.invoke(app, ["user", "add", "alice", "--role", "admin"], input="a-long-password-1\na-long-password-1\n")
    assert result.exit_code == 0, result.output
    assert "a-long-password-1" not in users.read_text()
    assert json.loads(users.read_text())["users"]["alice"]["role"] == "admin"
    assert authenticate(users, "alice", "a-long-password-1").is_admin
    assert runner.invoke(app, ["user", "remove", "alice"]).exit_code == 0
    assert authenticate(users, "alice", "a-long-password-1") is None


def test_user_add_refuses_a_short_password(tmp_path, monkeypatch):
    monkeypatch.setenv("FSU_USERS_FILE", str(tmp_path / "users.json"))
    result = runner.invoke(app, ["user", "add", "bob"], input="short\nshort\n")
    assert result.exit_code == 1 and not (tmp_path / "users.json").exists()


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
