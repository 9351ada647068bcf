"""The pipeline's answers against the generator's ground truth, on small-scale synthetic data.

The generator plants frequent service users of several kinds (prolific callers, repeat victims,
prolific offenders, people who are all three, frequently missing young people) among ordinary
people with messy identities. The method should find them, and the profiles should tell the
truth about them where the generator knows it.
"""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster import warehouse as wh

PLANTED = ["prolific_caller", "repeat_victim", "prolific_offender", "all_three", "missing_young_person"]


@pytest.fixture(scope="module")
def t(small_built):
    conn = wh.connect(str(small_built.warehouse), read_only=True)
    truth = small_built.data_dir / "truth"

    class T:
        q = staticmethod(lambda sql: conn.execute(sql).pl())
        persons = pl.read_csv(truth / "persons.csv", infer_schema=False)
        mentions = pl.read_csv(truth / "cw_mentions.csv", infer_schema=False)
        missing = pl.read_csv(truth / "missing_reports.csv", infer_schema=False)
        relationships = pl.read_csv(truth / "relationships.csv", infer_schema=False)

    yield T
    conn.close()


def test_cohort_has_200_to_300_people_as_the_method_expects(t):
    assert 200 <= t.q("select count(*) as n from fsu.cohort")["n"].item() <= 300


def test_planted_frequent_users_are_in_the_cohort(t):
    cohort = t.q("select person_id from fsu.cohort")
    planted = t.persons.filter(pl.col("archetype").is_in(PLANTED))
    found = planted.join(cohort, on="person_id", how="inner")
    assert found.height >= 0.85 * planted.height
    # People who are all three (caller, victim, offender) must never be missed.
    all_three = planted.filter(pl.col("archetype") == "all_three")
    assert all_three.join(cohort, on="person_id", how="anti").height == 0
    # Every kind of frequent user is represented by most of its members.
    per_kind = (
        planted.join(cohort.with_columns(pl.lit(True).alias("in")), on="person_id", how="left")
        .group_by("archetype")
        .agg((pl.col("in").fill_null(False).mean()).alias("share"))
    )
    assert per_kind["share"].min() >= 0.6, per_kind


def test_missing_episodes_belong_to_the_right_person(t):
    episodes = t.q("select report_id, person_id from fsu.missing_episodes")
    cohort = t.q("select person_id from fsu.cohort")
    truth = t.missing.filter(pl.col("person_id").is_not_null())
    joined = episodes.join(
        truth.select("report_id", pl.col("person_id").alias("true_person")), on="report_id", how="left"
    )
    assert joined.filter(pl.col("true_person") != pl.col("person_id")).height == 0
    expected = truth.join(cohort, on="person_id", how="semi")
    assert episodes.join(expected, on="report_id", how="semi").height >= 0.95 * expected.height


def test_planted_relationships_are_read_the_right_way_round(t):
    """truth: b is <relationship> to a; profiles: related_person_id is <relationship> to person_id."""
    found = t.q("select person_id, related_person_id, relationship from fsu.person_relationships").join(
        t.relationships.rename(
            {"person_id_a": "person_id", "person_id_b": "related_person_id", "relationship": "truth"}
        ),
        on=["person_id", "related_person_id"],
        how="inner",
    )
    assert found.height >= 30
    assert found.filter(pl.col("relationship") != pl.col("truth")).height == 0


def test_identified_callers_relationships_match_the_truth(t):
    callers = t.q(
        "select incident_id, person_id, caller_relationship from fsu.caller_relationships "
        "where is_subject and not is_originator and caller_relationship <> 'RELATIONSHIP UNKNOWN'"
    )
    subjects = t.mentions.filter(pl.col("role") == "subject").select(
        "incident_id", pl.col("person_id").alias("subject")
    )
    originators = t.mentions.filter(pl.col("role") == "originator").select("incident_id", "relationship_to_subject")
    compared = callers.join(
        subjects.join(originators, on="incident_id"),
        left_on=["incident_id", "person_id"],
        right_on=["incident_id", "subject"],
    )
    assert compared.height >= 20
    agree = compared.filter(pl.col("caller_relationship") == pl.col("relationship_to_subject")).height
    assert agree >= 0.95 * compared.height
