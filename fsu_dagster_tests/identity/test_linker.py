"""Fuzzy linking (``link_records``): error patterns, ambiguity, thresholds, edge cases.

Each case is a hand-built ControlWorks-style query against a small identity index
with look-alike distractors; the expected person is what a careful analyst would
pick. Fuzzy mode must find people the exact rule misses, and must refuse to guess
when the evidence does not single one person out.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.identity.config import LINK_CONFIG
from fsu_dagster.identity.exact import link_exact
from fsu_dagster.identity.linker import link_records

DEFAULT_THRESHOLD = LINK_CONFIG.threshold

D = dt.date

INDEX = pl.DataFrame(
    {
        "person_id": ["P1", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"],
        "forename": ["William", "Bill", "Margaret", "Xanthe", "Siân", "Mohammed", "Anne", "Robert", "Robert", "Priya"],
        "surname": [
            "Hargreaves",
            "Hargreaves",
            "Smith-Jones",
            "Quayle",
            "Llewellyn",
            "Rahman",
            "Baker",
            "Oduya",
            "Oduya",
            "Chaudhry",
        ],
        "dob": [
            D(1980, 3, 12),
            D(1980, 3, 12),
            D(1975, 6, 1),
            D(1990, 12, 25),
            D(2001, 1, 5),
            D(1985, 7, 8),
            D(1970, 2, 2),
            D(1966, 5, 20),
            D(1966, 5, 20),
            D(1992, 9, 14),
        ],
        "pnc_id": ["07/123456X", None, None, None, None, "10/99999Z", None, None, None, None],
        "phone": [None, None, None, None, None, "07700900001", None, None, None, "07700900999"],
    }
)


def _q(rows: list[dict]) -> pl.DataFrame:
    base = {"record_id": 0, "forename": None, "surname": None, "dob": None, "pnc_id": None, "phone": None}
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema={
            "record_id": pl.Int64,
            "forename": pl.String,
            "surname": pl.String,
            "dob": pl.Date,
            "pnc_id": pl.String,
            "phone": pl.String,
        },
    )


def _link_one(row: dict, index: pl.DataFrame = INDEX, **kw) -> dict | None:
    out = link_records(_q([row]), index, **kw)
    assert out.height <= 1
    return out.row(0, named=True) if out.height else None


@pytest.mark.parametrize(
    "row, person, reason_part",
    [
        ({"forename": "bill", "surname": "HARGREAVES", "dob": D(1980, 3, 12)}, "P1", "name_dob"),  # case
        ({"forename": "Wiliam", "surname": "Hargreaves", "dob": D(1980, 3, 12)}, "P1", "forename~jw92"),  # typo
        (
            {"forename": "William", "surname": "Hargraeves", "dob": D(1980, 3, 12)},
            "P1",
            "surname~jw92",
        ),  # transposition
        ({"forename": "Billy", "surname": "Hargreaves", "dob": D(1980, 3, 12)}, "P1", "forename~nickname"),
        ({"forename": "Peggy", "surname": "Smith-Jones", "dob": D(1975, 6, 1)}, "P2", "forename~nickname"),
        ({"forename": "Margaret", "surname": "Jones", "dob": D(1975, 6, 1)}, "P2", "surname~part"),  # double-barrel
        ({"forename": "Margaret", "surname": "Smith Jones", "dob": D(1975, 6, 1)}, "P2", "name_dob"),  # punctuation
        ({"forename": "Quayle", "surname": "Xanthe", "dob": D(1990, 12, 25)}, "P3", "names~swapped"),
        ({"forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 25)}, "P3", "name_dob"),
        ({"forename": "William", "surname": "Hargreaves", "dob": D(1980, 12, 3)}, "P1", "dob~swap"),
        ({"forename": "William", "surname": "Hargreaves", "dob": D(1980, 3, 13)}, "P1", "dob~typo"),
        ({"forename": "William", "surname": "Hargreaves", "dob": D(1981, 3, 12)}, "P1", "dob~typo"),
        ({"forename": "Sian", "surname": "Llewellyn", "dob": D(2001, 1, 5)}, "P4", "name_dob"),  # non-ASCII folded
        ({"forename": "Muhammad", "surname": "Rahman", "dob": D(1985, 7, 8)}, "P5", "forename~nickname"),
        ({"pnc_id": "07/ 123456x"}, "P1", "pnc"),
    ],
)
def test_error_patterns_link_to_the_right_person(row, person, reason_part):
    """Typos, nicknames, swaps, double-barrelled parts and DOB slips still find the person."""
    got = _link_one(row)
    assert got is not None, "expected a link"
    assert got["person_id"] == person
    assert reason_part in got["reason"]
    assert DEFAULT_THRESHOLD <= got["score"] <= 1.0


def test_fuzzy_finds_people_the_exact_rule_misses():
    """The point of fuzzy mode: messy mentions that exact mode leaves unlinked."""
    rows = [
        {"record_id": 1, "forename": "Billy", "surname": "Hargreaves", "dob": D(1980, 3, 12)},
        {"record_id": 2, "forename": "Sian", "surname": "Llewellyn", "dob": D(2001, 1, 5)},
        {"record_id": 3, "forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 25)},
    ]
    assert link_records(_q(rows), INDEX, mode="exact")["record_id"].to_list() == [3]
    assert link_records(_q(rows), INDEX)["record_id"].to_list() == [1, 2, 3]


@pytest.mark.parametrize(
    "row, person",
    [
        # No DOB, but the phone number on the person's record agrees: enough.
        ({"forename": "Mohammed", "surname": "Rahman", "phone": "+44 7700 900001"}, "P5"),
        # No DOB, PNC ID agrees.
        ({"forename": "Mohammed", "surname": "Rahman", "pnc_id": "10/99999Z"}, "P5"),
        # Names only: not enough, however exact.
        ({"forename": "Mohammed", "surname": "Rahman"}, None),
        ({"forename": "Anne", "surname": "Baker"}, None),
    ],
)
def test_missing_dob_needs_strong_other_evidence(row, person):
    """Without a DOB a name alone never links; a phone or PNC ID can make up for it."""
    got = _link_one(row)
    assert (got["person_id"] if got else None) == person


def test_two_equally_good_candidates_link_nobody():
    """P7 and P8 share name and DOB (a duplicate or a namesake): no guessing."""
    assert _link_one({"forename": "Robert", "surname": "Oduya", "dob": D(1966, 5, 20)}) is None
    assert _link_one({"forename": "Bob", "surname": "Oduya", "dob": D(1966, 5, 20)}) is None


def test_a_clearly_better_candidate_beats_a_weaker_one():
    """A twin-like near miss (same surname and DOB, other forename) does not block the exact one."""
    index = pl.concat(
        [
            INDEX,
            pl.DataFrame(
                {
                    "person_id": ["P10"],
                    "forename": ["Wilma"],
                    "surname": ["Hargreaves"],
                    "dob": [D(1980, 3, 12)],
                    "pnc_id": [None],
                    "phone": [None],
                }
            ),
        ]
    )
    got = _link_one({"forename": "William", "surname": "Hargreaves", "dob": D(1980, 3, 12)}, index)
    assert got["person_id"] == "P1"
    # And the lookalike itself is not linked to a query about William.
    got = _link_one({"forename": "Wilma", "surname": "Hargreaves", "dob": D(1980, 3, 12)}, index)
    assert got["person_id"] == "P10"


@pytest.mark.parametrize(
    "row",
    [
        {"forename": "Priya", "surname": "Chaudhry", "dob": D(1950, 1, 1)},  # DOB contradicts
        {"forename": "John", "surname": "Smith", "dob": D(1980, 3, 12)},  # DOB only
        {"forename": "Wilfred", "surname": "Hargreaves", "dob": D(1980, 3, 12)},  # another forename
    ],
)
def test_contradicting_evidence_does_not_link(row):
    """A name agreeing with a contradicting DOB, or a DOB alone, is someone else."""
    assert _link_one(row) is None


def test_phone_evidence_decides_between_namesakes():
    """Two namesakes without DOBs: the phone number on one of them decides."""
    index = pl.DataFrame(
        {
            "person_id": ["A", "B"],
            "forename": ["Priya", "Priya"],
            "surname": ["Chaudhry", "Chaudhry"],
            "dob": [D(1992, 9, 14), D(1961, 2, 3)],
            "pnc_id": [None, None],
            "phone": ["07700900999", "07700900111"],
        }
    )
    got = _link_one({"forename": "Priya", "surname": "Chaudhry", "phone": "07700 900111"}, index)
    assert got["person_id"] == "B" and "phone=exact" in got["reason"]
    assert _link_one({"forename": "Priya", "surname": "Chaudhry"}, index) is None


def test_postcode_is_used_only_when_both_sides_have_it():
    """Postcode agreement adds evidence; a query frame without the column is not penalised."""
    index = INDEX.with_columns(postcode=pl.lit("B15 2TT"))
    row = {"forename": "Anne", "surname": "Baker", "dob": D(1970, 2, 2)}
    without = _link_one(row, index)
    q = _q([row]).with_columns(postcode=pl.lit("b152tt"))
    with_pc = link_records(q, index).row(0, named=True)
    assert without["person_id"] == with_pc["person_id"] == "P6"
    assert with_pc["score"] > without["score"]
    # On a fuzzy link the agreeing postcode is named among the evidence.
    q2 = _q([{**row, "forename": "Ann"}]).with_columns(postcode=pl.lit("B15 2TT"))
    assert "postcode=exact" in link_records(q2, index).row(0, named=True)["reason"]


def test_threshold_semantics():
    """Links are exactly those whose posterior reaches the threshold; raising it never adds."""
    rows = [
        {"record_id": 1, "forename": "Wiliam", "surname": "Hargreaves", "dob": D(1980, 3, 12)},
        {"record_id": 2, "forename": "Bill", "surname": "Hargreaves"},
        {"record_id": 3, "forename": "Anne", "surname": "Baker", "dob": D(1970, 2, 2)},
    ]
    everything = link_records(_q(rows), INDEX, threshold=0.0)
    for t in (0.0, 0.5, 0.9, DEFAULT_THRESHOLD, 0.999999):
        got = link_records(_q(rows), INDEX, threshold=t)
        assert got["record_id"].to_list() == everything.filter(pl.col("score") >= t)["record_id"].to_list()
    assert link_records(_q(rows), INDEX, threshold=None).equals(
        link_records(_q(rows), INDEX, threshold=DEFAULT_THRESHOLD)
    )
    assert everything["score"].is_between(0.0, 1.0).all()
    with pytest.raises(ValueError):
        link_records(_q(rows), INDEX, threshold=1.5)


def test_exact_mode_is_link_exact():
    """``mode="exact"`` is the contract's rule, delegated unchanged."""
    rows = [
        {"record_id": 1, "forename": "WILLIAM", "surname": "hargreaves", "dob": D(1980, 3, 12)},
        {"record_id": 2, "forename": "Bill", "surname": "Hargreaves", "dob": D(1980, 3, 13)},
        {"record_id": 3, "pnc_id": "07/123456X"},
        {"record_id": 4, "forename": "Robert", "surname": "Oduya", "dob": D(1966, 5, 20)},
    ]
    q = _q(rows)
    assert link_records(q, INDEX, mode="exact").equals(link_exact(q, INDEX))


