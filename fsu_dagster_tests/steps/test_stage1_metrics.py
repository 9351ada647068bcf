"""Normalisation, metrics, ranks and the cohort (data contract section 3)."""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster.stage1 import TOTALS, cohort, normalisation_scales, normalise_totals, person_metrics, rank_metrics
from fsu_dagster_tests.steps.stage1_frames import M


def totals_frame(rows: dict[str, dict[str, float]]) -> pl.DataFrame:
    """person_id -> {total: value}; unnamed totals are 0."""
    data = [
        {
            "month": M,
            "person_id": p,
            **{t: (v.get(t, 0.0) if t.endswith("hours") else int(v.get(t, 0))) for t in TOTALS},
        }
        for p, v in rows.items()
    ]
    schema = {"month": pl.Date, "person_id": pl.String} | {
        t: (pl.Float64 if t.endswith("hours") else pl.Int64) for t in TOTALS
    }
    return pl.DataFrame(data, schema=schema, orient="row") if data else pl.DataFrame(schema=schema)


SUSPECTS = totals_frame({p: {"suspect_total": v} for p, v in zip("ABCDE", [4, 2, 2, 0, 1], strict=True)})


@pytest.mark.parametrize(
    ("top_n", "scale"),
    [
        (1, 4.0),  # largest value only
        (3, 8 / 3),  # N=5 > top_n: mean of the 3 largest (4, 2, 2)
        (5, 9 / 5),  # N = top_n
        (1000, 9 / 5),  # N < top_n: mean over the whole universe, zeros included
    ],
)
def test_scale_is_mean_of_largest_min_top_n_n(top_n, scale):
    """scale_t = mean of the largest min(top_n, N) values; norm_t = t / scale_t."""
    scales = dict(normalisation_scales(SUSPECTS, top_n).select("total", "scale").iter_rows())
    assert scales["suspect_total"] == pytest.approx(scale, rel=1e-15)
    assert scales["victim_total"] == 0.0
    normed = normalise_totals(SUSPECTS, top_n)
    assert normed.get_column("norm_suspect_total").to_list() == pytest.approx([v / scale for v in [4, 2, 2, 0, 1]])
    assert normed.get_column("norm_victim_total").to_list() == [0.0] * 5  # scale 0 -> norm 0


#: Hand-worked example (top_n = 2). Scales: suspect (2+1)/2 = 1.5, custody_hours (10+5)/2 = 7.5,
#: originator_calls 3/2, originator_hours 1.5/2. Norms: P1 suspect 4/3; P2 custody_hours 4/3;
#: P3 suspect 2/3 + custody_hours 2/3; P4 originator 2 + 2.
EXAMPLE = totals_frame(
    {
        "P1": {"suspect_total": 2},
        "P2": {"custody_hours": 10.0, "custody_total": 0},
        "P3": {"suspect_total": 1, "custody_hours": 5.0},
        "P4": {"originator_calls": 3, "originator_hours": 1.5},
    }
)


def test_metrics_hand_worked():
    """Raw metric = mean of norms; metric = raw / max raw; 0 everywhere when the max is 0."""
    out = person_metrics(EXAMPLE, top_n=2)
    assert out.columns[:10] == [
        "month",
        "person_id",
        "metric_investigations_custody",
        "metric_originator",
        "metric_subject",
        "metric_overall",
        "rank_investigations_custody",
        "rank_originator",
        "rank_subject",
        "rank_overall",
    ]
    m = {r["person_id"]: r for r in out.iter_rows(named=True)}
    # Investigations & custody: P1, P2, P3 all have raw (4/3)/5: a genuine three-way tie.
    assert [m[p]["metric_investigations_custody"] for p in ("P1", "P2", "P3", "P4")] == pytest.approx([1, 1, 1, 0])
    assert [m[p]["metric_originator"] for p in ("P1", "P2", "P3", "P4")] == [0, 0, 0, 1.0]
    assert [m[p]["metric_subject"] for p in ("P1", "P2", "P3", "P4")] == [0, 0, 0, 0]  # max 0 -> 0
    # Overall: raw (4/3)/9 for P1-P3, 4/9 for P4 -> 1/3 and 1.
    assert [m[p]["metric_overall"] for p in ("P1", "P2", "P3", "P4")] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1])
    assert m["P4"]["raw_metric_originator"] == pytest.approx(2.0)


