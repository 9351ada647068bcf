"""Files holding personal data are not readable by other accounts: snapshots, the warehouse, the
users file and the audit log are written mode 0600 (or the configured ``FSU_FILE_MODE``, e.g. 0640)."""

from __future__ import annotations

import os
import stat

import pytest

from fsu_dagster.dashboard.audit import AuditLog
from fsu_dagster.dashboard.users import add_user, reset_password
from fsu_dagster.filemodes import dir_mode, parse_mode
from fsu_dagster.publish import publish_snapshot
from fsu_dagster.warehouse import connect, session

from .conftest import MONTH


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A permissive umask (as on many servers), so the modes seen are the code's doing, not the test runner's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("configured", [None, "0640"])
def test_published_snapshot_and_pointer_are_private(tiny_built, tmp_path, monkeypatch, open_umask, configured):
    if configured:
        monkeypatch.setenv("FSU_FILE_MODE", configured)
    else:
        monkeypatch.delenv("FSU_FILE_MODE", raising=False)
    expected = parse_mode(configured)
    folder = tmp_path / "new" / "snapshots"
    path = publish_snapshot(tiny_built.warehouse, folder, MONTH)
    assert mode(path) == expected and mode(folder / "latest") == expected
    assert mode(folder) == dir_mode(expected)  # 0700, or 0750 for a group
    assert not any(p.name.startswith(".") for p in folder.iterdir())  # no temporary file left behind


def test_an_existing_folder_keeps_its_mode(tiny_built, tmp_path, open_umask):
    """A folder that existed (maybe shared) is not changed; the files in it are still private."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    path = publish_snapshot(tiny_built.warehouse, folder, MONTH)
    assert mode(folder) == 0o755 and mode(path) == 0o600


def test_warehouse_file_and_wal_are_private(tmp_path, open_umask):
    db = tmp_path / "wh.duckdb"
    with session(str(db)):
        conn = connect(str(db))
        conn.execute("CREATE TABLE t AS SELECT 'a name' AS forename")  # leaves a WAL until the checkpoint
        wal = tmp_path / "wh.duckdb.wal"
        assert mode(db) == 0o600
        if wal.exists():
            assert mode(wal) == 0o600
    assert mode(db) == 0o600
    db.chmod(0o644)  # a file made before this change is tightened when next opened for writing
    connect(str(db)).close()
    assert mode(db) == 0o600


def test_users_file_and_audit_log_are_private(tmp_path, open_umask):
    users = tmp_path / "d" / "users.json"
    add_user(users, "ann", "a-long-password-9")
    assert mode(users) == 0o600 and mode(users.parent) == 0o700
    users.chmod(0o644)
    reset_password(users, "ann", "another-password-9")  # rewritten: private again
    assert mode(users) == 0o600
    log = tmp_path / "audit.log"
    log.write_text("")
    log.chmod(0o644)
    AuditLog(log).write(user="ann", event="view", path="/")
    assert mode(log) == 0o600


@pytest.mark.parametrize(("text", "expected"), [("0600", 0o600), ("640", 0o640), ("0o660", 0o660), ("", 0o600)])
def test_file_mode_setting(text, expected):
    assert parse_mode(text) == expected


@pytest.mark.parametrize("text", ["0644", "0606", "0700", "0400", "0777", "rw"])
def test_file_mode_setting_refuses_unsafe_modes(text):
    """Nothing readable by "other", nothing executable, and the owner must be able to read and write."""
    with pytest.raises(ValueError):
        parse_mode(text)
