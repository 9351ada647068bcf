"""Estimation: the linker's parameters from the data themselves.

* ``estimate_u``: u per level from random pairs of index rows of different people;
* ``estimate_household``: the household dependence ``h`` from the index's shared
  postcodes and numbers;
* ``estimate_m``: m per level from *anchor* pairs (the other identifying fields agree);
* ``sure_share`` and ``em_share``: the share of queries whose person is in the index
  (the share surely linked in a first pass, refined by expectation-maximisation).

Every estimate is pulled towards the documented defaults by the pseudo-counts of
``LinkConfig``; ``docs/identity.md`` explains each.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from fsu_dagster.identity.arrays import distinct_rows, run_lengths, sorted_unique
from fsu_dagster.identity.comparisons import DOB, FORENAME, PHONE, PNC, POSTCODE, SURNAME
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.decision import top_per_query
from fsu_dagster.identity.scoring import COMPARISON_ORDER, Parameters, ScoringInputs, field_levels

__all__ = [
    "em_share",
    "em_share_of",
    "estimate_household",
    "estimate_m",
    "estimate_u",
    "query_evidence",
    "sure_share",
]


def estimate_u(inputs: ScoringInputs, params: Parameters, index: pl.DataFrame, rng: np.random.Generator) -> None:
    """u per level from random pairs of index rows belonging to different people."""
    config = params.config
    n = index.height
    if sorted_unique(inputs.pidx).size < config.min_people_to_estimate:
        return
    a = rng.integers(0, n, config.u_sample)
    b = rng.integers(0, n, config.u_sample)
    keep = inputs.pidx[a] != inputs.pidx[b]
    a, b = a[keep], b[keep]
    if a.size == 0:
        return
    sample_levels = {
        "forename": field_levels(FORENAME, inputs.i_fn[a], inputs.i_fn[b], inputs.names),
        "surname": field_levels(SURNAME, inputs.i_sn[a], inputs.i_sn[b], inputs.names),
    }
    for field, comp in (("dob", DOB), ("pnc", PNC), ("phone", PHONE), ("postcode", POSTCODE)):
        vocab, index_codes = inputs.vocabs[field]
        sample_levels[comp.name] = field_levels(comp, index_codes[a], index_codes[b], vocab)
    for comp in COMPARISON_ORDER:
        levels = sample_levels[comp.name]
        counts = np.bincount(levels, minlength=len(comp.levels) + 1)[1:].astype(float)
        n = counts.sum()
        prior = np.array([x.u for x in comp.levels])
        # A level too rare to be seen often in the sample keeps its documented u;
        # the others are smoothed sample frequencies; else takes the remainder.
        informative = n * prior >= config.u_min_expected
        u = np.where(informative, (counts + config.u_pseudo * prior) / (n + config.u_pseudo), prior)
        u[-1] = max(1.0 - u[:-1].sum(), 0.5)
        params.u[comp.name] = np.array([1.0, *u])


def estimate_household(inputs: ScoringInputs, params: Parameters) -> None:
    """``params.household_h`` from the index: among pairs of different people who
    share a home postcode (or phone number), the share who also share a surname (or
    number) beyond what chance (u from ``estimate_u``) explains. Needs at least
    ``config.household_min_pairs`` such pairs; pulled towards ``config.household_h``."""
    config = params.config
    sn = inputs.i_sn.astype(np.uint64)
    for (second, first), h0 in config.household_h.items():
        a = inputs.vocabs[first][1].astype(np.uint64)
        b = sn if second == "surname" else inputs.vocabs[second][1].astype(np.uint64)
        ok = (a > 0) & (b > 0)
        if not ok.any():
            continue
        pidx = inputs.pidx[ok].astype(np.uint64)
        a, b = a[ok], b[ok]
        # Distinct (first value, person) and (first value, second value, person).
        # (sorted, so the people per first value and per value pair are runs)
        per_first = distinct_rows(a, pidx)
        per_both = distinct_rows(a, b, pidx)
        n_first = run_lengths(per_first[0])
        n_both = run_lengths(per_both[0], per_both[1])
        pairs = float((n_first * (n_first - 1) / 2).sum())
        same = float((n_both * (n_both - 1) / 2).sum())
        if pairs < config.household_min_pairs:
            continue
        # Chance agreement: two people drawn from the index share the second value
        # with probability sum_v p_v^2 (p_v = share of people with value v).
        per_person = distinct_rows(b, pidx)
        n_value = run_lengths(per_person[0])
        p = n_value / max(sorted_unique(pidx).size, 1)
        chance = pairs * float((p * p).sum())
        # Only an excess beyond chance's own noise (two Poisson standard deviations)
        # counts as household dependence: data without households (a benchmark file
        # of unrelated people) keeps h near 0.
        excess = max(same - chance - 2.0 * math.sqrt(chance), 0.0)
        params.household_h[(second, first)] = (excess + config.household_pseudo * h0) / (
            pairs + config.household_pseudo
        )


def estimate_m(inputs: ScoringInputs, params: Parameters, best: pl.DataFrame, name_bits: float) -> None:
    """m per level from *anchor* pairs: each comparison's m is counted over the best
    candidate pairs whose other identifying fields agree exactly (forename's m over
    pairs with surname and DOB exact, and so on), pulled towards the defaults."""
    config = params.config
    # Each query's best candidate only: another person who merely shares, say, the
    # surname and DOB is not a match and would inflate m of disagreement.
    # Only the columns read below are sorted (the anchor frame is millions of rows wide).
    needed = [
        "qid",
        "weight",
        "swapped",
        "iid",
        *(f"{c}_level" for c in ("fn", "sn", "dob", "pnc", "phone", "postcode")),
    ]
    # Ties on the weight keep the earlier row (the candidates' person order), so the choice
    # does not depend on the sort's implementation; ``best`` may already be one row per query
    # (``PairScores.best_versions(..., top_only=True)``), which picks the same rows.
    top = top_per_query(best.select(needed).sort("qid", maintain_order=True))
    b = top.filter(~pl.col("swapped"))
    tf_fn = inputs.tf["fn"][inputs.i_fn[b["iid"].to_numpy().astype(np.int64)]]
    tf_sn = inputs.tf["sn"][inputs.i_sn[b["iid"].to_numpy().astype(np.int64)]]
    rare_name = pl.Series(
        np.log2(params.m["forename"][1] / tf_fn) + np.log2(params.m["surname"][1] / tf_sn) >= name_bits
    )
    b = b.with_columns(rare_name.alias("_rare"))

    def ex(c: str) -> pl.Expr:
        return pl.col(c) == 1

    anchors = {
        "forename": ("fn_level", ex("sn_level") & ex("dob_level")),
        "surname": ("sn_level", ex("fn_level") & ex("dob_level")),
        "dob": ("dob_level", ex("fn_level") & ex("sn_level") & pl.col("_rare")),
        "pnc": ("pnc_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
        "phone": ("phone_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
        "postcode": ("postcode_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
    }
    for comp in COMPARISON_ORDER:
        col, cond = anchors[comp.name]
        levels = b.filter(cond & (pl.col(col) > 0))[col].to_numpy().astype(np.int64)
        counts = np.bincount(levels, minlength=len(comp.levels) + 1)[1:].astype(float)
        prior = np.array([x.m for x in comp.levels])
        m = (counts + config.m_pseudo * prior) / (counts.sum() + config.m_pseudo)
        params.m[comp.name] = np.array([1.0, *m])


def em_share(
    best: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float, config: LinkConfig = LINK_CONFIG
) -> float:
    """The share of query records whose person is in the index, by expectation-
    maximisation: ``ρ ← mean over records of P(in the index | ρ)``, where P(in) =
    ``S / (1 + S)``, ``S = Σ_j 2^{log2(ρ/(1−ρ)) − log2 N + w_j}`` over the record's
    candidates. A record with no candidate counts as not in the index (so ρ leans low:
    its person may be there but blocked out). Smoothed with ``config.em_pseudo`` records at
    ``config.prior_in_index`` and clipped to ``config.em_prior_bounds``."""
    if record_map.height == 0 or best.height == 0:
        return rho
    return em_share_of(query_evidence(best), record_map, n_eff, rho, config)


def query_evidence(best: pl.DataFrame) -> pl.DataFrame:
    """``qid, log_s``: per query record group, ``log2 Σ_j 2^{w_j}`` over its candidates (the
    part of ``em_share`` that reads the candidates; a block of queries at a time gives the
    same rows)."""
    b = best.select("qid", "weight").sort("qid")
    qid = b["qid"].to_numpy()
    w = b["weight"].to_numpy().astype(float)
    if qid.size == 0:
        return pl.DataFrame({"qid": qid, "log_s": w})
    starts = np.flatnonzero(np.r_[True, qid[1:] != qid[:-1]])
    counts = np.diff(np.r_[starts, qid.size])
    top = np.maximum.reduceat(w, starts)
    log_s = top + np.log2(np.add.reduceat(np.exp2(w - np.repeat(top, counts)), starts))
    return pl.DataFrame({"qid": qid[starts], "log_s": log_s})


def em_share_of(
    evidence: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float, config: LinkConfig = LINK_CONFIG
) -> float:
    """``em_share`` from ``query_evidence`` (every query's, in query order)."""
    n = record_map.height
    if n == 0 or evidence.height == 0:
        return rho
    log_s = evidence["log_s"].to_numpy()
    mult = (
        evidence.select("qid")
        .join(record_map.group_by("qid").agg(pl.len().alias("_k")), on="qid", how="left", maintain_order="left")["_k"]
        .fill_null(0)
        .to_numpy()
        .astype(float)
    )
    for _ in range(100):
        lo = math.log2(rho / (1 - rho)) - math.log2(n_eff) + log_s
        p_in = 1.0 / (1.0 + np.exp2(-np.clip(lo, -60, 60)))
        new = (float((mult * p_in).sum()) + config.em_pseudo * config.prior_in_index) / (n + config.em_pseudo)
        new = min(max(new, config.em_prior_bounds[0]), config.em_prior_bounds[1])
        if abs(new - rho) < 1e-5:
            return new
        rho = new
    return rho


def sure_share(best: pl.DataFrame, record_map: pl.DataFrame, config: LinkConfig = LINK_CONFIG) -> float:
    """Share of query records whose best candidate is sure (score ≥ config.sure_score),
    clipped to [config.prior_in_index, config.max_prior_in_index]."""
    n = record_map.height
    if n == 0 or best.height == 0:
        return config.prior_in_index
    sure = best.filter(pl.col("score") >= config.sure_score).select("qid").unique()
    k = record_map.join(sure, on="qid", how="semi").height
    return float(min(max(k / n, config.prior_in_index), config.max_prior_in_index))
