"""The fuzzy linker's pair scoring is done a range of record pairs at a time (memory follows
the chunk, not the window): any range, any chunk size, gives exactly the weights, the best
versions and the candidates of scoring everything at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from fsu_dagster.identity import blocking, decision, linker, scoring
from fsu_dagster.identity.comparisons import DOB, FORENAME, POSTCODE, SURNAME
from fsu_dagster.identity.config import LINK_CONFIG
from fsu_dagster.identity.scoring import Parameters

D = dt.date
_FORENAMES = ["John", "Jon", "Johnny", "Mary", "Maria", "Ann", "Anne", "Ali", "Smith", "Lee", "Kim", "Sam"]
_SURNAMES = ["Smith", "Smyth", "Jones", "Lee", "Khan", "Kahn", "Brown", "John", "Ali", "Begum", "Patel", "Sam"]


def _people(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "person_id": [f"P{i}" for i in range(n)],
            "forename": rng.choice(_FORENAMES, n).tolist(),
            "surname": rng.choice(_SURNAMES, n).tolist(),
            "dob": [D(1950 + int(y), 1 + int(m), 1 + int(d)) for y, m, d in rng.integers(0, [50, 12, 28], (n, 3))],
            "pnc_id": [None if rng.random() < 0.7 else f"{i:02d}/{i * 7 % 99999:05d}A" for i in range(n)],
            "phone": [None if rng.random() < 0.5 else f"0770090{int(rng.integers(0, 60)):04d}" for _ in range(n)],
            "postcode": [None if rng.random() < 0.3 else f"B{int(rng.integers(1, 9))} 1AA" for _ in range(n)],
        }
    )


def _queries(people: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """Mentions of the people, with the usual damage: names swapped or replaced by a
    namesake's, day and month swapped, details missing."""
    rng = np.random.default_rng(seed)
    rows = people.sample(n, with_replacement=True, seed=seed).to_dicts()
    for i, r in enumerate(rows):
        r["record_id"] = i
        u = rng.random()
        if u < 0.15:
            r["forename"], r["surname"] = r["surname"], r["forename"]
        elif u < 0.3:
            r["forename"] = str(rng.choice(_FORENAMES))
        if rng.random() < 0.2 and r["dob"].day <= 12:
            r["dob"] = D(r["dob"].year, r["dob"].day, r["dob"].month)
        for c in ("dob", "pnc_id", "phone", "postcode"):
            if rng.random() < 0.3:
                r[c] = None
    return pl.DataFrame(rows).select("record_id", "forename", "surname", "dob", "pnc_id", "phone", "postcode")


PEOPLE = _people(1500, 1)
QUERIES = _queries(PEOPLE, 900, 2)


@pytest.fixture(scope="module")
def scores():
    """The ``PairScores`` that ``fuzzy_candidates`` builds for QUERIES (captured)."""
    made = []

    class Capture(linker.PairScores):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    original = linker.PairScores
    linker.PairScores = Capture  # type: ignore[misc]
    try:
        linker.fuzzy_candidates(QUERIES, PEOPLE, config=dataclasses.replace(LINK_CONFIG, min_people_to_estimate=100))
    finally:
        linker.PairScores = original  # type: ignore[misc]
    return made[0]


def test_the_case_exercises_every_branch_of_the_weights(scores):
    lv = scores.levels
    assert scores.qid.size > 5_000
    assert scores.swap_sel.size > 0, "names read the wrong way round"
    assert (lv["phone"] == 1).any(), "a shared number (household rule)"
    assert (lv["postcode"] == 1).any(), "a shared home postcode (household rule)"
    assert scores.src.size > np.unique(scores.src).size, "identity pairs copied to several postcodes"