@pytest.mark.parametrize("mode", ["exact", "fuzzy"])
def test_empty_inputs(mode):
    """No queries or an empty index: an empty result with the right columns."""
    empty_q = _q([]).clear()
    out = link_records(empty_q, INDEX, mode=mode)
    assert out.height == 0 and out.columns == ["record_id", "person_id", "score", "reason"]
    out = link_records(_q([{"forename": "Anne", "surname": "Baker", "dob": D(1970, 2, 2)}]), INDEX.clear(), mode=mode)
    assert out.height == 0


def test_all_null_fields_and_missing_columns():
    """Queries with nothing to go on link nobody; absent optional columns count as null."""
    q = _q([{"record_id": 1}, {"record_id": 2, "forename": "  ", "surname": "--"}])
    assert link_records(q, INDEX).height == 0
    # No pnc_id, phone or dob column at all.
    q2 = pl.DataFrame({"record_id": ["a"], "forename": ["Xanthe"], "surname": ["Quayle"]})
    assert link_records(q2, INDEX.drop("pnc_id", "phone")).height == 0
    q3 = q2.with_columns(dob=pl.lit("1990-12-25"))
    got = link_records(q3, INDEX.drop("pnc_id", "phone"))
    assert got["person_id"].to_list() == ["P3"] and got["record_id"].dtype == pl.String


