"""``fsu publish``: a complete, read-only snapshot per month, moved into place atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil

import pytest

from fsu_dagster import publish
from fsu_dagster.publish import (
    SNAPSHOT_TABLES,
    SnapshotError,
    latest_snapshot,
    parse_month,
    publish_snapshot,
)
from fsu_dagster.warehouse import connect

from .conftest import MONTH

M = dt.date(2026, 10, 1)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path) -> set[str]:
    conn = connect(str(path), read_only=True)
    try:
        return {
            r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'fsu'").fetchall()
        }
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", dt.date(2026, 10, 1)),
        ("2026-10-01", dt.date(2026, 10, 1)),
        (dt.date(2026, 3, 17), dt.date(2026, 3, 1)),
    ],
)
def test_parse_month_accepts(text, expected):
    """The CLI and the dashboard's ?month= share one reading of a month."""
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "26-10", "2026/10", "2026-10-02", "../etc", ""])
def test_parse_month_rejects(text):
    """Anything else is refused, so a month can never become a path outside the snapshot folder."""
    with pytest.raises(ValueError):
        parse_month(text)


def test_snapshot_holds_the_dashboard_tables_for_the_cohort(tiny_built, published):
    """The dashboard reads only the snapshot: every table it needs is there, for month M and the cohort only."""
    assert _tables(published.path) == {
        *SNAPSHOT_TABLES,
        "identity_variants",
        "cw_identity_variants",
        "person_names",
        "snapshot_info",
        "data_quality",
        "link_quality",
    }
    wh = connect(str(tiny_built.warehouse), read_only=True)
    snap = connect(str(published.path), read_only=True)
    try:
        cohort = sorted(r[0] for r in wh.execute("select person_id from fsu.cohort where month = ?", [M]).fetchall())
        assert sorted(r[0] for r in snap.execute("select person_id from fsu.person_metrics").fetchall()) == cohort
        assert sorted(r[0] for r in snap.execute("select person_id from fsu.person_names").fetchall()) == cohort
        assert snap.execute("select distinct month from fsu.investigation_list").fetchall() in ([(M,)], [])
        # Ranks are copied, never recomputed on the cohort: they stay ranks out of the universe.
        ranks = "select person_id, rank_overall, rank_subject from fsu.person_metrics where month = ? order by 1"
        assert snap.execute(ranks, [M]).fetchall() == [
            r for r in wh.execute(ranks, [M]).fetchall() if r[0] in set(cohort)
        ]
        universe = wh.execute("select count(*) from fsu.person_metrics where month = ?", [M]).fetchone()[0]
        assert snap.execute("select month, universe_size, cohort_size from fsu.snapshot_info").fetchall() == [
            (M, universe, len(cohort))
        ]
    finally:
        wh.close()
        snap.close()
    assert (published.snapshot_dir / "latest").read_text().strip() == "fsu-2026-10.duckdb"
    assert latest_snapshot(published.snapshot_dir) == published.path


def test_identity_variants_are_the_cohorts_names_dobs_and_pnc_ids_only(tiny_built, published):
    """The details page's "all versions" (method 5.1.4): copied for the cohort, without phone numbers
    (not shown, so not published); every other row is copied as the warehouse has it."""
    wh = connect(str(tiny_built.warehouse), read_only=True)
    snap = connect(str(published.path), read_only=True)
    try:
        cols = "person_id, field, value, n_versions, n_months, first_seen, last_seen"
        expected = wh.execute(
            f"select {cols} from fsu.identity_variants where month = ? and field <> 'phone' "
            "and person_id in (select person_id from fsu.cohort where month = ?) order by all",
            [M, M],
        ).fetchall()
        got = snap.execute(f"select {cols} from fsu.identity_variants order by all").fetchall()
        assert got == expected and expected
        assert wh.execute(
            "select count(*) from fsu.identity_variants where month = ? and field = 'phone'", [M]
        ).fetchone()[0]
        assert {r[0] for r in snap.execute("select distinct field from fsu.identity_variants").fetchall()} <= {
            "forename",
            "surname",
            "dob",
            "pnc_id",
        }
        # Households are the cohort's (every member listed), copied whole.
        members = {
            p for (ids,) in snap.execute("select person_ids from fsu.households").fetchall() for p in ids.split(";")
        }
        cohort = {r[0] for r in snap.execute("select person_id from fsu.cohort").fetchall()}
        assert members and members <= cohort
    finally:
        wh.close()
        snap.close()


def test_latest_moves_only_after_the_snapshot_is_complete(tiny_built, tmp_path, monkeypatch):
    """A reader following ``latest`` must never find a half-written file: the file is moved into place first."""
    events = []
    real_replace = os.replace

    def spy(src, dst):
        dst = str(dst)
        if dst.endswith("latest"):
            final = tmp_path / "fsu-2026-10.duckdb"
            events.append(("latest", final.is_file() and "snapshot_info" in _tables(final)))
        else:
            events.append(("snapshot", os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", spy)
    publish_snapshot(tiny_built.warehouse, tmp_path, MONTH)
    assert events == [("snapshot", "fsu-2026-10.duckdb"), ("latest", True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fsu-2026-10.duckdb", "latest"]  # no temporary left


def test_failed_publish_changes_nothing(tiny_built, published, tmp_path, monkeypatch):
    """If copying fails half-way, the previous snapshot and ``latest`` stay as they were, and no temp file is left."""
    folder = tmp_path / "snaps"
    shutil.copytree(published.snapshot_dir, folder)
    before = {p.name: _digest(p) for p in folder.iterdir()}

    def broken(warehouse, target, month):
        target.write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish, "_copy_tables", broken)
    with pytest.raises(RuntimeError):
        publish_snapshot(tiny_built.warehouse, folder, MONTH)
    assert {p.name: _digest(p) for p in folder.iterdir()} == before


def test_republish_replaces_only_its_month_and_latest_names_the_newest(tiny_built, published, tmp_path):
    """Publishing a month rewrites that month's file only; ``latest`` names the newest month, not the last run."""
    folder = tmp_path / "snaps"
    folder.mkdir()
    older = folder / "fsu-2026-09.duckdb"
    newer = folder / "fsu-2026-11.duckdb"
    shutil.copy(published.path, older)
    shutil.copy(published.path, newer)
    digests = {p: _digest(p) for p in (older, newer)}

    path = publish_snapshot(tiny_built.warehouse, folder, MONTH)
    assert path == folder / "fsu-2026-10.duckdb"
    assert {p: _digest(p) for p in (older, newer)} == digests
    assert (folder / "latest").read_text().strip() == "fsu-2026-11.duckdb"

    newer.unlink()
    publish_snapshot(tiny_built.warehouse, folder, MONTH)  # a second publish of the same month
    assert _digest(older) == digests[older]
    assert (folder / "latest").read_text().strip() == "fsu-2026-10.duckdb"
    assert sorted(p.name for p in folder.iterdir()) == ["fsu-2026-09.duckdb", "fsu-2026-10.duckdb", "latest"]


def test_month_without_cohort_is_refused(tiny_built, tmp_path):
    """Publishing a month the pipeline never built fails loudly and writes nothing."""
    with pytest.raises(SnapshotError, match="no cohort"):
        publish_snapshot(tiny_built.warehouse, tmp_path, "2024-01")
    assert list(tmp_path.iterdir()) == []