def test_weights_of_any_range_are_the_weights_of_the_whole(scores):
    params = Parameters(LINK_CONFIG)
    total, use_swap = scores.weights(params)
    assert np.isfinite(total).all()
    n = total.size
    for cuts in ([0, n], [0, 1, n], [0, 7, 1000, 1001, n], list(range(0, n, 333)) + [n]):
        parts = [scores.weights(params, a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        assert np.array_equal(np.concatenate([p[0] for p in parts]), total)
        assert np.array_equal(np.concatenate([p[1] for p in parts]), use_swap)


@pytest.mark.parametrize("chunk", [1, 17, 250])
def test_best_versions_do_not_depend_on_the_chunk(scores, chunk):
    params = Parameters(LINK_CONFIG)
    whole = scores.best_versions(params)
    assert whole.height > 1000
    before = scores.query_chunk
    try:
        scores.query_chunk = chunk
        assert len(scores._chunks()) > 1
        chunked = scores.best_versions(params)
        pruned = scores.best_versions(params, min_weight=5.0)
        tops = scores.best_versions(params, min_weight=5.0, top_only=True)
    finally:
        scores.query_chunk = before
    assert chunked.equals(whole)
    assert pruned.equals(whole.filter(pl.col("weight") >= 5.0))
    # Each query's best candidate, chunk by chunk: what a stable sort by weight picks first.
    want = (
        pruned.sort(["qid", "weight"], descending=[False, True], maintain_order=True)
        .group_by("qid", maintain_order=True)
        .first()
    )
    assert pruned["qid"].n_unique() == want.height < pruned.height
    assert tops.equals(want)
    assert scores.frame(params).height == scores.qid.size


def test_candidates_do_not_depend_on_the_chunk():
    """The whole fuzzy route to the decision: the same candidates, bit for bit."""

    def run(chunk: int) -> linker.Candidates:
        config = dataclasses.replace(LINK_CONFIG, min_people_to_estimate=100, query_chunk=chunk)
        out = linker.fuzzy_candidates(QUERIES, PEOPLE, frequency_prior=True, config=config)
        assert out is not None
        return out

    whole = run(1_000_000)
    assert whole.best.height > 1000
    for chunk in (3, 100):
        chunked = run(chunk)
        assert chunked.best.equals(whole.best), chunk
        assert chunked.record_map.equals(whole.record_map)
        assert chunked.rho == whole.rho


@pytest.mark.parametrize("estimate", [True, False])
def test_candidates_scored_in_blocks_of_pairs_are_those_scored_at_once(monkeypatch, estimate):
    """Several scoring blocks (m from every block's anchors, then each block scored again)
    give the candidates of one block, bit for bit."""
    built = []
    original = linker.PairScores

    class Count(original):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            built.append(self.qid.size)

    monkeypatch.setattr(linker, "PairScores", Count)

    def run(block_pairs: int) -> linker.Candidates:
        config = dataclasses.replace(
            LINK_CONFIG, min_people_to_estimate=100, query_chunk=50, scoring_block_pairs=block_pairs
        )
        out = linker.fuzzy_candidates(QUERIES, PEOPLE, estimate=estimate, frequency_prior=True, config=config)
        assert out is not None
        return out

    whole = run(10**9)
    assert len(built) == 1
    total = built.pop()
    blocked = run(3_000)
    n_blocks = len(built) // (2 if estimate else 1)
    assert n_blocks > 3 and len(built) == n_blocks * (2 if estimate else 1)
    assert sum(built[:n_blocks]) == total == sum(built[n_blocks:] or built)
    assert len(blocked.parts) == n_blocks and len(whole.parts) == 1
    assert blocked.best.equals(whole.best)
    assert blocked.record_map.equals(whole.record_map)
    assert blocked.rho == whole.rho
    assert decision.decide(blocked, 0.8).equals(decision.decide(whole, 0.8))


def test_candidate_parts_spill_to_disk_and_are_removed_with_the_parts():
    """One block stays in memory and hands its frame over once; from the second block on every
    block is written to disk, read back as the same frame (sorted flag and all), replaced on
    ``put`` and removed with the object."""
    frames = [
        pl.DataFrame({"qid": pl.Series([5, 5, 9], dtype=pl.UInt32), "pidx": [1, 2, 0], "score": [0.1, 0.2, 0.9]}),
        pl.DataFrame({"qid": pl.Series([0, 3], dtype=pl.UInt32), "pidx": [4, 4], "score": [0.5, None]}),
    ]
    parts = decision.CandidateParts()
    parts.append(frames[0].with_columns(pl.col("qid").set_sorted()))
    assert parts._dir is None
    parts.append(frames[1].with_columns(pl.col("qid").set_sorted()))
    folder = parts._dir
    assert folder is not None and len(list(folder.iterdir())) == 2
    assert parts.height == 5
    back = parts.take(0)
    assert back.equals(frames[0]) and back["qid"].flags["SORTED_ASC"]
    parts.put(0, back.head(1))
    assert len(list(folder.iterdir())) == 2 and parts.height == 3
    assert parts.concat().equals(pl.concat([frames[1], frames[0].head(1)]))
    del parts, back
    import gc

    gc.collect()
    assert not folder.exists()

    kept = decision.CandidateParts()
    kept.append(frames[0])
    assert [f.height for f in kept.frames()] == [3]
    assert kept.take(0) is frames[0]
    with pytest.raises(RuntimeError, match="taken and not put back"):
        kept.take(0)


@pytest.mark.parametrize("chunk", [9, 37, 1_000_000])
def test_identity_pairs_chunk_by_chunk_are_the_pairs_of_all_identities_at_once(monkeypatch, chunk):
    """The pairs the linker scores, built a chunk of identities at a time (and in blocks of
    chunks), are the distinct pairs of every identity rule over all identities plus every
    postcode record's pairs credited to its identity, in (identity, index row) order."""
    made = []

    class Capture(linker.IdentityPairs):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append((a, k, self))

    monkeypatch.setattr(linker, "IdentityPairs", Capture)
    config = dataclasses.replace(LINK_CONFIG, min_people_to_estimate=100, query_chunk=chunk)
    linker.fuzzy_candidates(QUERIES, PEOPLE, config=config)
    (identities, index_blocks, postcode_records), kwargs, used = made[0]
    assert used.identities.height == 0  # one block: released once its pairs were built
    maker = linker.IdentityPairs(identities, index_blocks, postcode_records, **kwargs)
    assert postcode_records is not None and postcode_records.height > 100
    rules = [r for r in blocking.BLOCKING_RULES if r.name != "postcode_initial"]
    max_block = kwargs["max_block"]
    by_identity = blocking.candidate_pairs(identities, index_blocks, tuple(rules), max_block=max_block)
    by_postcode = blocking.candidate_pairs(
        postcode_records,
        index_blocks,
        tuple(r for r in blocking.BLOCKING_RULES if r.name == "postcode_initial"),
        max_block=max_block,
    )
    by_postcode = by_postcode.join(
        postcode_records.select(pl.col("id").cast(pl.UInt32).alias("qid"), pl.col("iq").cast(pl.UInt32)), on="qid"
    ).select(pl.col("iq").alias("qid"), "iid")
    want = pl.concat([by_identity, by_postcode]).unique().sort("qid", "iid")
    assert want.height > by_identity.unique().height > 5_000  # the postcode adds pairs
    assert maker.pairs().equals(want)
    # In blocks of about 2,000 pairs: consecutive identity ranges, together the whole, each
    # built again alike.
    maker.config = dataclasses.replace(config, scoring_block_pairs=2_000)
    blocks = list(maker.blocks())
    assert len(blocks) > 3 if chunk < identities.height else len(blocks) == 1  # whole chunks
    assert all(a[1] <= b[0] for a, b in zip(blocks[:-1], blocks[1:], strict=True))
    assert pl.concat([b[2] for b in blocks]).equals(want)
    for start, stop, pairs in blocks:
        assert pairs["qid"].min() >= start and pairs["qid"].max() < stop
        assert maker.pairs(start, stop).equals(pairs)


def test_top_per_query_keeps_the_first_of_equal_weights():
    best = pl.DataFrame(
        {
            "qid": np.array([0, 0, 0, 1, 2, 2, 5, 5, 5], dtype=np.uint32),
            "pidx": np.array([4, 2, 9, 1, 3, 8, 0, 6, 7], dtype=np.uint32),
            "weight": [1.0, 3.0, 3.0, -2.0, 0.5, 0.25, 7.0, 7.0, 9.0],
        }
    )
    out = decision.top_per_query(best)
    assert out["pidx"].to_list() == [2, 1, 3, 7]
    assert out["qid"].to_list() == [0, 1, 2, 5]
    assert decision.top_per_query(out).equals(out)  # already one row per query: unchanged


def test_distinct_pairs_are_polars_unique_then_sorted():
    rng = np.random.default_rng(3)
    pairs = pl.DataFrame(
        {"qid": rng.integers(0, 50, 2000).astype(np.uint32), "iid": rng.integers(0, 2**32 - 1, 2000).astype(np.uint32)}
    )
    pairs = pl.concat([pairs, pairs.head(300)])
    out = linker._sorted_distinct_pairs(pairs)
    assert out.equals(pairs.unique().sort("qid", "iid"))
    assert out.schema == pl.Schema({"qid": pl.UInt32, "iid": pl.UInt32})


@pytest.mark.parametrize("record_slice", [1, 7, 500_000])
def test_records_copy_their_identitys_pairs_as_the_join_does(monkeypatch, record_slice):
    monkeypatch.setattr(scoring, "_RECORD_SLICE", record_slice)
    rng = np.random.default_rng(4)
    iq = np.sort(rng.integers(0, 40, 500)).astype(np.uint32)
    records = pl.DataFrame({"id": np.arange(90), "iq": rng.integers(0, 45, 90)})  # some identities have no pairs
    src, rid = scoring._copy_to_records(iq, records, 45)
    joined = records.select(pl.col("id").cast(pl.UInt32).alias("_rid"), pl.col("iq").cast(pl.UInt32)).join(
        pl.DataFrame({"iq": iq, "_src": np.arange(iq.size, dtype=np.uint32)}),
        on="iq",
        how="inner",
        maintain_order="left_right",
    )
    assert src.size == joined.height > 500
    assert np.array_equal(src, joined["_src"].to_numpy())
    assert np.array_equal(rid, joined["_rid"].to_numpy())


def _name_pairs(names, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """5,000 random pairs of name codes, the first 1,000 equal (so every level occurs)."""
    rng = np.random.default_rng(seed)
    n = names.values.len()
    left, right = rng.integers(0, n, 5000).astype(np.uint32), rng.integers(0, n, 5000).astype(np.uint32)
    right[:1000] = left[:1000]
    return left, right


def test_field_levels_do_not_depend_on_the_screening_slice(scores, monkeypatch):
    names = scores.inputs.names
    left, right = _name_pairs(names, 5)
    whole = scoring.field_levels(FORENAME, left, right, names)
    assert len(np.unique(whole)) >= 4
    monkeypatch.setattr(scoring, "_SCREEN_SLICE", 333)
    assert np.array_equal(scoring.field_levels(FORENAME, left, right, names), whole)


@pytest.mark.parametrize("field", ["forename", "dob", "postcode"])
def test_field_levels_compare_each_distinct_pair_once_across_screening_slices(scores, monkeypatch, field):
    """Slice by slice, a value pair already compared in an earlier slice is looked up, not
    compared again, and the levels are those of the whole at once. The DOB and the postcode
    (comparisons with coded levels) compare no distinct pairs: every pair's level comes from its
    codes, and is the string rules' level of its values."""
    if field == "forename":
        comparison, vocab = FORENAME, scores.inputs.names
        left, right = _name_pairs(vocab, 8)
    else:
        comparison = {"dob": DOB, "postcode": POSTCODE}[field]
        vocab, codes = scores.inputs.vocabs[field]
        rng = np.random.default_rng(9)
        # Few distinct values on each side, so that pairs repeat across slices.
        left = rng.choice(codes[:40], 5000).astype(np.uint32)
        right = rng.choice(codes[40:80], 5000).astype(np.uint32)
    whole = scoring.field_levels(comparison, left, right, vocab)
    compared = []
    original = scoring._distinct_pair_levels

    def counting(comp, keys, voc):
        compared.append(keys.copy())
        return original(comp, keys, voc)

    monkeypatch.setattr(scoring, "_distinct_pair_levels", counting)
    monkeypatch.setattr(scoring, "_SCREEN_SLICE", 333)
    monkeypatch.setattr(scoring, "_LEVEL_SLICE", 100)
    assert np.array_equal(scoring.field_levels(comparison, left, right, vocab), whole)
    assert len(np.unique(whole)) >= 3
    if comparison.coded is not None:
        assert compared == []
        both = (left > 0) & (right > 0)
        pairs = pl.DataFrame({"l": vocab.values.gather(left[both]), "r": vocab.values.gather(right[both])})
        assert np.array_equal(whole[both], comparison.level_numbers(pairs).to_numpy())
        assert not whole[~both].any()
        return
    keys = np.concatenate(compared)
    assert len(compared) > 1 and keys.size == np.unique(keys).size  # each distinct pair once


@pytest.mark.parametrize("comparison", [FORENAME, SURNAME])
def test_field_levels_do_not_depend_on_the_level_slice(scores, monkeypatch, comparison):
    """Distinct value pairs are given their levels a slice at a time: any slice gives the
    levels of the whole."""
    names = scores.inputs.names
    left, right = _name_pairs(names, 6)
    whole = scoring.field_levels(comparison, left, right, names)
    assert len(np.unique(whole)) >= 3
    for size in (1, 7, 1000):
        monkeypatch.setattr(scoring, "_LEVEL_SLICE", size)
        assert np.array_equal(scoring.field_levels(comparison, left, right, names), whole)


def _frequency_posterior_by_text(best, record_map, n_eff, rho, sure=LINK_CONFIG.sure_score):
    """The frequency prior as it was written before the linker's memory work (joins on the query
    group's text, the wide frame gathered whole): the reference the new halves must reproduce."""
    from fsu_dagster.identity.decision import posterior

    units = (
        record_map.group_by("qid", "_g")
        .agg(pl.len().alias("_k"))
        .sort("qid", "_g")
        .with_row_index("_u")
        .with_columns(pl.col("_u").cast(pl.UInt32))
    )
    top = best.filter(pl.col("score") >= sure).select("qid", "pidx").unique("qid", keep="first")
    counts = units.join(top, on="qid").group_by("_g", "pidx").agg(pl.col("_k").sum().cast(pl.Float64).alias("_c"))
    totals = counts.group_by("_g").agg(pl.col("_c").sum().alias("_C"))
    base = math.log2(rho / (1 - rho))
    share = (pl.col("_c").fill_null(0.0) + 1.0) / (pl.col("_C").fill_null(0.0) + n_eff)
    prior = base + pl.max_horizontal(share, pl.lit(1.0 / n_eff)).log(2)
    plan = (
        best.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "qid", "pidx")
        .join(units.select("qid", "_g", "_u"), on="qid")
        .join(counts, on=["_g", "pidx"], how="left")
        .join(totals, on="_g", how="left")
        .select("_row", "_g", "_u", prior.alias("_prior"))
        .sort("_u", "_row")
    )
    expanded = (
        best.drop("score", "log_odds", "qid")
        .select(pl.all().gather(plan["_row"]))
        .with_columns(plan["_g"], plan["_u"].alias("qid").set_sorted(), plan["_prior"])
    )
    out = posterior(expanded, pl.col("_prior")).drop("_prior", "_g")
    new_map = record_map.join(units.select("qid", "_g", "_u"), on=["qid", "_g"]).select(
        "record_id", pl.col("_u").alias("qid"), "_g"
    )
    return out, new_map


def test_frequency_prior_by_group_code_and_column_hand_over_is_the_text_keyed_one():
    """``frequency_units`` joins on an integer code of the query group and ``posterior_by_units``
    re-orders the wide frame a column at a time: together they give exactly the candidates and
    record map of the text-keyed, whole-frame version, and the list the frame was handed in is
    emptied (the linker keeps no second reference)."""
    from fsu_dagster.identity.decision import frequency_units, posterior, posterior_by_units

    rng = np.random.default_rng(3)
    n = 400
    best = pl.DataFrame(
        {
            "qid": np.sort(rng.integers(0, 60, n)).astype(np.uint32),
            "pidx": rng.integers(0, 50, n).astype(np.uint32),
            "weight": rng.normal(5, 8, n),
            "fn_level": rng.integers(0, 4, n).astype(np.int8),
            "reason": rng.choice(["a", "b", None], n),
        }
    )
    best = posterior(best, pl.lit(-3.0))
    # Some sure candidates, so the counts (and so the priors) differ between people and groups.
    best = best.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(0.995).otherwise(pl.col("score")).alias("score")
    )
    record_map = pl.DataFrame(
        {
            "record_id": np.arange(90),
            "qid": rng.integers(0, 60, 90).astype(np.uint32),
            # Groups first seen out of their sort order, and the empty group of queries without a role.
            "_g": rng.choice(["victim", "caller", "", "suspect"], 90),
        }
    )
    expected, expected_map = _frequency_posterior_by_text(best, record_map, 1000, 0.6)
    assert expected["score"].n_unique() > 10
    plan, new_map = frequency_units(best, record_map, 1000, 0.6)
    handed_over = [best.clone()]
    got = posterior_by_units(handed_over, plan)
    assert handed_over == []
    assert got.columns == expected.columns
    assert got.equals(expected)
    assert new_map.equals(expected_map)
    assert got.height > n  # queries with several groups: their candidates are copied to each unit


def _plan_by_joins(freq, best):
    """``FrequencyPrior.plan`` as it was written before the plan was expanded by index: three
    joins of every candidate against the units, counts and totals."""
    base = math.log2(freq.rho / (1 - freq.rho))
    share = (pl.col("_c").fill_null(0.0) + 1.0) / (pl.col("_C").fill_null(0.0) + freq.n_eff)
    prior = base + pl.max_horizontal(share, pl.lit(1.0 / freq.n_eff)).log(2)
    return (
        best.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "qid", "pidx")
        .join(freq.units.select("qid", "_gi", "_u"), on="qid")
        .join(freq.counts, on=["_gi", "pidx"], how="left")
        .join(freq.totals, on="_gi", how="left")
        .select("_row", "_u", prior.alias("_prior"))
        .sort("_u", "_row")
    )


