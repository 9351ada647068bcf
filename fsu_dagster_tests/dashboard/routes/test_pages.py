"""Main page: the selected person's chart, sorting by every column, entrants; details: variants, household.

Expected values are worked out here from the published snapshot's base tables (or the warehouse),
not from the tables or queries the pages use for them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from html import unescape
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from fsu_dagster.dashboard import queries
from fsu_dagster.profiles import cohort_changes
from fsu_dagster.warehouse import connect

from ..conftest import make_app, row_ids, sign_in, snapshot_query

M = dt.date(2026, 10, 1)


def _section(html: str, tag: str, element_id: str) -> str:
    """The inner HTML of the first ``<tag id="element_id" ...>`` element (no nesting of the same tag)."""
    m = re.search(rf'<{tag}[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</{tag}>', html, re.DOTALL)
    assert m, f"no <{tag} id={element_id}>"
    return m.group(1)


def _bars(html: str) -> dict[str, int]:
    pairs = re.findall(
        r'<span class="bar-label"[^>]*>([^<]*)</span>.*?<span class="bar-value">([\d,]+)</span>', html, re.DOTALL
    )
    return {unescape(label): int(value.replace(",", "")) for label, value in pairs}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- the selected person's investigation locations by LPA ---------------------------------------


def _lpa_counts(published, pid: str) -> dict[str, int]:
    """Investigations per location LPA, counted from the person's investigation list."""
    return dict(
        snapshot_query(
            published,
            "select coalesce(location_lpa, 'NOT RECORDED'), count(distinct investigation_id) "
            "from fsu.investigation_list where person_id = ? group by 1",
            [pid],
        )
    )


def _most_lpas(published) -> str:
    return snapshot_query(
        published,
        "select person_id from fsu.investigation_list group by 1 "
        "order by count(distinct coalesce(location_lpa, '?')) desc, person_id limit 1",
    )[0][0]


def test_selecting_a_person_shows_their_lpa_chart_beside_the_list(viewer, published):
    """``?selected=ID`` keeps the whole list and adds the person's investigations by location LPA (method 6.1)."""
    pid = _most_lpas(published)
    expected = _lpa_counts(published, pid)
    assert len(expected) >= 3, "the tiny data should have someone with investigations in several LPAs"
    plain = viewer.get("/")
    page = viewer.get("/", params={"selected": pid})
    assert page.status_code == 200
    assert row_ids(page.text) == row_ids(plain.text)  # the list is still there, unchanged
    assert 'id="chart"' not in plain.text
    chart = re.search(r'<aside id="chart"[^>]*aria-label="([^"]+)"[^>]*>(.*?)</aside>', page.text, re.DOTALL)
    assert chart and unescape(chart.group(1)) == f"Investigation locations by LPA for {pid}"
    assert _bars(chart.group(2)) == expected
    assert f"{sum(expected.values())} investigations" in _text(chart.group(2))
    assert re.search(rf'<tr data-person-id="{pid}"[^>]*class="selected"', page.text)


def test_every_row_links_to_its_chart_keeping_filters_and_sort(viewer, published):
    """Each row's ID links to ``?...&selected=ID#chart`` with the page's filters and sort, and that page keeps them."""
    params = {"lpa": "BIRMINGHAM", "sort": "harm_caused", "dir": "asc"}
    page = viewer.get("/", params=params)
    ids = row_ids(page.text)
    assert ids
    links = dict(
        (unescape(pid), unescape(href))
        for href, pid in re.findall(r'<a class="select" href="([^"]+)"[^>]*>([^<]+)</a>', page.text)
    )
    assert set(links) == set(ids)
    for href in links.values():
        assert href.endswith("#chart")
        for key, value in params.items():
            assert f"{key}={value}" in href
    pid = ids[-1]
    selected = viewer.get(links[pid].removesuffix("#chart"))
    assert row_ids(selected.text) == ids
    assert _bars(_section(selected.text, "aside", "chart")) == _lpa_counts(published, pid)


def test_selecting_a_person_is_audited_and_checked(viewer, published, app):
    """Selecting shows a person's data, so it is logged with their ID; bad or unlisted IDs get 404."""
    pid = _most_lpas(published)
    assert viewer.get("/", params={"selected": pid}).status_code == 200
    assert viewer.get("/", params={"selected": "'; drop table x"}).status_code == 404
    assert viewer.get("/", params={"selected": "P00000000"}).status_code == 404
    lines = [json.loads(x) for x in Path(app.state.config.audit_file).read_text().splitlines()]
    seen = [x for x in lines if x.get("event") == "view" and x["path"] == "/"]
    assert [(x.get("person_id"), x["status"]) for x in seen] == [(pid, 200), ("invalid id", 404), ("P00000000", 404)]
    assert "drop table" not in Path(app.state.config.audit_file).read_text()


