"""Linking people to the Connect identity index: ``link_records`` (exact or fuzzy).

Fuzzy linking, in Splink-style layers:

1. **Normal forms** (``normal_forms.fold_name`` & co.): accents folded, name parts kept
   apart, DOB as ``YYYYMMDD``, canonical PNC ID, phone digits, postcode.
2. **Blocking** (``blocking.BLOCKING_RULES``): only pairs sharing a key are compared.
3. **Comparisons** (``comparisons.*_at_thresholds``): each field of a pair gets a level
   with a Fellegi–Sunter weight ``log2(m/u)``; names are compared both ways round and
   the better reading is kept (the swapped one pays ``log2(swap_m)``).
4. **Decision**: a query's hypotheses are "it is index person *j*" for each candidate
   *j* (prior ``ρ / N`` each, N = people in the index, at least ``population_floor``)
   and "it is nobody in the index" (prior ``1 − ρ``); ρ = ``prior_in_index`` (½), or
   with ``estimate`` the EM estimate of the share of records in the index (ControlWorks
   keeps the more conservative share of records surely linked in a first pass, ≤ 0.9).
   Each candidate's Bayes factor is ``2 ** (sum of its best version's weights)``. The
   posterior of the best candidate is the ``score``; the query links when
   ``score ≥ threshold``.

Because the score is a posterior over *all* candidates, ambiguity is built in: two
equally good people each get at most 0.5, so neither links. With the default
threshold of 0.8 a link needs the chosen person to be at least 4 times as likely as
every alternative together (every other candidate, and "not in the index").

Agreements that households share (surname, home postcode, landline) are not counted
as independent: given a shared postcode or number, a shared surname is worth only what
it adds beyond "lives there" (``household_h``, estimated from the index).

The layers live in their own modules: ``normal_forms``, ``blocking``, ``comparisons``,
``scoring``, ``estimation``, ``decision``; every tuning constant is a field of
``config.LinkConfig`` (the names above). ``controlworks.link_controlworks`` applies
this to ControlWorks originators and subjects, ``quality.link_quality`` summarises a
link frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Literal

import numpy as np
import polars as pl

from fsu_dagster.identity.arrays import sorted_unique_pairs
from fsu_dagster.identity.blocking import (
    BLOCKING_RULES,
    BlockingRule,
    add_blocking_columns,
    choose_rules,
    chunk_pairs,
    index_keys,
)
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.decision import (
    RECORD_LINK_COLUMNS,
    CandidateParts,
    Candidates,
    FrequencyPrior,
    decide,
    posterior,
    posterior_by_units,
)
from fsu_dagster.identity.estimation import (
    em_share_of,
    estimate_household,
    estimate_m,
    estimate_u,
    query_evidence,
    sure_share,
)
from fsu_dagster.identity.exact import link_exact
from fsu_dagster.identity.normal_forms import (
    column_form,
    dob_key,
    fold_name,
    name_key,
    phone_key,
    pnc_key,
    postcode_key,
)
from fsu_dagster.identity.scoring import PairScores, Parameters, ScoringInputs

__all__ = ["empty_links", "fuzzy_candidates", "link_records"]

#: The fields compared (normal forms); an *identity* is all of them but the postcode.
_FIELDS = ("fn", "sn", "dob", "pnc", "phone", "postcode")


def _normal_forms(frame: pl.DataFrame, *, use_phone: bool, use_postcode: bool) -> pl.DataFrame:
    """The fuzzy normal forms of a query or index frame (all String), each worked out once per
    distinct value (``normal_forms.on_distinct``); a missing column is all null."""
    dob_dtype = frame.schema["dob"] if "dob" in frame.columns else pl.String()
    return pl.DataFrame(
        [
            column_form(frame, fold_name, "forename", alias="fn"),
            column_form(frame, fold_name, "surname", alias="sn"),
            column_form(frame, lambda e: dob_key(e, dob_dtype), "dob", alias="dob"),
            column_form(frame, pnc_key, "pnc_id", alias="pnc"),
            column_form(frame, phone_key, *(("phone", "phone_number") if use_phone else ()), alias="phone"),
            column_form(frame, postcode_key, *(("postcode",) if use_postcode else ()), alias="postcode"),
        ]
    )


def _with_keys(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(fn_key=name_key("fn"), sn_key=name_key("sn"))


#: Identifier columns that may arrive as numbers (a CSV read without a schema).
_NUMERIC_TEXT = ("dob", "pnc_id", "phone", "phone_number", "postcode")


def _numbers_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Identifier columns read as floats (``19560409.0``, ``4223.0``: a CSV read with
    gaps and no schema) as whole-number text, so they compare like the same values read
    as text or integers."""
    fix = [
        pl.col(c).cast(pl.Int64, strict=False).cast(pl.String)
        for c in _NUMERIC_TEXT
        if c in frame.columns and frame.schema[c].is_float()
    ]
    return frame.with_columns(fix) if fix else frame


