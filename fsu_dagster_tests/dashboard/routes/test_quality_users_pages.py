"""The data-quality page (admin and force) and the users page (admin), against the published tiny snapshot."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
from fastapi.testclient import TestClient

from fsu_dagster.dashboard.routes.exports import csv_cell
from fsu_dagster.dashboard.users import add_user

from ..access import ACCESS_PASSWORDS, access, csv_rows  # noqa: F401  (the module fixture)
from ..conftest import MONTH, make_app, sign_in, snapshot_query


def _cells(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("</thead>")[-1], re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]


def test_quality_page_shows_loads_from_the_snapshot(access):  # noqa: F811
    """Rows read / loaded / quarantined per landing month and extract are the snapshot's data_quality rows."""
    page = access.clients["force"].get("/quality").text
    expected = snapshot_query(
        access_published(access),
        "select strftime(month, '%b %Y'), extract, rows_read, rows_accepted, rows_quarantined from fsu.data_quality "
        "order by month desc, extract",
    )
    shown = [r[:5] for r in _cells(page, "loads-table")]
    assert shown == [[m, e, f"{a:,}", f"{b:,}", f"{c:,}"] for m, e, a, b, c in expected]
    assert len(expected) >= 12


def test_quality_page_quarantine_reasons_and_totals(access):  # noqa: F811
    page = access.clients["admin"].get("/quality").text
    rows = snapshot_query(access_published(access), "select rows_read, quarantined_by_reason from fsu.data_quality")
    assert f"{sum(r[0] for r in rows):,} rows read" in page
    reasons = {k for _, text in rows if text for k in json.loads(text)}
    for reason in reasons:
        assert reason in page


def test_quality_page_link_rates_by_role_and_mode(access):  # noqa: F811
    page = access.clients["force"].get("/quality").text
    expected = snapshot_query(
        access_published(access),
        "select log_month, mode, n_logs, n_originator_linked, n_subject_linked from fsu.link_quality "
        "order by log_month desc, mode",
    )
    assert expected
    shown = _cells(page, "links-table")
    assert len(shown) == 2 * len(expected)
    for (_, mode, logs, orig, subj), pair in zip(expected, zip(shown[::2], shown[1::2], strict=True), strict=True):
        assert pair[0][1:5] == ["originator", mode, f"{logs:,}", f"{orig:,}"]
        assert pair[1][1:5] == ["subject", mode, f"{logs:,}", f"{subj:,}"]
        assert pair[0][5] == (f"{100 * orig / logs:,.1f}%" if logs else "—")


def test_quality_page_cohort_size_and_overlaps(access):  # noqa: F811
    page = access.clients["force"].get("/quality").text
    published = access_published(access)
    (size,) = snapshot_query(published, "select cohort_size from fsu.snapshot_info")[0]
    assert f'id="cohort-size-value">{size:,}<' in page
    overlap = {int(a): int(b.replace(",", "")) for a, b in _cells(page, "overlap")}
    assert sum(overlap.values()) == size and min(overlap) >= 1 and max(overlap) <= 4
    expected = snapshot_query(
        published,
        "select in_top_investigations_custody::int + in_top_originator::int + in_top_subject::int "
        "+ in_top_overall::int as n, count(*) from fsu.cohort group by n",
    )
    assert overlap == dict(expected)


def test_quality_page_without_the_tables_says_so(published, tmp_path):
    """A snapshot published before data_quality / link_quality were copied: the page says so, no error."""
    folder = tmp_path / "snaps"
    folder.mkdir()
    copy = folder / published.path.name
    shutil.copy(published.path, copy)
    conn = duckdb.connect(str(copy))
    conn.execute("drop table fsu.data_quality")
    conn.execute("drop table fsu.link_quality")
    conn.close()
    users = tmp_path / "users.json"
    add_user(users, "fran", ACCESS_PASSWORDS["fran"], "force")
    client = TestClient(make_app(tmp_path, folder, users))
    assert sign_in(client, "fran", ACCESS_PASSWORDS["fran"]).status_code == 303
    page = client.get("/quality")
    assert page.status_code == 200
    assert "no data-quality table" in page.text and "no link-quality table" in page.text


def test_quality_nav_link_only_for_admin_and_force(access):  # noqa: F811
    assert 'href="/quality"' in access.clients["force"].get("/method").text
    assert 'href="/quality"' not in access.clients["lpa"].get("/method").text
    assert 'href="/users"' in access.clients["admin"].get("/method").text
    assert 'href="/users"' not in access.clients["force"].get("/method").text


def test_users_page_lists_roles_and_lpas_never_hashes(access):  # noqa: F811
    page = access.clients["admin"].get("/users").text
    rows = {r[0]: r for r in _cells(page, "users")}
    assert set(rows) == {"adam", "fran", "lena"}
    assert rows["lena"][1:4] == ["lpa", access.people.lpa.title(), "active"]
    assert rows["fran"][1:4] == ["force", "all", "active"]
    assert "$argon2" not in page and "password_hash" not in page


def test_csv_cell_guards_against_formulas():
    """Text a spreadsheet would run (= + - @, tab, CR first) gets a leading quote; numbers stay numbers."""
    for text in ("=1+1", "+44 121", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("Smith") == "Smith" and csv_cell("a=b") == "a=b"
    assert csv_cell(-3) == -3 and csv_cell(1.5) == 1.5 and csv_cell(None) == "" and csv_cell(True) == "true"


def test_exports_neutralise_formula_values_from_the_data(published, tmp_path):
    """A name beginning '=' in the snapshot reaches the CSV as text ('=...), in both exports."""
    folder = tmp_path / "snaps"
    folder.mkdir()
    copy = folder / published.path.name
    shutil.copy(published.path, copy)
    evil = '=HYPERLINK("http://evil.example","x")'
    conn = duckdb.connect(str(copy))
    pid = conn.execute("select person_id from fsu.person_names order by person_id limit 1").fetchone()[0]
    conn.execute("update fsu.person_names set forename = ?, surname = '@cmd' where person_id = ?", [evil, pid])
    conn.close()
    users = tmp_path / "users.json"
    add_user(users, "fran", ACCESS_PASSWORDS["fran"], "force")
    client = TestClient(make_app(tmp_path, folder, users))
    assert sign_in(client, "fran", ACCESS_PASSWORDS["fran"]).status_code == 303
    rows = csv_rows(client.get("/export/list.csv", params={"month": MONTH}).text)
    row = next(r for r in rows if r[0] == pid)
    assert row[1] == "'" + evil and row[2] == "'@cmd"
    pack = csv_rows(client.get(f"/people/{pid}/export.csv").text)
    assert ["person", "1", "forename", "'" + evil] in pack
    assert not any(cell.startswith(("=", "@", "+")) for r in pack + rows for cell in r)


def access_published(access):  # noqa: F811
    """The Published record the access fixture's app reads (its snapshot folder)."""
    from ..conftest import Published

    folder = access.app.state.config.snapshot_dir
    return Published(folder, next(folder.glob("fsu-*.duckdb")))