# --- sorting by every column ---------------------------------------------------------------------


def _table(published) -> list[dict]:
    """Per cohort member, the main table's column values, from the snapshot's base tables."""
    cols = ["person_id", "forename", "surname", "rank_overall", *[f"rank_{k}" for k, _, _ in queries.METRICS]]
    rows = snapshot_query(
        published,
        "select c.person_id, n.forename, n.surname, m.rank_overall, "
        + ", ".join(f"m.rank_{k}" for k, _, _ in queries.METRICS)
        + " from fsu.cohort c join fsu.person_metrics m using (month, person_id) "
        "left join fsu.person_names n using (month, person_id)",
    )
    out = {r[0]: dict(zip(cols, r, strict=True)) for r in rows}
    harm = {
        r[0]: r[1:]
        for r in snapshot_query(published, "select person_id, harm_caused, harm_received from fsu.person_harm")
    }
    lpa = dict(snapshot_query(published, "select person_id, home_lpa from fsu.person_home_lpa"))
    themes: dict[str, list[str]] = {}
    for pid, theme in snapshot_query(published, "select person_id, theme from fsu.person_themes"):
        themes.setdefault(pid, []).append(theme)
    for pid, r in out.items():
        r["harm_caused"], r["harm_received"] = harm.get(pid, (0, 0))
        r["home_lpa"] = lpa.get(pid)
        for k, _, _ in queries.METRICS:
            r[k] = r[f"rank_{k}"]
        r["themes"] = " ".join(sorted(themes[pid])) if pid in themes else None
        r["person"] = (
            r["surname"].lower() if r["surname"] else None,
            r["forename"].lower() if r["forename"] else None,
            pid,
        )
    return list(out.values())


def _expected_order(rows: list[dict], key: str, desc: bool) -> list[str]:
    """Stable multi-pass sort: the column (empty values last either way), then overall rank, then ID."""
    rows = sorted(rows, key=lambda r: (r["rank_overall"], r["person_id"]))
    parts = (
        [lambda r, i=i: r["person"][i] for i in (2, 1, 0)]  # least significant first
        if key == "person"
        else [lambda r: r[key]]
    )
    for part in parts:
        present = [r for r in rows if part(r) is not None]
        rows = sorted(present, key=part, reverse=desc) + [r for r in rows if part(r) is None]
    return [r["person_id"] for r in rows]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", list(queries.SORTS))
def test_sort_by_every_column_both_ways(viewer, published, key, direction):
    """Every column sorts both ways; the active header says so with ``aria-sort``, the others link to sort them."""
    page = viewer.get("/", params={"sort": key, "dir": direction})
    assert page.status_code == 200
    assert row_ids(page.text) == _expected_order(_table(published), key, direction == "desc")
    head = re.search(r"<thead>(.*?)</thead>", page.text, re.DOTALL)[1]
    sorted_headers = re.findall(r'aria-sort="(\w+)"', head)
    assert sorted_headers == ["ascending" if direction == "asc" else "descending"]
    links = [unescape(h) for h in re.findall(r'<a class="sort[^"]*" href="([^"]+)"', head)]
    assert len(links) == len(queries.SORTS)
    flipped = "desc" if direction == "asc" else "asc"
    assert any(f"sort={key}&dir={flipped}" in h for h in links)  # clicking again reverses


def test_default_directions_and_bad_direction(viewer, published):
    """Without ``dir`` ranks ascend, harm descends; an unknown direction is a bad request."""
    rows = _table(published)
    assert row_ids(viewer.get("/", params={"sort": "subject"}).text) == _expected_order(rows, "subject", False)
    assert row_ids(viewer.get("/", params={"sort": "harm_received"}).text) == _expected_order(
        rows, "harm_received", True
    )
    assert viewer.get("/", params={"sort": "overall", "dir": "up"}).status_code == 400
    assert viewer.get("/", params={"entrants": "yes"}).status_code == 400


# --- entrants since last month -------------------------------------------------------------------


