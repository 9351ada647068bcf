"""Fixtures for the access tests: an admin, a force user and an LPA user on the published tiny snapshot.

``lena`` (role ``lpa``) sees one LPA: the commonest home LPA of the cohort, so some people are
in her scope and some are not. Module-scoped, so each test module signs each user in once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.users import add_user

from .conftest import Published, make_app, sign_in, snapshot_query

ACCESS_PASSWORDS = {"adam": "admin-password-456", "fran": "force-password-789", "lena": "lpa-user-password-1"}


@dataclass
class People:
    """Cohort members by scope: ``mine`` in lena's LPA, ``other`` in another LPA, ``nohome`` with none (or None)."""

    lpa: str
    mine: str
    other: str
    nohome: str | None
    in_lpa: set[str]


def people_of(published: Published) -> People:
    rows = snapshot_query(
        published,
        "select c.person_id, l.home_lpa from fsu.cohort c left join fsu.person_home_lpa l using (month, person_id) "
        "order by c.person_id",
    )
    counts: dict[str, int] = {}
    for _, lpa in rows:
        if lpa:
            counts[lpa] = counts.get(lpa, 0) + 1
    lpa = max(sorted(counts), key=lambda k: counts[k])
    mine = [p for p, x in rows if x == lpa]
    other = [p for p, x in rows if x and x != lpa]
    nohome = [p for p, x in rows if not x]
    assert mine and other, "the tiny cohort should span more than one LPA"
    return People(lpa, mine[0], other[0], nohome[0] if nohome else None, set(mine))


@dataclass
class Access:
    app: object
    audit_file: Path
    users_file: Path
    people: People
    clients: dict[str, TestClient]

    def audit_lines(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.audit_file.read_text().splitlines()]


@pytest.fixture(scope="module")
def access(published, tmp_path_factory) -> Access:
    people = people_of(published)
    tmp = tmp_path_factory.mktemp("access")
    users = tmp / "users.json"
    add_user(users, "adam", ACCESS_PASSWORDS["adam"], "admin")
    add_user(users, "fran", ACCESS_PASSWORDS["fran"], "force")
    add_user(users, "lena", ACCESS_PASSWORDS["lena"], "lpa", [people.lpa])
    app = make_app(tmp, published.snapshot_dir, users)
    clients = {"anonymous": TestClient(app)}
    for role, name in (("admin", "adam"), ("force", "fran"), ("lpa", "lena")):
        client = TestClient(app)
        assert sign_in(client, name, ACCESS_PASSWORDS[name]).status_code == 303
        clients[role] = client
    return Access(app, tmp / "audit.log", users, people, clients)


def csv_rows(text: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(text)))


def lpa_links(html: str) -> set[str]:
    """The LPA values the filter buttons offer."""
    return set(re.findall(r'href="/\?[^"]*\blpa=([A-Z_]+)', html))
