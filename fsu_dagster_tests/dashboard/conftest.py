"""Dashboard fixtures: a snapshot published from ``tiny_built``, two users, signed-in clients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.config import DashboardConfig
from fsu_dagster.dashboard.main import create_app
from fsu_dagster.dashboard.users import add_user
from fsu_dagster.publish import publish_snapshot
from fsu_dagster.settings import load_settings
from fsu_dagster.warehouse import connect

MONTH = "2026-10"
PASSWORDS = {"vera": "viewer-password-123", "adam": "admin-password-456"}
SOURCE_URLS = {
    "investigation": "https://connect.test/inv/{id}",
    "custody": "https://connect.test/custody/{id}",
    "incident": "https://cw.test/log/{id}",
}


@dataclass
class Published:
    snapshot_dir: Path
    path: Path


@pytest.fixture(scope="session")
def published(tiny_built, tmp_path_factory) -> Published:
    """``tiny_built``'s month published into a session-wide snapshot folder (read-only: do not change)."""
    folder = tmp_path_factory.mktemp("snapshots")
    return Published(folder, publish_snapshot(tiny_built.warehouse, folder, MONTH))


@pytest.fixture(scope="session")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.json"
    add_user(path, "vera", PASSWORDS["vera"], "viewer")
    add_user(path, "adam", PASSWORDS["adam"], "admin")
    return path


def snapshot_query(published: Published, sql: str, params=None) -> list[tuple]:
    conn = connect(str(published.path), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def make_app(
    tmp_path: Path, snapshot_dir: Path, users_file: Path, *, clock=None, config: dict | None = None, **settings
):
    """The app on ``snapshot_dir`` and ``users_file``; ``clock`` times sessions, ``config`` overrides DashboardConfig fields."""
    settings = load_settings(data_dir=tmp_path, source_urls=SOURCE_URLS, **settings)
    config = DashboardConfig(
        snapshot_dir=snapshot_dir,
        users_file=users_file,
        audit_file=tmp_path / "audit.log",
        session_secret="test-secret-" + "x" * 40,
        local=False,
        secure_cookies=False,  # the test client talks plain http
        **(config or {}),
    )
    return create_app(settings=settings, config=config, clock=clock)


@pytest.fixture
def app(tmp_path, published, users_file):
    return make_app(tmp_path, published.snapshot_dir, users_file)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


def csrf_token(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def sign_in(client: TestClient, name: str, password: str | None = None, next: str = "/"):
    return client.post(
        "/login",
        data={"username": name, "password": password or PASSWORDS[name], "csrf": csrf_token(client), "next": next},
        follow_redirects=False,
    )


@pytest.fixture
def viewer(client) -> TestClient:
    assert sign_in(client, "vera").status_code == 303
    return client


@pytest.fixture
def admin(client) -> TestClient:
    assert sign_in(client, "adam").status_code == 303
    return client


def row_ids(html: str) -> list[str]:
    """Person IDs of the main table's rows, in page order."""
    return re.findall(r'<tr data-person-id="([^"]+)"', html)


def row_ranks(html: str) -> dict[str, int]:
    return {pid: int(rank) for pid, rank in re.findall(r'<tr data-person-id="([^"]+)" data-rank-overall="(\d+)"', html)}