@pytest.mark.parametrize("groups", ["roles", "one per record"])
@pytest.mark.parametrize("in_query_order", [True, False])
@pytest.mark.parametrize("table_cells", [1 << 20, 0])
def test_frequency_plan_by_index_is_the_joins(groups, in_query_order, table_cells, monkeypatch):
    """The plan expanded by index (a unit's candidates are its query's run; each prior worked out
    once per group and counted person) has exactly the rows, order and priors of joining every
    candidate with the units, counts and totals: with a few groups or a group per record, the
    priors looked up in a table of every group and person or (a group per record, no small
    tables allowed) among the counted pairs, and with the candidates in query order or not."""
    from fsu_dagster.identity.decision import FrequencyPrior

    rng = np.random.default_rng(5)
    n = 600
    best = pl.DataFrame(
        {
            "qid": np.sort(rng.integers(0, 80, n)).astype(np.uint32),
            "pidx": rng.integers(0, 40, n).astype(np.uint32),
            "score": np.where(rng.random(n) < 0.3, 0.995, rng.random(n) * 0.9),
        }
    )
    record_map = pl.DataFrame({"record_id": np.arange(150), "qid": rng.integers(0, 90, 150).astype(np.uint32)})
    record_map = record_map.with_columns(
        pl.Series("_g", rng.choice(["victim", "caller", "", "suspect"], 150))
        if groups == "roles"
        else pl.col("record_id").cast(pl.String).alias("_g")
    )
    monkeypatch.setattr(decision, "_PRIOR_TABLE_CELLS", table_cells)
    freq = FrequencyPrior.from_sure(best, record_map, 500, 0.7)
    assert freq.counts.height > 10
    if not in_query_order:
        best = best.sample(fraction=1.0, shuffle=True, seed=2)
    got = freq.plan(best)
    expected = _plan_by_joins(freq, best)
    assert expected.height > n  # queries with several groups: their candidates go to each unit
    # Per record: a counted person (2 / 501), anyone else (1 / 500).
    assert expected["_prior"].n_unique() > (5 if groups == "roles" else 1)
    assert got.schema == expected.schema
    assert got.equals(expected)