def _sorted_distinct_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs.unique().sort("qid", "iid")`` for UInt32 ``qid, iid``, through sorted
    arrays of integer keys (``arrays.sorted_unique_pairs``: the same rows in the same order)."""
    qid, iid = sorted_unique_pairs(pairs["qid"].to_numpy(), pairs["iid"].to_numpy())
    return pl.DataFrame({"qid": qid, "iid": iid})


_Rules = tuple[BlockingRule, ...]


class IdentityPairs:
    """Candidate pairs ``qid`` (a row of ``identities``), ``iid`` (a row of the index),
    distinct and sorted by both: the pairs of every identity rule, and those found through a
    postcode record (``postcode_records``: ``id, iq`` = the identity, ``postcode`` and the
    initials' columns) credited to the record's identity.

    Built ``config.query_chunk`` identities at a time: a pair belongs to one identity, so
    each chunk's distinct pairs are final and chunks in identity order are the sorted whole.
    The rules and their fallbacks are chosen on all identities (as in ``candidate_pairs``),
    and each rule's index-side keys are worked out once."""

    def __init__(
        self,
        identities: pl.DataFrame,
        index_blocks: pl.DataFrame,
        postcode_records: pl.DataFrame | None,
        *,
        max_block: int,
        config: LinkConfig = LINK_CONFIG,
    ) -> None:
        self.identities = identities
        self.postcode_records = postcode_records
        self.config = config

        def rules_and_keys(queries: pl.DataFrame, postcode: bool) -> tuple[_Rules, list[pl.DataFrame]]:
            """The rules chosen for ``queries`` (the postcode rule or the identity rules) and their index keys."""
            rules = tuple(r for r in BLOCKING_RULES if (r.name == "postcode_initial") == postcode)
            chosen = choose_rules(
                queries, index_blocks, rules, max_block=max_block, max_pairs_per_query=config.max_pairs_per_query
            )
            return chosen, index_keys(index_blocks, chosen, max_block=max_block)

        self.id_rules, self.id_keys = rules_and_keys(identities, postcode=False)
        self.postcode_rules: _Rules = ()
        self.postcode_keys: list[pl.DataFrame] = []
        if postcode_records is not None:
            self.postcode_rules, self.postcode_keys = rules_and_keys(postcode_records, postcode=True)

    def chunk(self, start: int, stop: int) -> pl.DataFrame:
        """The pairs of identities ``start`` to ``stop`` (excluded)."""
        found = chunk_pairs(self.identities.slice(start, stop - start), self.id_rules, self.id_keys, distinct=False)
        if self.postcode_records is not None:
            records = self.postcode_records.filter(pl.col("iq").is_between(start, stop, closed="left"))
            by_postcode = (
                chunk_pairs(records, self.postcode_rules, self.postcode_keys, distinct=False)
                .join(records.select(pl.col("id").cast(pl.UInt32).alias("qid"), "iq"), on="qid")
                .select(pl.col("iq").cast(pl.UInt32).alias("qid"), "iid")
            )
            found = pl.concat([found, by_postcode])
        # Sorted arrays of integer keys: a fraction of a hash table's memory.
        return _sorted_distinct_pairs(found)

    def _starts(self, start: int, stop: int) -> range:
        return range(start, stop, self.config.query_chunk)

    def pairs(self, start: int = 0, stop: int | None = None) -> pl.DataFrame:
        """The pairs of identities ``start`` to ``stop`` (default all), chunk by chunk."""
        stop = self.identities.height if stop is None else stop
        step = self.config.query_chunk
        parts = [self.chunk(s, min(s + step, stop)) for s in self._starts(start, stop)]
        if not parts:
            return pl.DataFrame(schema={"qid": pl.UInt32, "iid": pl.UInt32})
        return pl.concat(parts) if len(parts) > 1 else parts[0]

    def blocks(self) -> Iterator[tuple[int, int, pl.DataFrame]]:
        """``(start, stop, pairs)`` of consecutive ranges of identities whose pairs number
        about ``config.scoring_block_pairs`` (whole chunks; the last block may be smaller),
        in identity order; ranges without pairs are left out. ``pairs(start, stop)`` builds
        a block's pairs again."""
        n = self.identities.height
        step = self.config.query_chunk
        block_start, parts, count = 0, [], 0
        for s in self._starts(0, n):
            part = self.chunk(s, min(s + step, n))
            parts.append(part)
            count += part.height
            stop = min(s + step, n)
            if count >= self.config.scoring_block_pairs or stop == n:
                if count:
                    # Handed over: the generator keeps no reference while the block is scored.
                    yield block_start, stop, _concat_and_clear(parts)
                block_start, parts, count = stop, [], 0

    def release(self) -> None:
        """Free the chunks' inputs (identities, records, index keys): no pairs are built after."""
        self.identities = self.identities.clear()
        self.postcode_records = None if self.postcode_records is None else self.postcode_records.clear()
        self.id_keys = [k.clear() for k in self.id_keys]
        self.postcode_keys = [k.clear() for k in self.postcode_keys]


def _concat_and_clear(parts: list[pl.DataFrame]) -> pl.DataFrame:
    whole = pl.concat(parts) if len(parts) > 1 else parts[0]
    parts.clear()
    return whole


def _in_query_order(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Blocks' best versions (each sorted by ``qid, pidx``) as one frame sorted by ``qid, pidx``:
    the rows and order of scoring every pair at once (a record's pairs lie in one block)."""
    if len(parts) == 1 and parts[0]["qid"].flags["SORTED_ASC"]:
        return parts.pop()
    return _concat_and_clear(parts).sort("qid", "pidx").with_columns(pl.col("qid").set_sorted())


def _has(frame: pl.DataFrame, *names: str) -> bool:
    return any(n in frame.columns for n in names)


def empty_links(queries: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "record_id": queries.schema.get("record_id", pl.String),
            "person_id": index.schema.get("person_id", pl.String),
            "score": pl.Float64,
            "reason": pl.String,
        }
    )


def link_records(
    queries: pl.DataFrame,
    index: pl.DataFrame,
    *,
    mode: Literal["fuzzy", "exact"] = "fuzzy",
    threshold: float | None = None,
    population: int | None = None,
    one_to_one: bool = False,
    estimate: bool = True,
    frequency_prior: bool = False,
    max_block: int | None = None,
    config: LinkConfig = LINK_CONFIG,
) -> pl.DataFrame:
    """Link query records to the people of an identity index.

    Parameters
    ----------
    queries
        ``record_id, forename, surname, dob, pnc_id`` (all but ``record_id`` nullable;
        a missing column counts as all null). ``dob`` may be a date or a string
        (``YYYY-MM-DD``, ``YYYYMMDD``, ``DD/MM/YYYY``).
    index
        ``person_id, forename, surname, dob, pnc_id``; several rows (versions) per
        person are allowed and the best-matching version counts.
        Optional ``phone`` (or ``phone_number``) and ``postcode`` columns are used as
        further evidence when present on *both* sides.
    mode
        ``"exact"``: the data contract's rule (``exact.link_exact``), scores 1.0.
        ``"fuzzy"``: probabilistic linking (module docstring).
    threshold
        Fuzzy only: the minimum posterior probability that the query is the chosen
        person (default ``config.threshold`` = 0.8).
    population
        Fuzzy only: the number of people the queries could be, for the prior; default
        ``max(people in the index, config.population_floor)``.
    one_to_one
        Fuzzy only: when several queries pick the same person, keep only the
        highest-scoring one (for 1–1 linkage tasks). Off by default: one person can
        make many calls.
    estimate
        Fuzzy only: estimate u from random pairs of index rows, m from anchor pairs
        (both pulled towards the documented defaults) and the prior share of queries
        in the index by expectation-maximisation, started from the share of sure
        first-pass links (see ``docs/identity.md``). With ``False`` the defaults are
        used as they are.
    frequency_prior
        Fuzzy only: weight each person's prior by how many queries already link to them
        surely (score ≥ 0.99) in a first pass, so that a frequent caller is the likelier
        reading of an ambiguous mention. Right for many-to-one data such as calls;
        leave off for one-to-one linkage.
    max_block
        Fuzzy only: blocking key values shared by more index rows are skipped.
        Default ``config.max_block``.
    config
        The tuning constants (``config.LinkConfig``; default ``LINK_CONFIG``).

    Returns
    -------
    polars.DataFrame
        At most one row per linked query: ``record_id``, ``person_id`` (the index's
        dtype), ``score`` (Float64 in [0, 1]) and ``reason`` — ``"pnc"`` (PNC ID agrees,
        names and DOB agree or are missing), ``"name_dob"`` (forename, surname and DOB
        agree exactly), or ``"fuzzy:<evidence>"`` listing what was not exact, e.g.
        ``"fuzzy:forename~nickname,dob~swap"``. Sorted by ``record_id``.
    """
    if mode not in ("fuzzy", "exact"):
        raise ValueError(f"mode must be 'fuzzy' or 'exact', not {mode!r}")
    for frame, name, key in ((queries, "queries", "record_id"), (index, "index", "person_id")):
        if key not in frame.columns:
            raise ValueError(f"{name} needs a {key!r} column")
    queries, index = _numbers_as_text(queries), _numbers_as_text(index)

    if mode == "exact":
        exact_queries = queries.with_columns(
            *(
                pl.lit(None, dtype=pl.String).alias(c)
                for c in ("forename", "surname", "dob", "pnc_id")
                if c not in queries.columns
            )
        )
        exact_index = index.with_columns(
            *(
                pl.lit(None, dtype=pl.String).alias(c)
                for c in ("forename", "surname", "dob", "pnc_id")
                if c not in index.columns
            )
        )
        # link_exact expects a Date DOB; strings (``1956-04-09``, ``19560409``) are read
        # the same way as in fuzzy mode, and an impossible date counts as missing.
        exact_queries, exact_index = (
            frame.with_columns(
                dob_key(pl.col("dob"), frame.schema["dob"])
                .str.extract(r"^(\d{8})$", 1)
                .str.to_date("%Y%m%d", strict=False)
                .alias("dob")
            )
            if frame.schema["dob"] != pl.Date
            else frame
            for frame in (exact_queries, exact_index)
        )
        out = link_exact(exact_queries, exact_index)
        person_dtype = index.schema["person_id"]
        if out.schema["person_id"] != person_dtype:
            out = out.with_columns(pl.col("person_id").cast(person_dtype))
        return out.select(RECORD_LINK_COLUMNS)

    threshold = config.check_threshold(threshold)
    cands = fuzzy_candidates(
        queries,
        index,
        population=population,
        estimate=estimate,
        frequency_prior=frequency_prior,
        max_block=max_block,
        config=config,
    )
    if cands is None:
        return empty_links(queries, index)
    return decide(cands, threshold, one_to_one=one_to_one)


def fuzzy_candidates(
    queries: pl.DataFrame,
    index: pl.DataFrame,
    *,
    population: int | None = None,
    estimate: bool = True,
    frequency_prior: bool = False,
    max_block: int | None = None,
    prior_share: Literal["em", "sure"] = "em",
    prior_group: str | None = None,
    config: LinkConfig = LINK_CONFIG,
) -> Candidates | None:
    """Fuzzy mode up to the decision (see ``link_records``); None when nothing can link.

    ``prior_group``: a column of ``queries`` (ControlWorks: the role) within which the
    frequency prior counts each person's sure links, so that a person often named as a
    subject is not thereby the likelier caller of the same name."""
    max_block = config.max_block if max_block is None else max_block
    index = index.filter(pl.col("person_id").is_not_null())
    if queries.height == 0 or index.height == 0:
        return None

    use_phone = _has(queries, "phone", "phone_number") and _has(index, "phone", "phone_number")
    use_postcode = _has(queries, "postcode") and _has(index, "postcode")

    # Distinct identity tuples on each side: mentions repeat, versions repeat. An
    # *identity* is everything but the postcode; it is blocked and compared once.
    identity_fields = [f for f in _FIELDS if f != "postcode"]
    query_forms = _normal_forms(queries, use_phone=use_phone, use_postcode=use_postcode).with_columns(
        queries["record_id"].alias("record_id"),
        (queries[prior_group].cast(pl.String).fill_null("") if prior_group else pl.lit("")).alias("_g"),
    )
    has_any = pl.any_horizontal(pl.col(f).is_not_null() for f in _FIELDS)
    query_forms = query_forms.filter(has_any)
    query_identities = (
        _with_keys(query_forms.select(identity_fields).unique(maintain_order=True))
        .with_columns(pl.lit(None, pl.String).alias("postcode"))
        .with_row_index("id")
    )
    query_forms = query_forms.join(
        query_identities.select(pl.col("id").alias("iq"), *identity_fields),
        on=identity_fields,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )

    # Sorted, so that results do not depend on the order of the index's rows.
    persons = index.select(pl.col("person_id")).unique().sort("person_id").with_row_index("pidx")
    index_forms = _normal_forms(index, use_phone=use_phone, use_postcode=use_postcode).with_columns(index["person_id"])
    index_forms = index_forms.join(persons, on="person_id", how="left", maintain_order="left").drop("person_id")
    index_rows = _with_keys(
        index_forms.filter(has_any).unique().sort(["pidx", *_FIELDS], nulls_last=True)
    ).with_row_index("id")
    del index_forms
    if query_identities.height == 0 or index_rows.height == 0:
        return None

    n_people = persons.height
    n_eff = population if population is not None else max(n_people, config.population_floor)
    prior = math.log2(config.prior_in_index / (1 - config.prior_in_index)) - math.log2(n_eff)

    index_blocks = add_blocking_columns(index_rows)
    postcode_records = None
    if use_postcode:
        # Pairs found through the postcode (+ an initial) join their identity's pairs.
        postcode_records = (
            query_forms.select("iq", "postcode")
            .drop_nulls("postcode")
            .unique(maintain_order=True)
            .join(
                query_identities.select(pl.col("id").alias("iq"), "dob", "fn_key", "sn_key"),
                on="iq",
                maintain_order="left",
            )
            .with_row_index("id")
            .with_columns(pl.lit(None, pl.String).alias("dob_swapped"))
        )
    pair_maker = IdentityPairs(
        add_blocking_columns(query_identities), index_blocks, postcode_records, max_block=max_block, config=config
    )
    del postcode_records, index_blocks
    # Records: distinct (identity, postcode). Each identity pair is scored once and
    # copied to the identity's records, where only the postcode is compared.
    records = query_forms.select("iq", "postcode").unique(maintain_order=True).with_row_index("id")
    record_map = query_forms.join(
        records.select("id", "iq", "postcode"), on=["iq", "postcode"], how="inner", nulls_equal=True
    ).select("record_id", pl.col("id").alias("qid"), "_g")
    # Without postcodes a record is its identity (same order, same id): nothing to copy.
    single = not use_postcode and records["iq"].cast(pl.Int64).equals(records["id"].cast(pl.Int64))
    del query_forms
    inputs = ScoringInputs(query_identities, index_rows, n_people, None if single else records, config)
    n_identities = query_identities.height
    del query_identities  # the scoring inputs hold its codes

    block_scores = _BlockScores(inputs, None if single else records, config)
    del records
    params = Parameters(config)
    if estimate:
        # u and the household dependence come from the index alone.
        estimate_u(inputs, params, index_rows, np.random.default_rng(0))
        estimate_household(inputs, params)
    # Candidates below config.prune_log_odds add at most 2^-20 each to a posterior: dropped.
    prune = config.prune_log_odds - prior
    # An anchor agrees exactly on at least two identifying fields, so its weight is well
    # above 0: lighter pairs need not be built for the anchor pass.
    anchor_min = max(prune, 0.0)
    # First pass: each block of pairs is scored (and, estimating, gives its anchors). With one
    # block its scores serve the candidates too; with several, the second pass below scores
    # each block again under the estimated m (holding every block at once is what does not fit).
    blocks: list[tuple[int, int]] = []
    anchors: list[pl.DataFrame] = []
    # Each block's candidates, a block at a time from here on; with several blocks they wait
    # on disk, so that the decision never holds every block's candidates at once.
    parts = CandidateParts()
    scores: PairScores | None = None
    for start, stop, pairs in pair_maker.blocks():
        blocks.append((start, stop))
        if len(blocks) == 1 and stop == n_identities:
            pair_maker.release()  # one block: no pairs are built again
        scores = None  # the previous block's scores are freed before the next is built
        scores = block_scores(start, stop, pairs)
        del pairs  # PairScores keeps what it needs
        if not estimate:
            parts.append(_in_query_order([scores.best_versions(params, min_weight=prune)]))
            continue
        # Only each query's best candidate is an anchor (estimate_m), so only those are kept.
        anchors.append(scores.best_versions(params, min_weight=anchor_min, top_only=True))
    if scores is None:
        return None
    if estimate:
        estimate_m(inputs, params, _in_query_order(anchors), name_bits=math.log2(n_eff))
        del anchors
        if len(blocks) == 1:
            parts.append(scores.best_versions(params, min_weight=prune))
        else:
            for start, stop in blocks:
                scores = None
                scores = block_scores(start, stop, pair_maker.pairs(start, stop))
                parts.append(_in_query_order([scores.best_versions(params, min_weight=prune)]))
    # The largest objects of the linker: not needed beyond this point.
    del scores, pair_maker, block_scores, inputs, index_rows
    return _decision_inputs(parts, record_map, persons, prior, n_eff, estimate, frequency_prior, prior_share, config)


class _BlockScores:
    """Scores a block of identity pairs (identities ``start .. stop``): ``PairScores`` with
    the block's records (None: every record is its identity)."""

    def __init__(self, inputs: ScoringInputs, records: pl.DataFrame | None, config: LinkConfig) -> None:
        self.inputs, self.records, self.config = inputs, records, config

    def __call__(self, start: int, stop: int, pairs: pl.DataFrame) -> PairScores:
        records = self.records
        block = None if records is None else records.filter(pl.col("iq").is_between(start, stop, closed="left"))
        return PairScores(pairs, self.inputs, block, self.config)


def _decision_inputs(
    parts: CandidateParts,
    record_map: pl.DataFrame,
    persons: pl.DataFrame,
    prior: float,
    n_eff: int,
    estimate: bool,
    frequency_prior: bool,
    prior_share: Literal["em", "sure"],
    config: LinkConfig,
) -> Candidates:
    """The candidates' posteriors under the estimated prior share and, with
    ``frequency_prior``, the frequency prior: a block of queries at a time. What a step needs
    of every block (the sure links, each query's evidence) is gathered first; a query's
    candidates lie in one block, so each block's posterior is that block's rows of the whole's."""
    sure_cols = ("qid", "pidx", "score")

    def posteriors(prior: float, gather_evidence: bool) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        sure, evidence = [], []
        for i in range(len(parts)):
            best = posterior(parts.take(i).drop("score", "log_odds", strict=False), pl.lit(prior))
            sure.append(best.filter(pl.col("score") >= config.sure_score).select(sure_cols))
            if gather_evidence:
                evidence.append(query_evidence(best))
            parts.put(i, best)
            del best
        # In query order, as the whole's would be (the blocks' qid ranges interleave): the
        # EM sums over it.
        return pl.concat(sure), pl.concat(evidence).sort("qid") if gather_evidence else None

    sure, evidence = posteriors(prior, estimate and prior_share == "em")
    rho = config.prior_in_index
    if estimate:
        # Empirical Bayes: the share of records surely linked is a floor for the share
        # of queries whose person is in the index; by default it is then refined by EM.
        rho = sure_share(sure, record_map, config)
        if evidence is not None:
            rho = em_share_of(evidence, record_map, n_eff, rho, config)
        del evidence
        prior = math.log2(rho / (1 - rho)) - math.log2(n_eff)
        sure, _ = posteriors(prior, False)
    if frequency_prior:
        freq = FrequencyPrior.from_sure(sure, record_map, n_eff, rho, config)
        del sure
        for i in range(len(parts)):
            # The block's only reference to its wide candidate frame is handed over, so it is
            # freed column by column while the units' copy is built (one copy at a time, not two).
            handed_over = [parts.take(i)]
            plan = freq.plan(handed_over[0])
            parts.put(i, posterior_by_units(handed_over, plan))
            del plan, handed_over
        record_map = freq.record_map(record_map)
    return Candidates(parts=parts, record_map=record_map.drop("_g"), persons=persons, rho=rho)
