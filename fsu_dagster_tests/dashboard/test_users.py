"""The users file under concurrent writers: no change is lost (each bumps the session version once)."""

from __future__ import annotations

import threading

from fsu_dagster.dashboard.users import add_user, end_sessions, load_users, lookup


def test_concurrent_changes_lose_nothing(tmp_path):
    """Sign-outs in the dashboard and `fsu user` commands may write at once: the lock serialises them."""
    users = tmp_path / "users.json"
    add_user(users, "ann", "a-long-password-9")
    add_user(users, "bob", "a-long-password-8")
    n = 25
    barrier = threading.Barrier(2 * n)

    def sign_out(name: str) -> None:
        barrier.wait()
        assert end_sessions(users, name)

    threads = [threading.Thread(target=sign_out, args=(name,)) for name in ("ann", "bob") for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = load_users(users)
    assert entries["ann"]["session_version"] == n and entries["bob"]["session_version"] == n
    assert lookup(users, "ann").session_version == n
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # no temporary file left behind


def test_end_sessions_for_an_unknown_user(tmp_path):
    assert end_sessions(tmp_path / "users.json", "nobody") is False