def test_dtypes_of_ids_are_kept():
    """record_id and person_id come back in the caller's dtypes (ints stay ints)."""
    index = INDEX.with_columns(pl.col("person_id").str.slice(1).cast(pl.Int64))
    q = _q([{"record_id": 7, "forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 25)}])
    for mode in ("exact", "fuzzy"):
        out = link_records(q, index, mode=mode)
        assert out.schema["person_id"] == pl.Int64 and out.schema["record_id"] == pl.Int64
        assert out["person_id"].to_list() == [3]


def test_duplicate_queries_each_get_their_link():
    """Many mentions share one identity: each record is returned (deduplication is internal)."""
    row = {"forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 25)}
    q = _q([{**row, "record_id": i} for i in range(5)])
    out = link_records(q, INDEX)
    assert out["record_id"].to_list() == list(range(5)) and set(out["person_id"]) == {"P3"}


def test_one_to_one_keeps_the_best_query_per_person():
    """For one-to-one tasks, a person is given to one query only: the surest."""
    rows = [
        {"record_id": 1, "forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 25)},
        {"record_id": 2, "forename": "Xanthe", "surname": "Quayle", "dob": D(1990, 12, 26)},
    ]
    assert link_records(_q(rows), INDEX)["record_id"].to_list() == [1, 2]
    assert link_records(_q(rows), INDEX, one_to_one=True)["record_id"].to_list() == [1]


def test_frequency_prior_favours_the_frequent_caller():
    """Name only, two namesakes: the one already linked on many calls is the likelier."""
    index = pl.DataFrame(
        {
            "person_id": ["A", "B"],
            "forename": ["Priya", "Priya"],
            "surname": ["Chaudhry", "Chaudhry"],
            "dob": [D(1992, 9, 14), D(1961, 2, 3)],
            "pnc_id": [None, None],
        }
    )
    sure = [{"record_id": i, "forename": "Priya", "surname": "Chaudhry", "dob": D(1992, 9, 14)} for i in range(60)]
    vague = [{"record_id": 100, "forename": "Priya", "surname": "Chaudhry"}]
    q = _q(sure + vague)
    assert 100 not in link_records(q, index)["record_id"].to_list()
    got = link_records(q, index, frequency_prior=True)
    assert got.filter(pl.col("record_id") == 100)["person_id"].to_list() == ["A"]


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        link_records(_q([]), INDEX, mode="closest")


def test_em_estimates_the_share_of_queries_in_the_index():
    """EM recovers the share of queries whose person is in the index from the
    candidates' evidence (here 70 %: a strong candidate; the rest only poor ones), and
    a handful of queries cannot move it far from a half."""
    import numpy as np

    from fsu_dagster.identity.estimation import em_share

    n = 2000
    in_index = np.arange(n) < 0.7 * n
    best = pl.DataFrame(
        {
            "qid": np.arange(n, dtype=np.uint32),
            "pidx": np.arange(n, dtype=np.uint32),
            "weight": np.where(in_index, 30.0, -8.0),
        }
    )
    record_map = pl.DataFrame({"record_id": np.arange(n), "qid": np.arange(n, dtype=np.uint32)})
    rho = em_share(best, record_map, n_eff=10_000, rho=0.5)
    assert abs(rho - (0.7 * n + 50) / (n + 100)) < 0.01
    few = em_share(best.head(3), record_map.head(3), n_eff=10_000, rho=0.5)
    assert 0.5 <= few < 0.52


@pytest.mark.parametrize("mode", ["exact", "fuzzy"])
def test_identifiers_read_as_numbers_link_like_text(mode):
    """A CSV read without a schema gives a DOB of 19800102 (or 19800102.0 when the
    column has gaps) and a numeric ID: they must link exactly as the same values as text."""
    ix = pl.DataFrame(
        {
            "person_id": [1, 2],
            "forename": ["John", "Mary"],
            "surname": ["Smith", "Jones"],
            "dob": ["19800102", "19751231"],
            "pnc_id": ["1234567", "7654321"],
        }
    )
    q = pl.DataFrame(
        {
            "record_id": ["a", "b"],
            "forename": ["John", "Mary"],
            "surname": ["Smith", "Jonse"],
            "dob": ["19800102", None],
            "pnc_id": [None, "7654321"],
        }
    )
    as_text = link_records(q, ix, mode=mode).rows()
    assert as_text  # something links

    def cast(frame: pl.DataFrame, dtype: pl.DataType) -> pl.DataFrame:
        return frame.with_columns(pl.col("dob").cast(dtype), pl.col("pnc_id").cast(dtype))

    for dtype in (pl.Int64, pl.Float64):
        assert link_records(cast(q, dtype), cast(ix, dtype), mode=mode).rows() == as_text
        assert link_records(cast(q, dtype), ix, mode=mode).rows() == as_text


def test_config_holds_the_constants_and_is_frozen():
    """Every tuning constant is read from the LinkConfig passed in: the config's threshold
    is the default threshold, and a changed config changes the links."""
    import dataclasses

    rows = [
        {"record_id": 1, "forename": "Wiliam", "surname": "Hargreaves", "dob": D(1980, 3, 12)},
        {"record_id": 2, "forename": "Bill", "surname": "Hargreaves"},
        {"record_id": 3, "forename": "Margret", "surname": "Smith-Jones", "dob": D(1975, 6, 1)},
    ]
    strict = dataclasses.replace(LINK_CONFIG, threshold=0.999999)
    assert link_records(_q(rows), INDEX, config=strict).equals(link_records(_q(rows), INDEX, threshold=0.999999))
    crowded = dataclasses.replace(LINK_CONFIG, population_floor=10_000_000)
    scores = link_records(_q(rows), INDEX, threshold=0.0)["score"].to_list()
    assert link_records(_q(rows), INDEX, threshold=0.0, config=crowded)["score"].to_list() != scores
    with pytest.raises(dataclasses.FrozenInstanceError):
        LINK_CONFIG.threshold = 0.5  # type: ignore[misc]