def test_with_reason_once_per_level_combination_is_the_reason_of_every_row():
    """``with_reason`` works the reason out once per distinct combination of levels and joins it
    back: the same frame, rows in the same order, as evaluating ``reason_expr`` on every row."""
    from fsu_dagster.identity.comparisons import DOB, FORENAME, PHONE, PNC, POSTCODE, SURNAME

    rng = np.random.default_rng(11)
    n = 3000
    frame = pl.DataFrame(
        {
            "qid": rng.permutation(n).astype(np.uint32),
            **{
                f"{name}_level": rng.integers(0, len(comp.labels), n).astype(np.int8)
                for name, comp in (
                    ("fn", FORENAME),
                    ("sn", SURNAME),
                    ("dob", DOB),
                    ("pnc", PNC),
                    ("phone", PHONE),
                    ("postcode", POSTCODE),
                )
            },
            "swapped": rng.random(n) < 0.2,
            "score": rng.random(n),
        }
    )
    # Mostly exact rows, as links are: the "pnc" and "name_dob" reasons occur too.
    exact = rng.random(n) < 0.5
    frame = frame.with_columns(
        *(
            pl.when(pl.Series(exact)).then(1).otherwise(pl.col(c)).cast(pl.Int8).alias(c)
            for c in ("fn_level", "sn_level", "dob_level")
        ),
        pl.when(pl.Series(exact)).then(False).otherwise(pl.col("swapped")).alias("swapped"),
    )
    expected = frame.with_columns(decision.reason_expr())
    assert {"pnc", "name_dob"} <= set(expected["reason"]) and expected["reason"].n_unique() > 50
    got = decision.with_reason(frame)
    assert got.equals(expected)
    assert decision.with_reason(frame.clear()).equals(expected.clear())