def test_ranks_break_ties_by_person_id():
    """Equal metrics are ordered by person_id ascending; ranks are 1..N and unique."""
    out = person_metrics(EXAMPLE, top_n=2).sort("person_id")
    assert out.get_column("rank_investigations_custody").to_list() == [1, 2, 3, 4]
    assert out.get_column("rank_originator").to_list() == [2, 3, 4, 1]
    assert out.get_column("rank_subject").to_list() == [1, 2, 3, 4]
    assert out.get_column("rank_overall").to_list() == [2, 3, 4, 1]
    assert out.schema["rank_overall"] == pl.Int64


def test_identical_totals_identical_metrics():
    """Two people with the same totals always get the same metrics, so only person_id separates them."""
    row = {
        "suspect_total": 3,
        "victim_total": 1,
        "custody_total": 2,
        "custody_hours": 17.3,
        "originator_calls": 5,
        "originator_hours": 0.1,
        "subject_calls": 2,
        "subject_hours": 0.7,
    }
    frame = totals_frame({"Z9": row, "A1": row, "M5": {"victim_total": 9}})
    out = person_metrics(frame, top_n=2)
    z, a = (out.filter(pl.col("person_id") == p).row(0, named=True) for p in ("Z9", "A1"))
    for metric in ("metric_investigations_custody", "metric_originator", "metric_subject", "metric_overall"):
        assert z[metric] == a[metric]
        rank = metric.replace("metric_", "rank_")
        assert a[rank] == z[rank] - 1


def test_rank_ignores_float_noise():
    """0.1 + 0.2 and 0.3 are the same metric up to rounding noise: the tie goes to person_id."""
    m = pl.DataFrame({"person_id": ["B", "A", "C"], "metric_overall": [0.1 + 0.2, 0.3, 0.2999]})
    for extra in ("metric_investigations_custody", "metric_originator", "metric_subject"):
        m = m.with_columns(pl.lit(0.0).alias(extra))
    out = rank_metrics(m).sort("rank_overall")
    assert out.get_column("person_id").to_list() == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("list_size", "expected"),
    [
        # (person, in_top_investigations_custody, in_top_originator, in_top_subject, in_top_overall)
        (1, [("P1", True, False, False, False), ("P4", False, True, False, True)]),
        (2, [("P1", True, False, False, True), ("P2", True, False, False, False), ("P4", False, True, False, True)]),
        (
            10,
            [
                ("P1", True, False, False, True),
                ("P2", True, False, False, True),
                ("P3", True, False, False, True),
                ("P4", False, True, False, True),
            ],
        ),
    ],
)
def test_cohort_top_lists_with_positive_metric(list_size, expected):
    """Cohort = union of rank <= list_size with metric > 0: a zero metric never makes the list."""
    out = cohort(person_metrics(EXAMPLE, top_n=2), list_size=list_size)
    assert out.columns == [
        "month",
        "person_id",
        "in_top_investigations_custody",
        "in_top_originator",
        "in_top_subject",
        "in_top_overall",
    ]
    assert out.drop("month").rows() == expected


def test_metrics_empty_universe():
    """An empty universe gives empty metrics and an empty cohort, not an error."""
    out = person_metrics(totals_frame({}), top_n=1000)
    assert out.height == 0 and "rank_overall" in out.columns
    assert cohort(out).height == 0


def test_cohort_metadata_counts_list_overlap_and_describes_the_metric_distribution():
    """The cohort asset's metadata: how many members are on 1..4 lists, and a Markdown table of
    each metric's cohort min / median / max against the universe's median (aggregates only)."""
    import polars as pl

    from fsu_dagster.stage1.cohort import cohort, list_overlap, metric_distribution
    from fsu_dagster.stage1.ranking import METRIC_CATALOGUE, rank_metrics

    metrics = rank_metrics(
        pl.DataFrame(
            {"person_id": ["A", "B", "C", "D"]}
            | {
                m.column: [4.0, 3.0, 0.0, 1.0] if i % 2 else [1.0, 0.0, 5.0, 2.0]
                for i, m in enumerate(METRIC_CATALOGUE)
            }
        )
    )
    members = cohort(metrics, list_size=1)
    assert sorted(members["person_id"]) == ["A", "C"]
    assert list_overlap(members) == {"on 2 lists": 2}
    table = metric_distribution(metrics, members)
    lines = table.splitlines()
    assert len(lines) == 2 + len(METRIC_CATALOGUE) and lines[0].startswith("| metric |")
    assert f"| {METRIC_CATALOGUE[0].label} | 1.000 | 3.000 | 5.000 | 1.500 |" in lines
