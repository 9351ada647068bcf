"""The window's twelve months must all be loaded before a rolling hop runs.

The DuckDB IO manager reads a window with a date range and silently skips a month that was
never loaded, which would under-count everyone; these tests pin down how a missing month is found.
"""

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.window import missing_window_months, window_months

D = dt.date


def test_window_months_crosses_the_year():
    months = window_months(D(2026, 2, 1))
    assert len(months) == 12
    assert months[0] == D(2025, 3, 1) and months[-1] == D(2026, 2, 1)
    assert months == sorted(set(months))


def _manifest(rows):
    return pl.DataFrame(rows, schema={"extract": pl.String, "month": pl.Date, "file": pl.String}, orient="row")


def _full(extracts, end=D(2026, 10, 1), skip=()):
    rows = []
    for m in window_months(end):
        for e in extracts:
            if (e, m) not in skip:
                rows.append((e, m, f"landing/{m:%Y-%m}/{e}.csv"))
    return rows


def test_complete_window_has_nothing_missing():
    assert missing_window_months(_manifest(_full(["a", "b"])), D(2026, 10, 1), ("a", "b")) == {}


def test_a_month_never_loaded_for_one_extract_is_missing():
    rows = _full(["a", "b"], skip={("b", D(2026, 3, 1))})
    assert missing_window_months(_manifest(rows), D(2026, 10, 1), ("a", "b")) == {"2026-03": ["b not loaded"]}


def test_a_month_with_no_files_at_all_is_missing_but_one_empty_extract_is_not():
    rows = [(e, m, None if m == D(2026, 1, 1) else f) for e, m, f in _full(["a", "b"])]
    rows = [(e, m, None if (e == "a" and m == D(2026, 5, 1)) else f) for e, m, f in rows]
    missing = missing_window_months(_manifest(rows), D(2026, 10, 1), ("a", "b"))
    assert missing == {"2026-01": ["no landing files for this month"]}


@pytest.mark.parametrize("outside", [D(2025, 10, 1), D(2026, 11, 1)])
def test_months_outside_the_window_do_not_count(outside):
    rows = _full(["a"], skip={("a", D(2025, 11, 1))}) + [("a", outside, "x.csv")]
    assert list(missing_window_months(_manifest(rows), D(2026, 10, 1), ("a",))) == ["2025-11"]


def test_a_record_landed_again_keeps_only_its_latest_version_and_that_versions_children():
    """The same incident re-sent in June (with its resources) must count once, with June's resources."""
    from fsu_dagster.window import latest_versions

    may, june = D(2026, 5, 1), D(2026, 6, 1)
    incidents = pl.DataFrame({"month": [may, june, may], "incident_id": ["A", "A", "B"], "v": [1, 2, 3]})
    resources = pl.DataFrame(
        {
            "month": [may, may, june, may, june],
            "incident_id": ["A", "A", "A", "B", "Z"],
            "resource_id": ["r1", "r2", "r3", "r4", "r5"],
        }
    )
    out, superseded = latest_versions({"cw_incidents": incidents, "cw_resources": resources})
    assert sorted(out["cw_incidents"]["v"]) == [2, 3]
    # A's May resources went with the superseded version; B's and the orphan Z's are kept.
    assert sorted(out["cw_resources"]["resource_id"]) == ["r3", "r4", "r5"]
    assert superseded == {"cw_incidents": 1, "cw_resources": 2}


def test_no_repeats_means_nothing_changes():
    from fsu_dagster.window import latest_versions

    custody = pl.DataFrame({"month": [D(2026, 5, 1), D(2026, 6, 1)], "custody_id": ["C1", "C2"]})
    roles = pl.DataFrame({"month": [D(2026, 5, 1)], "investigation_id": ["I1"], "person_id": ["P1"]})
    out, superseded = latest_versions({"connect_custody": custody, "connect_person_roles": roles})
    assert out["connect_custody"].equals(custody) and out["connect_person_roles"].equals(roles)
    assert superseded == {}


def test_months_from_is_window_months_over_a_range():
    """The sources' partition ranges are built from the one month-list rule."""
    from fsu_dagster.window import months_from

    assert months_from(D(2025, 11, 1), D(2026, 2, 1)) == window_months(D(2026, 1, 1), 3)
    assert months_from(D(2026, 3, 1), D(2026, 3, 15)) == [D(2026, 3, 1)]
    assert months_from(D(2026, 3, 1), D(2026, 3, 1)) == []


def test_repeats_in_one_extract_do_not_change_another_without_repeats():
    """Only the extract whose keys repeat (and its children) is resolved; the others stay as they were."""
    from fsu_dagster.window import latest_versions

    may, june = D(2026, 5, 1), D(2026, 6, 1)
    incidents = pl.DataFrame({"month": [may, june], "incident_id": ["A", "A"], "v": [1, 2]})
    resources = pl.DataFrame({"month": [may, june], "incident_id": ["A", "A"], "resource_id": ["r1", "r2"]})
    custody = pl.DataFrame({"month": [june, may], "custody_id": ["C2", "C1"]})
    roles = pl.DataFrame({"month": [may], "investigation_id": ["I1"], "person_id": ["P1"]})
    investigations = pl.DataFrame({"month": [may, june], "investigation_id": ["I1", "I2"]})
    out, superseded = latest_versions(
        {
            "cw_incidents": incidents,
            "cw_resources": resources,
            "connect_custody": custody,
            "connect_investigations": investigations,
            "connect_person_roles": roles,
        }
    )
    assert out["cw_incidents"]["v"].to_list() == [2]
    assert out["cw_resources"]["resource_id"].to_list() == ["r2"]
    # No repeats: the same rows in the same order.
    assert out["connect_custody"].equals(custody) and out["connect_investigations"].equals(investigations)
    assert out["connect_person_roles"].equals(roles)
    assert superseded == {"cw_incidents": 1, "cw_resources": 1}


def test_a_null_key_is_resolved_as_before():
    """A row without its key never matches a version (the joins do not pair nulls): dropped as before."""
    from fsu_dagster.window import latest_versions

    custody = pl.DataFrame({"month": [D(2026, 5, 1), D(2026, 6, 1)], "custody_id": ["C1", None]})
    out, _ = latest_versions({"connect_custody": custody})
    assert out["connect_custody"]["custody_id"].to_list() == ["C1"]
