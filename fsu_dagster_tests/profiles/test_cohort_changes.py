"""Cohort changes between consecutive months."""

import datetime as dt

import polars as pl

from fsu_dagster.profiles.cohort_changes import cohort_changes
from fsu_dagster_tests.profiles.frames import M, cohort

PREV = dt.date(2026, 2, 1)


def _metrics(month, ranks):
    return pl.DataFrame(
        {
            "month": [month] * len(ranks),
            "person_id": list(ranks),
            "rank_investigations_custody": [r[0] for r in ranks.values()],
            "rank_originator": [r[1] for r in ranks.values()],
            "rank_subject": [r[2] for r in ranks.values()],
            "rank_overall": [r[3] for r in ranks.values()],
        }
    )


def test_new_left_stayed_and_movement():
    """A tasking meeting asks who is new, who dropped off and who climbed: B moved from
    overall rank 5 to 2 (+3), A left (and is still ranked 150th), C is new."""
    prev_c, cur_c = cohort("A", "B", month=PREV), cohort("B", "C")
    prev_m = _metrics(PREV, {"A": (1, 9, 9, 1), "B": (2, 8, 8, 5)})
    cur_m = _metrics(M, {"A": (140, 9, 9, 150), "B": (1, 8, 8, 2), "C": (3, 1, 1, 1)})
    out = cohort_changes(cur_c, cur_m, prev_c, prev_m)
    overall = (
        out.filter(pl.col("metric") == "overall")
        .select("person_id", "status", "rank_previous", "rank_current", "rank_movement")
        .rows()
    )
    assert overall == [("A", "LEFT", 1, 150, -149), ("B", "STAYED", 5, 2, 3), ("C", "NEW", None, 1, None)]
    assert out.get_column("month").unique().to_list() == [M]
    assert out.height == 3 * 4


def test_first_month_everyone_new():
    """With no previous month, every member is NEW and has no previous rank."""
    out = cohort_changes(cohort("B"), _metrics(M, {"B": (1, 1, 1, 1)}), None, None)
    assert set(out.get_column("status")) == {"NEW"}
    assert out.get_column("rank_previous").null_count() == 4