def test_first_month_says_so(viewer, published):
    """With no previous month there is nothing to compare with: the page says "first month"."""
    entrants = _text(_section(viewer.get("/").text, "p", "entrants"))
    assert "First month" in entrants
    assert snapshot_query(published, "select count(*) from fsu.cohort_changes where status <> 'NEW'") == [(0,)]


@pytest.fixture(scope="module")
def second_month(published, tmp_path_factory):
    """A copy of the snapshot whose ``cohort_changes`` compares with a made-up previous month: two thirds
    of this month's list and five people who have since left (built by ``profiles.cohort_changes``)."""
    folder = tmp_path_factory.mktemp("second_month")
    path = folder / published.path.name
    shutil.copy(published.path, path)
    (folder / "latest").write_text(path.name + "\n")
    conn = connect(str(path))
    try:
        cohort = conn.execute("select * from fsu.cohort").pl()
        metrics = conn.execute("select * from fsu.person_metrics").pl()
        ids = sorted(cohort["person_id"])
        stayed = set(ids[::3]) | set(ids[1::3])
        left = [f"P9{i:07d}" for i in range(5)]
        prev_cohort = pl.concat(
            [
                cohort.filter(pl.col("person_id").is_in(stayed)),
                cohort.head(5).with_columns(pl.Series("person_id", left)),
            ]
        )
        prev_metrics = pl.concat(
            [
                metrics.filter(pl.col("person_id").is_in(stayed)),
                metrics.head(5).with_columns(pl.Series("person_id", left)),
            ]
        )
        conn.register("changes", cohort_changes(cohort, metrics, prev_cohort, prev_metrics, month=M))
        conn.execute("delete from fsu.cohort_changes")
        conn.execute("insert into fsu.cohort_changes by name select * from changes")
        conn.execute("checkpoint")
    finally:
        conn.close()
    return folder, set(ids) - stayed, left


@pytest.fixture
def second_viewer(tmp_path, second_month, users_file) -> TestClient:
    client = TestClient(make_app(tmp_path, second_month[0], users_file))
    assert sign_in(client, "vera").status_code == 303
    return client


def test_entrants_count_and_filter(second_viewer, second_month, published):
    """The count of people new since last month, a link to show only them, and the filter combined with an LPA."""
    _, new, left = second_month
    page = second_viewer.get("/")
    entrants = _section(page.text, "p", "entrants")
    text = _text(entrants)
    assert f"{len(new)} people new to the list since last month, {len(left)} left it" in text
    link = unescape(re.search(r'href="([^"]+)"', entrants)[1])
    assert "entrants=1" in link
    only = second_viewer.get(link)
    assert set(row_ids(only.text)) == new
    assert len(re.findall(r'class="badge badge-new"', page.text)) == len(new)
    coventry = {
        r[0] for r in snapshot_query(published, "select person_id from fsu.person_home_lpa where home_lpa = 'COVENTRY'")
    }
    both = second_viewer.get("/", params={"entrants": "1", "lpa": "COVENTRY"})
    assert set(row_ids(both.text)) == new & coventry and new & coventry
    assert "show everyone" in _text(_section(only.text, "p", "entrants"))


def test_scope_limits_rows_entrants_and_selection(second_month, published):
    """An LPA-scoped view lists only its home LPAs, counts only their entrants and refuses other people's charts."""
    from fsu_dagster.dashboard import views
    from fsu_dagster.dashboard.deps import Snapshot
    from fsu_dagster.dashboard.scope import Scope
    from fsu_dagster.settings import load_settings

    folder, new, _ = second_month
    path = folder / published.path.name
    conn = connect(str(path), read_only=True)
    try:
        snap = Snapshot(month=M, path=path, conn=conn, months=[M])
        home = dict(conn.execute("select person_id, home_lpa from fsu.person_home_lpa").fetchall())
        scope = Scope(frozenset({"COVENTRY", "SOLIHULL"}))
        ctx = views.cohort_context(snap, load_settings(), scope=scope)
        expected = {p for p, lpa in home.items() if lpa in scope.lpas}
        assert {r["person_id"] for r in ctx["rows"]} == expected
        assert ctx["entrants"]["entrants"] == len(new & expected) and ctx["entrants"]["leavers"] is None
        outside = next(p for p, lpa in home.items() if lpa not in scope.lpas)
        with pytest.raises(views.OutOfScope):
            views.cohort_context(snap, load_settings(), scope=scope, selected=outside)
        inside = next(iter(expected))
        assert views.cohort_context(snap, load_settings(), scope=scope, selected=inside)["chart"]["person_id"] == inside
    finally:
        conn.close()
