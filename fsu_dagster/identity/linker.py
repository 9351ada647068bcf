"""Linking people to the Connect identity index: ``link_records`` (exact or fuzzy).

Fuzzy linking, in Splink-style layers:

1. **Normal forms** (``comparisons.fold_name`` & co.): accents folded, name parts kept
   apart, DOB as ``YYYYMMDD``, canonical PNC ID, phone digits, postcode.
2. **Blocking** (``blocking.BLOCKING_RULES``): only pairs sharing a key are compared.
3. **Comparisons** (``comparisons.*_at_thresholds``): each field of a pair gets a level
   with a Fellegi–Sunter weight ``log2(m/u)``; names are compared both ways round and
   the better reading is kept (the swapped one pays ``log2(SWAP_M)``).
4. **Decision**: a query's hypotheses are "it is index person *j*" for each candidate
   *j* (prior ``ρ / N`` each, N = people in the index, at least ``POPULATION_FLOOR``)
   and "it is nobody in the index" (prior ``1 − ρ``); ρ = ``PRIOR_IN_INDEX`` (½), or
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
it adds beyond "lives there" (``HOUSEHOLD_H``, estimated from the index).

``link_controlworks`` applies this to ControlWorks originators and subjects (in fuzzy
mode with the log's location postcode against the homes recorded in
``connect_person_roles``, the caller's number, and the other person on the same log:
``propagate_by_phone``, ``log_context_links``) and, in fuzzy mode, groups the people who
match nobody into provisional ``CW:`` individuals (``clustering.cluster_unlinked``). ``link_quality``
summarises a link frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from fsu_dagster.identity.blocking import (
    BLOCKING_RULES,
    DEFAULT_MAX_BLOCK,
    add_blocking_columns,
    candidate_pairs,
)
from fsu_dagster.identity.clustering import cluster_unlinked
from fsu_dagster.identity.comparisons import (
    DOB,
    FORENAME,
    PHONE,
    PNC,
    POSTCODE,
    SURNAME,
    Comparison,
    dob_key,
    fold_name,
    name_key,
    phone_key,
    pnc_key,
    postcode_key,
)
from fsu_dagster.identity.exact import link_exact

__all__ = [
    "DEFAULT_THRESHOLD",
    "POPULATION_FLOOR",
    "PRIOR_IN_INDEX",
    "SWAP_M",
    "home_postcodes",
    "link_controlworks",
    "link_quality",
    "link_records",
    "log_context_links",
    "propagate_by_phone",
]

#: Default fuzzy threshold on the posterior probability that the query is the linked person.
DEFAULT_THRESHOLD = 0.8
#: Prior probability that a query's person is somewhere in the index.
PRIOR_IN_INDEX = 0.5
#: Upper bound of the estimated share of queries whose person is in the index.
MAX_PRIOR_IN_INDEX = 0.9
#: Bounds of the expectation-maximisation estimate of that share (``_em_share``).
EM_PRIOR_BOUNDS = (0.05, 0.99)
#: Pseudo-records at ``PRIOR_IN_INDEX`` in that estimate: a handful of queries cannot
#: move it far from ½ (one query with one good candidate is not evidence that every
#: query's person is in the index).
EM_PSEUDO = 100
#: The prior spreads that probability over at least this many people, so that a tiny
#: index (a test, a small benchmark) does not make weak evidence look strong.
POPULATION_FLOOR = 10_000
#: P(forename and surname entered the wrong way round | same person).
SWAP_M = 0.02
#: Penalty (bits) when surname and DOB agree exactly but the forenames disagree: the
#: pattern of twins, whose surname and DOB are not independent chance agreements.
TWIN_BITS = 5.0
#: Pseudo-count of the term-frequency smoothing: a value's u is
#: ``(people with the value + TF_PSEUDO * u0) / (people + TF_PSEUDO)``.
TF_PSEUDO = 1000

_FIELDS = ("fn", "sn", "dob", "pnc", "phone", "postcode")
LINK_COLUMNS = ("record_id", "person_id", "score", "reason")


# ---------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------


def _col_or_null(frame: pl.DataFrame, *names: str) -> pl.Expr:
    for n in names:
        if n in frame.columns:
            return pl.col(n)
    return pl.lit(None, dtype=pl.String)


def _normal_forms(frame: pl.DataFrame, *, use_phone: bool, use_postcode: bool) -> pl.DataFrame:
    """The fuzzy normal forms of a query or index frame (all String)."""
    dob_dtype = frame.schema["dob"] if "dob" in frame.columns else pl.String
    return frame.select(
        fold_name(_col_or_null(frame, "forename")).alias("fn"),
        fold_name(_col_or_null(frame, "surname")).alias("sn"),
        dob_key(_col_or_null(frame, "dob"), dob_dtype).alias("dob"),
        pnc_key(_col_or_null(frame, "pnc_id")).alias("pnc"),
        (phone_key(_col_or_null(frame, "phone", "phone_number")) if use_phone else pl.lit(None, pl.String)).alias("phone"),
        (postcode_key(_col_or_null(frame, "postcode")) if use_postcode else pl.lit(None, pl.String)).alias("postcode"),
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


def _has(frame: pl.DataFrame, *names: str) -> bool:
    return any(n in frame.columns for n in names)


def _empty_result(queries: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "record_id": queries.schema.get("record_id", pl.String),
            "person_id": index.schema.get("person_id", pl.String),
            "score": pl.Float64,
            "reason": pl.String,
        }
    )


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


class _Vocab:
    """Integer codes for the distinct values of a field (0 = null)."""

    def __init__(self, *series: pl.Series):
        values = pl.concat([s.cast(pl.String) for s in series]).drop_nulls().unique().sort()
        self.values = pl.concat([pl.Series([None], dtype=pl.String), values])
        self._table = pl.DataFrame({"_v": values, "_code": pl.int_range(1, values.len() + 1, dtype=pl.UInt32, eager=True)})

    def screened(self, comparison: Comparison) -> tuple[list[np.ndarray], np.ndarray]:
        """``comparison.screen`` of this vocabulary's values (cached)."""
        cache = self.__dict__.setdefault("_screens", {})
        if comparison.name not in cache:
            cache[comparison.name] = comparison.screen(self.values)
        return cache[comparison.name]

    def encode(self, s: pl.Series) -> np.ndarray:
        df = pl.DataFrame({"_v": s.cast(pl.String)}).join(self._table, on="_v", how="left", maintain_order="left")
        return df["_code"].fill_null(0).to_numpy().astype(np.uint32)


def _tf_u(pidx: np.ndarray, codes: np.ndarray, n_codes: int, u0: float, n_people: int) -> np.ndarray:
    """Smoothed term-frequency u per code: ``(people with the value + TF_PSEUDO * u0) /
    (people + TF_PSEUDO)``."""
    mask = codes > 0
    key = (pidx[mask].astype(np.uint64) << np.uint64(32)) | codes[mask].astype(np.uint64)
    distinct_codes = (np.unique(key) & np.uint64(0xFFFFFFFF)).astype(np.int64)
    counts = np.bincount(distinct_codes, minlength=n_codes).astype(float)
    return (counts + TF_PSEUDO * u0) / (n_people + TF_PSEUDO)


def _field_levels(comparison: Comparison, left_codes: np.ndarray, right_codes: np.ndarray, vocab: _Vocab) -> np.ndarray:
    """Level numbers for aligned code arrays, computed once per distinct pair of codes."""
    out = np.zeros(left_codes.size, dtype=np.int8)  # level 0 (null) where either side is missing
    both = np.flatnonzero((left_codes > 0) & (right_codes > 0))
    if both.size == 0:
        return out
    # The same value on both sides is always the first level (exact): no lookup needed.
    same = left_codes[both] == right_codes[both]
    out[both[same]] = 1
    both = both[~same]
    if comparison.screen is not None and both.size:
        keys, always = vocab.screened(comparison)
        lc_, rc_ = left_codes[both], right_codes[both]
        maybe = always[lc_] | always[rc_]
        for k in keys:
            maybe |= k[lc_] == k[rc_]
        out[both[~maybe]] = len(comparison.levels)  # certainly "else"
        both = both[maybe]
    if both.size == 0:
        return out
    key = (left_codes[both].astype(np.uint64) << np.uint64(32)) | right_codes[both].astype(np.uint64)
    # Hash-based distinct values (polars; a sort-based np.unique is slower at force scale).
    frame = pl.DataFrame({"k": key})
    table = frame.unique("k").with_row_index("i")
    inverse = frame.join(table, on="k", how="left", maintain_order="left")["i"].to_numpy()
    uniq = table["k"].to_numpy()
    lc = (uniq >> np.uint64(32)).astype(np.int64)
    rc = (uniq & np.uint64(0xFFFFFFFF)).astype(np.int64)
    pairs = pl.DataFrame({"l": vocab.values.gather(lc), "r": vocab.values.gather(rc)})
    out[both] = comparison.level_numbers(pairs).to_numpy().astype(np.int8)[inverse.ravel()]
    return out


class _Params:
    """m and u per level for each comparison (index 0 = null, unused)."""

    def __init__(self) -> None:
        self.m = {c.name: np.array([1.0, *(lv.m for lv in c.levels)]) for c in _COMPS}
        self.u = {c.name: np.array([1.0, *(lv.u for lv in c.levels)]) for c in _COMPS}
        #: Household dependence ``h`` per (second field, first field), see ``HOUSEHOLD_H``.
        self.household_h = dict(HOUSEHOLD_H)

    def weights(self, name: str) -> np.ndarray:
        """Weights by level; no level weighs more than exact agreement."""
        w = np.log2(np.maximum(self.m[name], M_FLOOR) / self.u[name])
        w[0] = 0.0
        w[2:] = np.minimum(w[2:], w[1])  # never more than exact agreement
        return w


_COMPS = (FORENAME, SURNAME, DOB, PNC, PHONE, POSTCODE)
#: Household dependence. People who share an address or a number are mostly family:
#: given that two records share a home postcode (or a phone number), a shared surname
#: (or number) is no longer a chance agreement. Without this, surname + postcode +
#: phone agreeing would count three times for what is one piece of evidence ("lives
#: there"), and a household member absent from the index would be linked to a relative
#: who is in it. ``h`` is the share of pairs sharing the first field that are related
#: through the second: P(second agrees | first agrees) = h + (1 − h) · u(second). These
#: are the defaults, used when the index has fewer than ``HOUSEHOLD_MIN_PAIRS`` pairs to
#: estimate from (``_Scoring.estimate_household``): about every other pair of people at
#: one address shares a surname; a household shares its landline less often.
HOUSEHOLD_H = {("surname", "postcode"): 0.5, ("surname", "phone"): 0.5, ("phone", "postcode"): 0.3}
#: Below this many index pairs sharing the first field, ``HOUSEHOLD_H`` is used as it is.
HOUSEHOLD_MIN_PAIRS = 10
#: Pseudo-pairs pulling the estimates towards ``HOUSEHOLD_H`` (weak: the estimates rest
#: on at least ``HOUSEHOLD_MIN_PAIRS`` pairs).
HOUSEHOLD_PSEUDO = 1
#: Pseudo-counts pulling estimated probabilities towards the documented defaults.
M_PSEUDO = 200
U_PSEUDO = 10_000
#: A level's u is estimated only if the sample should show it this many times.
U_MIN_EXPECTED = 50
#: m below this is treated as this (a level never seen among anchors is rare, not impossible).
M_FLOOR = 1e-3
#: Random index pairs drawn to estimate u.
U_SAMPLE = 50_000
#: Below this many people in the index, u is not estimated (the defaults are used).
MIN_PEOPLE_TO_ESTIMATE = 1_000


class _Scoring:
    """Levels of every candidate pair, and the weights they earn under given parameters."""

    def __init__(
        self,
        pairs: pl.DataFrame,
        q: pl.DataFrame,
        ix: pl.DataFrame,
        n_people: int,
        records: pl.DataFrame | None = None,
    ):
        """``pairs`` (``qid, iid``) are pairs of *identities* (``q``: the distinct
        forename, surname, DOB, PNC ID and phone of the queries). ``records`` (``id``,
        ``iq`` = the row of ``q``, ``postcode``) are the distinct queries with their
        postcode: every identity pair is scored once and then copied to each of the
        identity's postcodes, where only the postcode is compared. A no-DOB "John Smith"
        mentioned at fifty addresses is compared by name once, not fifty times."""
        iq = pairs["qid"].to_numpy().astype(np.int64)
        iid_i = pairs["iid"].to_numpy().astype(np.int64)
        if records is None:
            src = np.arange(iq.size)
            self.qid = iq
            rec_pc = q["postcode"] if "postcode" in q.columns else pl.Series([None] * q.height, dtype=pl.String)
        else:
            # Copy each identity pair to the records (identity + postcode) sharing it.
            exp = (
                records.select(pl.col("id").cast(pl.Int64).alias("_rid"), pl.col("iq").cast(pl.Int64))
                .join(pl.DataFrame({"iq": iq, "_src": np.arange(iq.size)}), on="iq", how="inner",
                      maintain_order="left_right")
            )
            src = exp["_src"].to_numpy()
            self.qid = exp["_rid"].to_numpy()
            rec_pc = records["postcode"]
        self.iid = iid = iid_i[src]
        #: Record pair -> identity pair. Everything but the postcode is compared, and
        #: weighed, once per identity pair; only the postcode and what depends on it
        #: (the household rules) are done per record pair.
        self.src = src
        qid = iq  # identity-level comparisons below
        self.names = names = _Vocab(q["fn"], q["sn"], ix["fn"], ix["sn"])
        q_fn, q_sn = names.encode(q["fn"]), names.encode(q["sn"])
        self.i_fn, self.i_sn = i_fn, i_sn = names.encode(ix["fn"]), names.encode(ix["sn"])
        self.pidx = pidx = ix["pidx"].to_numpy().astype(np.int64)
        n_names = names.values.len()
        self.tf = {
            "fn": _tf_u(pidx, i_fn, n_names, FORENAME.levels[0].u, n_people),
            "sn": _tf_u(pidx, i_sn, n_names, SURNAME.levels[0].u, n_people),
        }
        # Right-hand codes (identity pairs), for the term-frequency u of an exact agreement.
        self.rcode = {"fn": i_fn[iid_i], "sn": i_sn[iid_i]}
        lv_fn = _field_levels(FORENAME, q_fn[qid], i_fn[iid_i], names)
        lv_sn = _field_levels(SURNAME, q_sn[qid], i_sn[iid_i], names)
        # Names the wrong way round: only worth scoring where an initial crosses over.
        initials = names.values.str.slice(0, 1).fill_null("").to_numpy()
        cross = (initials[q_fn[qid]] != "") & (
            (initials[q_fn[qid]] == initials[i_sn[iid_i]]) | (initials[q_sn[qid]] == initials[i_fn[iid_i]])
        )
        not_exact = ~((lv_fn == 1) & (lv_sn == 1))
        #: Identity pairs read both ways round, and each identity pair's place among them.
        self.swap_sel = sel_i = np.flatnonzero(cross & not_exact)
        self.swap_pos = pos = np.full(iq.size, -1, dtype=np.int64)
        pos[sel_i] = np.arange(sel_i.size)
        fn_x = _field_levels(FORENAME, q_fn[qid[sel_i]], i_sn[iid_i[sel_i]], names)
        sn_x = _field_levels(SURNAME, q_sn[qid[sel_i]], i_fn[iid_i[sel_i]], names)
        #: Levels per identity pair (``fn_x``/``sn_x``: per swapped pair); ``postcode`` per record pair.
        self.levels = {"fn": lv_fn, "sn": lv_sn, "fn_x": fn_x, "sn_x": sn_x}
        self.vocabs = {}
        for field, comp in (("dob", DOB), ("pnc", PNC), ("phone", PHONE), ("postcode", POSTCODE)):
            left = rec_pc if field == "postcode" else q[field]
            vocab = _Vocab(left, ix[field])
            ql, il = vocab.encode(left), vocab.encode(ix[field])
            if field == "postcode":
                self.levels[field] = _field_levels(comp, ql[self.qid], il[iid], vocab)
            else:
                self.levels[field] = _field_levels(comp, ql[qid], il[iid_i], vocab)
            self.vocabs[field] = (vocab, il)
            if comp.levels[0].tf_adjusted:
                self.tf[field] = _tf_u(pidx, il, vocab.values.len(), comp.levels[0].u, n_people)
                self.rcode[field] = il[iid] if field == "postcode" else il[iid_i]

    # -- weights --------------------------------------------------------------------
    def _w(self, params: _Params, comp: Comparison, levels: np.ndarray, tf: np.ndarray | None, rcode) -> np.ndarray:
        table = params.weights(comp.name)
        if tf is None or not comp.levels[0].tf_adjusted:
            return table[levels]
        # Exact agreement weighs log2(m / tf(value)); a weaker agreement never counts
        # more than exact agreement on the same value; null (level 0) weighs 0.
        table = table.copy()
        table[1] = np.inf
        w = table[levels]
        np.minimum(w, np.log2(params.m[comp.name][1] / tf)[rcode], out=w)
        w[levels == 0] = 0.0
        return w

    def _household_names(
        self, params: _Params, h: np.ndarray, i: np.ndarray, straight: np.ndarray, swapped: np.ndarray,
        sn_w: np.ndarray, sn_x: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The name weights of identity pairs ``i`` (straight and swapped readings) with
        the surname's u raised to ``h + (1 − h)·u`` (the household rule)."""
        m_sn = params.m["surname"][1]
        tf_u = self.tf["sn"][self.rcode["sn"][i]]
        st = straight[i] - (sn_w[i] - np.minimum(sn_w[i], np.log2(m_sn / (h + (1.0 - h) * tf_u))))
        sw = swapped[i].copy()
        p = self.swap_pos[i]
        has = np.flatnonzero(p >= 0)
        if has.size:
            # Swapped reading: its surname is the index's forename.
            j = i[has]
            tf_x = self.tf["fn"][self.rcode["fn"][j]]
            sx = sn_x[p[has]]
            sw[has] -= sx - np.minimum(sx, np.log2(m_sn / (h[has] + (1.0 - h[has]) * tf_x)))
        return st, sw

    def weights(self, params: _Params) -> tuple[np.ndarray, np.ndarray]:
        """Total weight per record pair and whether the swapped reading of the names was used."""
        lv = self.levels
        n_id = lv["fn"].size
        sn_w = self._w(params, SURNAME, lv["sn"], self.tf["sn"], self.rcode["sn"])
        straight = self._w(params, FORENAME, lv["fn"], self.tf["fn"], self.rcode["fn"]) + sn_w
        # Twins: surname and DOB agreeing with a plainly different forename is much
        # likelier between siblings than chance agreement suggests.
        else_fn = len(FORENAME.levels)
        twin = (lv["fn"] == else_fn) & (lv["sn"] == 1) & (lv["dob"] == 1)
        straight = np.where(twin, straight - TWIN_BITS, straight)
        swapped = np.full(n_id, -np.inf)
        sel = self.swap_sel
        sn_x = np.zeros(0)
        if sel.size:
            sn_x = self._w(params, SURNAME, lv["sn_x"], self.tf["fn"], self.rcode["fn"][sel])
            swapped[sel] = (
                self._w(params, FORENAME, lv["fn_x"], self.tf["sn"], self.rcode["sn"][sel]) + sn_x + math.log2(SWAP_M)
            )
        rest = self._w(params, DOB, lv["dob"], None, None) + self._w(params, PNC, lv["pnc"], None, None)
        phone_w = self._w(params, PHONE, lv["phone"], self.tf.get("phone"), self.rcode.get("phone"))
        # Households: given a shared home postcode or phone number, a shared surname is
        # partly what a relative looks like: its u becomes h + (1 - h) * u(surname).
        # A shared number is known per identity pair; a shared postcode per record pair.
        home_ph = lv["phone"] == 1
        st_id, sw_id = straight, swapped
        ph = np.flatnonzero(home_ph)
        if ph.size:
            st_id, sw_id = straight.copy(), swapped.copy()
            h = np.full(ph.size, params.household_h[("surname", "phone")])
            st_id[ph], sw_id[ph] = self._household_names(params, h, ph, straight, swapped, sn_w, sn_x)
        use_swap_id = sw_id > st_id
        total_id = np.where(use_swap_id, sw_id, st_id) + rest + phone_w
        src = self.src
        total = total_id[src] + self._w(params, POSTCODE, lv["postcode"], self.tf.get("postcode"), self.rcode.get("postcode"))
        use_swap = use_swap_id[src]
        home = np.flatnonzero(lv["postcode"] == 1)
        if home.size:
            i = src[home]
            h = np.maximum(
                params.household_h[("surname", "postcode")],
                np.where(home_ph[i], params.household_h[("surname", "phone")], 0.0),
            )
            st, sw = self._household_names(params, h, i, straight, swapped, sn_w, sn_x)
            swap_h = sw > st
            # A shared number on top of a shared home postcode: the household's landline.
            hp = params.household_h[("phone", "postcode")]
            phone_cap = math.log2(params.m["phone"][1] / (hp + (1.0 - hp) * params.u["phone"][1]))
            ph_h = np.where(home_ph[i], np.minimum(phone_w[i], phone_cap), phone_w[i])
            total[home] = (
                np.where(swap_h, sw, st) + rest[i] + ph_h
                + self._w(params, POSTCODE, lv["postcode"][home], self.tf.get("postcode"), self.rcode["postcode"][home])
            )
            use_swap[home] = swap_h
        return total, use_swap

    def frame(self, params: _Params, min_weight: float = -np.inf) -> pl.DataFrame:
        """Pairs with their levels and total weight; pairs weighing less than
        ``min_weight`` are left out (they cannot matter to any posterior)."""
        total, use_swap = self.weights(params)
        keep = np.flatnonzero(total >= min_weight)
        return self._frame(total, use_swap, keep)

    def _frame(self, total: np.ndarray, use_swap: np.ndarray, keep: np.ndarray) -> pl.DataFrame:
        i = self.src[keep]
        lv = self.levels
        fn_level, sn_level = lv["fn"][i], lv["sn"][i]
        swapped = use_swap[keep]
        if swapped.any():
            w = np.flatnonzero(swapped)
            p = self.swap_pos[i[w]]
            fn_level[w] = lv["fn_x"][p]
            sn_level[w] = lv["sn_x"][p]
        return pl.DataFrame(
            {
                "qid": self.qid[keep].astype(np.uint32),
                "iid": self.iid[keep].astype(np.uint32),
                "pidx": self.pidx[self.iid[keep]].astype(np.uint32),
                "fn_level": fn_level,
                "sn_level": sn_level,
                "swapped": swapped,
                "dob_level": lv["dob"][i],
                "pnc_level": lv["pnc"][i],
                "phone_level": lv["phone"][i],
                "postcode_level": lv["postcode"][keep],
                "weight": total[keep],
            }
        )

    # -- estimation -----------------------------------------------------------------
    def estimate_u(self, params: _Params, ix: pl.DataFrame, rng: np.random.Generator) -> None:
        """u per level from random pairs of index rows belonging to different people."""
        n = ix.height
        if np.unique(self.pidx).size < MIN_PEOPLE_TO_ESTIMATE:
            return
        a = rng.integers(0, n, U_SAMPLE)
        b = rng.integers(0, n, U_SAMPLE)
        keep = self.pidx[a] != self.pidx[b]
        a, b = a[keep], b[keep]
        if a.size == 0:
            return
        lv = {
            "forename": _field_levels(FORENAME, self.i_fn[a], self.i_fn[b], self.names),
            "surname": _field_levels(SURNAME, self.i_sn[a], self.i_sn[b], self.names),
        }
        for field, comp in (("dob", DOB), ("pnc", PNC), ("phone", PHONE), ("postcode", POSTCODE)):
            vocab, il = self.vocabs[field]
            lv[comp.name] = _field_levels(comp, il[a], il[b], vocab)
        for comp in _COMPS:
            levels = lv[comp.name]
            counts = np.bincount(levels, minlength=len(comp.levels) + 1)[1:].astype(float)
            n = counts.sum()
            prior = np.array([x.u for x in comp.levels])
            # A level too rare to be seen often in the sample keeps its documented u;
            # the others are smoothed sample frequencies; else takes the remainder.
            informative = n * prior >= U_MIN_EXPECTED
            u = np.where(informative, (counts + U_PSEUDO * prior) / (n + U_PSEUDO), prior)
            u[-1] = max(1.0 - u[:-1].sum(), 0.5)
            params.u[comp.name] = np.array([1.0, *u])

    def estimate_household(self, params: _Params) -> None:
        """``params.household_h`` from the index: among pairs of different people who
        share a home postcode (or phone number), the share who also share a surname (or
        number) beyond what chance (u from ``estimate_u``) explains. Needs at least
        ``HOUSEHOLD_MIN_PAIRS`` such pairs; pulled towards ``HOUSEHOLD_H``."""
        sn = self.i_sn.astype(np.uint64)
        for (second, first), h0 in HOUSEHOLD_H.items():
            a = self.vocabs[first][1].astype(np.uint64)
            b = sn if second == "surname" else self.vocabs[second][1].astype(np.uint64)
            ok = (a > 0) & (b > 0)
            if not ok.any():
                continue
            pidx = self.pidx[ok].astype(np.uint64)
            a, b = a[ok], b[ok]
            # Distinct (first value, person) and (first value, second value, person).
            per_first = np.unique(np.stack([a, pidx]), axis=1)
            per_both = np.unique(np.stack([a, b, pidx]), axis=1)
            _, n_first = np.unique(per_first[0], return_counts=True)
            _, n_both = np.unique(per_both[:2], axis=1, return_counts=True)
            pairs = float((n_first * (n_first - 1) / 2).sum())
            same = float((n_both * (n_both - 1) / 2).sum())
            if pairs < HOUSEHOLD_MIN_PAIRS:
                continue
            # Chance agreement: two people drawn from the index share the second value
            # with probability sum_v p_v^2 (p_v = share of people with value v).
            per_person = np.unique(np.stack([b, pidx]), axis=1)
            _, n_value = np.unique(per_person[0], return_counts=True)
            p = n_value / max(np.unique(pidx).size, 1)
            chance = pairs * float((p * p).sum())
            # Only an excess beyond chance's own noise (two Poisson standard deviations)
            # counts as household dependence: data without households (a benchmark file
            # of unrelated people) keeps h near 0.
            excess = max(same - chance - 2.0 * math.sqrt(chance), 0.0)
            params.household_h[(second, first)] = (excess + HOUSEHOLD_PSEUDO * h0) / (pairs + HOUSEHOLD_PSEUDO)

    def estimate_m(self, params: _Params, best: pl.DataFrame, name_bits: float) -> None:
        """m per level from *anchor* pairs: each comparison's m is counted over the best
        candidate pairs whose other identifying fields agree exactly (forename's m over
        pairs with surname and DOB exact, and so on), pulled towards the defaults."""
        # Each query's best candidate only: another person who merely shares, say, the
        # surname and DOB is not a match and would inflate m of disagreement.
        top = best.sort(["qid", "weight"], descending=[False, True]).group_by("qid", maintain_order=True).first()
        b = top.filter(~pl.col("swapped"))
        tf_fn = self.tf["fn"][self.i_fn[b["iid"].to_numpy().astype(np.int64)]]
        tf_sn = self.tf["sn"][self.i_sn[b["iid"].to_numpy().astype(np.int64)]]
        rare_name = pl.Series(np.log2(params.m["forename"][1] / tf_fn) + np.log2(params.m["surname"][1] / tf_sn) >= name_bits)
        b = b.with_columns(rare_name.alias("_rare"))
        ex = lambda c: pl.col(c) == 1
        anchors = {
            "forename": ("fn_level", ex("sn_level") & ex("dob_level")),
            "surname": ("sn_level", ex("fn_level") & ex("dob_level")),
            "dob": ("dob_level", ex("fn_level") & ex("sn_level") & pl.col("_rare")),
            "pnc": ("pnc_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
            "phone": ("phone_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
            "postcode": ("postcode_level", ex("fn_level") & ex("sn_level") & ex("dob_level")),
        }
        for comp in _COMPS:
            col, cond = anchors[comp.name]
            levels = b.filter(cond & (pl.col(col) > 0))[col].to_numpy().astype(np.int64)
            counts = np.bincount(levels, minlength=len(comp.levels) + 1)[1:].astype(float)
            prior = np.array([x.m for x in comp.levels])
            m = (counts + M_PSEUDO * prior) / (counts.sum() + M_PSEUDO)
            params.m[comp.name] = np.array([1.0, *m])


def _best_versions(scored: pl.DataFrame) -> pl.DataFrame:
    """The best-weighted version per (query, person), sorted by ``qid, pidx``."""
    if scored.height == 0:
        return scored
    key = (scored["qid"].to_numpy().astype(np.uint64) << np.uint64(32)) | scored["pidx"].to_numpy().astype(np.uint64)
    weight = scored["weight"].to_numpy()
    if key.size > 1 and bool(np.all(key[1:] >= key[:-1])):
        # Already in (query, person) order (the usual case): the first best row of each
        # run, in one pass. Same choice as the sort below (ties keep the earlier row).
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        counts = np.diff(np.r_[starts, key.size])
        top = np.repeat(np.maximum.reduceat(weight, starts), counts)
        hit = np.flatnonzero(weight == top)
        group = np.repeat(np.arange(starts.size), counts)[hit]
        first = hit[np.r_[True, group[1:] != group[:-1]]]
        return scored[first].with_columns(pl.col("qid").set_sorted())
    order = np.lexsort((-weight, key))
    sk = key[order]
    first = order[np.r_[True, sk[1:] != sk[:-1]]]
    return scored[first]


def _posterior(best: pl.DataFrame, prior: pl.Expr) -> pl.DataFrame:
    """``score`` = posterior of each candidate person: ``2^w / (1 + Σ 2^w)`` over the
    query's candidates, w = prior log-odds + weight (computed relative to the maximum).
    Returned sorted by ``qid``."""
    best = best.sort("qid")
    if best.height == 0:
        return best.with_columns(pl.lit(None, pl.Float64).alias("score"), pl.lit(None, pl.Float64).alias("log_odds"))
    lo = best.select((pl.col("weight") + prior).cast(pl.Float64)).to_series().to_numpy()
    qid = best["qid"].to_numpy()
    return best.with_columns(pl.Series("score", _normalise(qid, lo)), pl.Series("log_odds", lo))


def _normalise(group: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Posterior of each row among its group's rows and "nobody": ``2^lo / (1 + Σ 2^lo)``,
    ``lo`` = log2 odds against "nobody"; ``group`` sorted. Computed relative to each
    group's maximum, so any ``lo`` is safe."""
    if group.size == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    counts = np.diff(np.r_[starts, group.size])
    top = np.repeat(np.maximum.reduceat(lo, starts), counts)
    rel = np.exp2(lo - top)
    total = np.repeat(np.add.reduceat(rel, starts), counts)
    return rel / (np.exp2(-top) + total)


#: A bare phone number is linked only after this many links of that number, all to one person.
PHONE_ONLY_MIN_LINKS = 3
#: Candidate pairs whose log-odds (prior + weight) fall below this are not kept.
PRUNE_LOG_ODDS = -20.0
#: A *sure* link: it counts towards a person's frequency prior and the share of queries
#: in the index, teaches who appears with whom on a log (``log_context_links``), and
#: may pass its person on to other calls from the same number (``propagate_by_phone``).
SURE_SCORE = 0.99


def _em_share(best: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float) -> float:
    """The share of query records whose person is in the index, by expectation-
    maximisation: ``ρ ← mean over records of P(in the index | ρ)``, where P(in) =
    ``S / (1 + S)``, ``S = Σ_j 2^{log2(ρ/(1−ρ)) − log2 N + w_j}`` over the record's
    candidates. A record with no candidate counts as not in the index (so ρ leans low:
    its person may be there but blocked out). Smoothed with ``EM_PSEUDO`` records at
    ``PRIOR_IN_INDEX`` and clipped to ``EM_PRIOR_BOUNDS``."""
    n = record_map.height
    if n == 0 or best.height == 0:
        return rho
    b = best.select("qid", "weight").sort("qid")
    qid = b["qid"].to_numpy()
    w = b["weight"].to_numpy().astype(float)
    starts = np.flatnonzero(np.r_[True, qid[1:] != qid[:-1]])
    counts = np.diff(np.r_[starts, qid.size])
    top = np.maximum.reduceat(w, starts)
    log_s = top + np.log2(np.add.reduceat(np.exp2(w - np.repeat(top, counts)), starts))
    mult = (
        pl.DataFrame({"qid": qid[starts]})
        .join(record_map.group_by("qid").agg(pl.len().alias("_k")), on="qid", how="left", maintain_order="left")["_k"]
        .fill_null(0)
        .to_numpy()
        .astype(float)
    )
    for _ in range(100):
        lo = math.log2(rho / (1 - rho)) - math.log2(n_eff) + log_s
        p_in = 1.0 / (1.0 + np.exp2(-np.clip(lo, -60, 60)))
        new = (float((mult * p_in).sum()) + EM_PSEUDO * PRIOR_IN_INDEX) / (n + EM_PSEUDO)
        new = min(max(new, EM_PRIOR_BOUNDS[0]), EM_PRIOR_BOUNDS[1])
        if abs(new - rho) < 1e-5:
            return new
        rho = new
    return rho


def _sure_share(best: pl.DataFrame, record_map: pl.DataFrame) -> float:
    """Share of query records whose best candidate is sure (score ≥ SURE_SCORE),
    clipped to [PRIOR_IN_INDEX, MAX_PRIOR_IN_INDEX]."""
    n = record_map.height
    if n == 0 or best.height == 0:
        return PRIOR_IN_INDEX
    sure = best.filter(pl.col("score") >= SURE_SCORE).select("qid").unique()
    k = record_map.join(sure, on="qid", how="semi").height
    return float(min(max(k / n, PRIOR_IN_INDEX), MAX_PRIOR_IN_INDEX))


def _frequency_posterior(
    best: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float = PRIOR_IN_INDEX
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Recompute the posterior with a prior proportional to how often each person is
    already (surely) linked among the queries of the same group (``record_map._g``:
    ControlWorks' role; one group otherwise): ``ρ · (c_gj + 1) / (C_g + N)`` instead of
    ``ρ / N``. Someone who rang forty times is more likely to be the "John Smith" of a
    call with no DOB than a namesake never seen ringing; someone often rung *about* is
    not thereby the likelier caller.

    The decision units become (record group ``qid``, query group): returns the
    candidates keyed by the new unit ids and the record map pointing to them."""
    units = (
        record_map.group_by("qid", "_g").agg(pl.len().alias("_k")).sort("qid", "_g")
        .with_row_index("_u").with_columns(pl.col("_u").cast(pl.UInt32))
    )
    # Sure (≥ 0.99 > ½): at most one candidate per record group qualifies.
    top = best.filter(pl.col("score") >= SURE_SCORE).select("qid", "pidx").unique("qid", keep="first")
    counts = units.join(top, on="qid").group_by("_g", "pidx").agg(pl.col("_k").sum().cast(pl.Float64).alias("_c"))
    totals = counts.group_by("_g").agg(pl.col("_c").sum().alias("_C"))
    base = math.log2(rho / (1 - rho))
    share = (pl.col("_c").fill_null(0.0) + 1.0) / (pl.col("_C").fill_null(0.0) + n_eff)
    prior = base + pl.max_horizontal(share, pl.lit(1.0 / n_eff)).log(2)
    expanded = (
        best.drop("score", "log_odds")
        .join(units.select("qid", "_g", "_u"), on="qid")
        .join(counts, on=["_g", "pidx"], how="left")
        .join(totals, on="_g", how="left")
        .drop("qid")
        .rename({"_u": "qid"})
    )
    out = _posterior(expanded, prior).drop("_c", "_C", "_g")
    new_map = record_map.join(units.select("qid", "_g", "_u"), on=["qid", "_g"]).select(
        "record_id", pl.col("_u").alias("qid"), "_g"
    )
    return out, new_map


# ---------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------


def _label(comp: Comparison, col: str) -> pl.Expr:
    return pl.col(col).replace_strict(list(range(len(comp.labels))), list(comp.labels), return_dtype=pl.String)


def _reason_expr() -> pl.Expr:
    fn, sn, dob = _label(FORENAME, "fn_level"), _label(SURNAME, "sn_level"), _label(DOB, "dob_level")
    pnc, phone, pc = _label(PNC, "pnc_level"), _label(PHONE, "phone_level"), _label(POSTCODE, "postcode_level")

    def core(name: str, lab: pl.Expr) -> pl.Expr:
        return (
            pl.when(lab == "exact").then(None)
            .when(lab == "null").then(pl.lit(f"{name}~missing"))
            .otherwise(pl.lit(f"{name}~") + lab)
        )

    def extra(name: str, lab: pl.Expr) -> pl.Expr:
        return (
            pl.when(lab == "null").then(None)
            .when(lab == "exact").then(pl.lit(f"{name}=exact"))
            .otherwise(pl.lit(f"{name}~") + lab)
        )

    parts = pl.concat_list(
        pl.when(pl.col("swapped")).then(pl.lit("names~swapped")).otherwise(None),
        core("forename", fn), core("surname", sn), core("dob", dob),
        extra("pnc", pnc), extra("phone", phone), extra("postcode", pc),
    ).list.drop_nulls()
    all_exact = (fn == "exact") & (sn == "exact") & (dob == "exact") & ~pl.col("swapped")
    names_ok = pl.all_horizontal([(lab == "exact") | (lab == "null") for lab in (fn, sn, dob)]) & ~pl.col("swapped")
    return (
        pl.when((pnc == "exact") & names_ok).then(pl.lit("pnc"))
        .when(all_exact & (pnc != "else")).then(pl.lit("name_dob"))
        .otherwise(pl.lit("fuzzy:") + parts.list.join(","))
        .alias("reason")
    )


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


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
    max_block: int = DEFAULT_MAX_BLOCK,
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
        person (default ``DEFAULT_THRESHOLD`` = 0.8).
    population
        Fuzzy only: the number of people the queries could be, for the prior; default
        ``max(people in the index, POPULATION_FLOOR)``.
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
        q = queries.with_columns(
            *(pl.lit(None, dtype=pl.String).alias(c) for c in ("forename", "surname", "dob", "pnc_id") if c not in queries.columns)
        )
        ix = index.with_columns(
            *(pl.lit(None, dtype=pl.String).alias(c) for c in ("forename", "surname", "dob", "pnc_id") if c not in index.columns)
        )
        # link_exact expects a Date DOB; strings (``1956-04-09``, ``19560409``) are read
        # the same way as in fuzzy mode, and an impossible date counts as missing.
        q, ix = (
            f.with_columns(
                dob_key(pl.col("dob"), f.schema["dob"]).str.extract(r"^(\d{8})$", 1).str.to_date("%Y%m%d", strict=False).alias("dob")
            )
            if f.schema["dob"] != pl.Date
            else f
            for f in (q, ix)
        )
        out = link_exact(q, ix)
        person_dtype = index.schema["person_id"]
        if out.schema["person_id"] != person_dtype:
            out = out.with_columns(pl.col("person_id").cast(person_dtype))
        return out.select(LINK_COLUMNS)

    threshold = _check_threshold(threshold)
    cands = _fuzzy_candidates(
        queries, index, population=population, estimate=estimate, frequency_prior=frequency_prior, max_block=max_block
    )
    if cands is None:
        return _empty_result(queries, index)
    return _decide(cands, threshold, one_to_one=one_to_one)


def _check_threshold(threshold: float | None) -> float:
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must lie in [0, 1]")
    return threshold


@dataclass
class _Candidates:
    """Every query record's scored candidates, before the decision.

    ``best``: one row per (query record group ``qid``, candidate person ``pidx``) with
    the comparison levels, ``weight`` (the evidence, bits), ``log_odds`` (prior +
    weight, against "nobody in the index") and ``score`` (posterior); ``record_map``:
    ``record_id → qid``; ``persons``: ``pidx → person_id``; ``rho``: prior share of
    queries whose person is in the index."""

    best: pl.DataFrame
    record_map: pl.DataFrame
    persons: pl.DataFrame
    rho: float


def _fuzzy_candidates(
    queries: pl.DataFrame,
    index: pl.DataFrame,
    *,
    population: int | None = None,
    estimate: bool = True,
    frequency_prior: bool = False,
    max_block: int = DEFAULT_MAX_BLOCK,
    prior_share: Literal["em", "sure"] = "em",
    prior_group: str | None = None,
) -> _Candidates | None:
    """Fuzzy mode up to the decision (see ``link_records``); None when nothing can link.

    ``prior_group``: a column of ``queries`` (ControlWorks: the role) within which the
    frequency prior counts each person's sure links, so that a person often named as a
    subject is not thereby the likelier caller of the same name."""
    index = index.filter(pl.col("person_id").is_not_null())
    if queries.height == 0 or index.height == 0:
        return None

    use_phone = _has(queries, "phone", "phone_number") and _has(index, "phone", "phone_number")
    use_postcode = _has(queries, "postcode") and _has(index, "postcode")

    # Distinct identity tuples on each side: mentions repeat, versions repeat. An
    # *identity* is everything but the postcode; it is blocked and compared once.
    ident = [f for f in _FIELDS if f != "postcode"]
    qn = _normal_forms(queries, use_phone=use_phone, use_postcode=use_postcode).with_columns(
        queries["record_id"].alias("record_id"),
        (queries[prior_group].cast(pl.String).fill_null("") if prior_group else pl.lit("")).alias("_g"),
    )
    has_any = pl.any_horizontal(pl.col(f).is_not_null() for f in _FIELDS)
    qn = qn.filter(has_any)
    qi = _with_keys(qn.select(ident).unique(maintain_order=True)).with_columns(
        pl.lit(None, pl.String).alias("postcode")
    ).with_row_index("id")
    qn = qn.join(qi.select(pl.col("id").alias("iq"), *ident), on=ident, how="left", nulls_equal=True,
                 maintain_order="left")

    # Sorted, so that results do not depend on the order of the index's rows.
    persons = index.select(pl.col("person_id")).unique().sort("person_id").with_row_index("pidx")
    ixn = _normal_forms(index, use_phone=use_phone, use_postcode=use_postcode).with_columns(index["person_id"])
    ixn = ixn.join(persons, on="person_id", how="left", maintain_order="left").drop("person_id")
    ix = _with_keys(ixn.filter(has_any).unique().sort(["pidx", *_FIELDS], nulls_last=True)).with_row_index("id")
    if qi.height == 0 or ix.height == 0:
        return None

    n_people = persons.height
    n_eff = population if population is not None else max(n_people, POPULATION_FLOOR)
    prior = math.log2(PRIOR_IN_INDEX / (1 - PRIOR_IN_INDEX)) - math.log2(n_eff)

    ixb = add_blocking_columns(ix)
    id_rules = tuple(r for r in BLOCKING_RULES if r.name != "postcode_initial")
    pc_rules = tuple(r for r in BLOCKING_RULES if r.name == "postcode_initial")
    pairs = candidate_pairs(add_blocking_columns(qi), ixb, id_rules, max_block=max_block)
    if use_postcode:
        # Pairs found through the postcode (+ an initial) join their identity's pairs.
        rb = (
            qn.select("iq", "postcode").drop_nulls("postcode").unique(maintain_order=True)
            .join(qi.select(pl.col("id").alias("iq"), "dob", "fn_key", "sn_key"), on="iq", maintain_order="left")
            .with_row_index("id")
        )
        by_pc = candidate_pairs(
            rb.with_columns(pl.lit(None, pl.String).alias("dob_swapped")), ixb, pc_rules, max_block=max_block
        )
        by_pc = by_pc.join(rb.select(pl.col("id").cast(pl.UInt32).alias("qid"), "iq"), on="qid").select(
            pl.col("iq").cast(pl.UInt32).alias("qid"), "iid"
        )
        pairs = pl.concat([pairs, by_pc]).unique()
    # In (identity, index row) order, which is (identity, person) order: see _best_versions.
    pairs = pairs.sort("qid", "iid")
    # Records: distinct (identity, postcode). Each identity pair is scored once and
    # copied to the identity's records, where only the postcode is compared.
    records = qn.select("iq", "postcode").unique(maintain_order=True).with_row_index("id")
    record_map = qn.join(records.select("id", "iq", "postcode"), on=["iq", "postcode"], how="inner",
                         nulls_equal=True).select("record_id", pl.col("id").alias("qid"), "_g")
    if pairs.height == 0:
        return None
    # Without postcodes a record is its identity (same order, same id): nothing to copy.
    single = not use_postcode and records["iq"].cast(pl.Int64).equals(records["id"].cast(pl.Int64))
    scoring = _Scoring(pairs, qi, ix, n_people, None if single else records)
    params = _Params()
    if estimate:
        scoring.estimate_u(params, ix, np.random.default_rng(0))
        scoring.estimate_household(params)
        # An anchor agrees exactly on at least two identifying fields, so its weight is
        # well above 0: lighter pairs need not be built for this pass.
        anchors = _best_versions(scoring.frame(params, min_weight=max(PRUNE_LOG_ODDS - prior, 0.0)))
        scoring.estimate_m(params, anchors, name_bits=math.log2(n_eff))
    # Candidates below PRUNE_LOG_ODDS add at most 2^-20 each to a posterior: dropped.
    best = _posterior(_best_versions(scoring.frame(params, min_weight=PRUNE_LOG_ODDS - prior)), pl.lit(prior))
    rho = PRIOR_IN_INDEX
    if estimate:
        # Empirical Bayes: the share of records surely linked is a floor for the share
        # of queries whose person is in the index; by default it is then refined by EM.
        rho = _sure_share(best, record_map)
        if prior_share == "em":
            rho = _em_share(best, record_map, n_eff, rho)
        prior = math.log2(rho / (1 - rho)) - math.log2(n_eff)
        best = _posterior(best.drop("score", "log_odds"), pl.lit(prior))
    if frequency_prior:
        best, record_map = _frequency_posterior(best, record_map, n_eff, rho)
    return _Candidates(best=best, record_map=record_map.drop("_g"), persons=persons, rho=rho)


def _decide(cands: _Candidates, threshold: float, *, one_to_one: bool = False) -> pl.DataFrame:
    """Each query record's best candidate, when its posterior reaches ``threshold``."""
    best, persons, record_map = cands.best, cands.persons, cands.record_map
    # Only rows that reach the threshold can be chosen, and a query's best candidate
    # reaches it whenever any of its candidates does: filter first, then pick.
    chosen = (
        best.filter(pl.col("score") >= threshold)
        .join(persons, on="pidx", how="left")
        .sort(["qid", "score", "person_id"], descending=[False, True, False])
        .group_by("qid", maintain_order=True)
        .first()
        .filter(pl.col("score") >= threshold)
    )
    if one_to_one:
        chosen = chosen.sort(["score", "qid"], descending=[True, False]).unique("pidx", keep="first", maintain_order=True)
    chosen = chosen.with_columns(_reason_expr()).select("qid", "person_id", pl.col("score").clip(0.0, 1.0), "reason")
    out = record_map.join(chosen, on="qid", how="inner").select(LINK_COLUMNS).sort("record_id")
    return out.cast({"score": pl.Float64, "reason": pl.String})


# ---------------------------------------------------------------------------------------
# ControlWorks
# ---------------------------------------------------------------------------------------

def _mentions(cw_logs: pl.DataFrame) -> pl.DataFrame:
    """Stage 1's query rows for a log frame (one per originator / subject mentioned)."""
    from fsu_dagster.stage1.controlworks import (
        controlworks_mentions,  # Stage 1 imports identity
    )

    return controlworks_mentions(cw_logs)


def home_postcodes(person_roles: pl.DataFrame) -> pl.DataFrame:
    """``person_id, postcode``: every distinct home postcode recorded for a person on
    their investigation roles (``connect_person_roles.home_postcode``), in the fuzzy
    normal form. A person who moved, or whose record kept an old address, has several."""
    if "home_postcode" not in person_roles.columns or person_roles.height == 0:
        return pl.DataFrame(schema={"person_id": pl.String, "postcode": pl.String})
    return (
        person_roles.select(pl.col("person_id").cast(pl.String), postcode_key(pl.col("home_postcode")).alias("postcode"))
        .filter(pl.col("person_id").is_not_null() & (pl.col("postcode").str.len_bytes() > 0))
        .unique()
        .sort("person_id", "postcode")
    )


def _with_location(mentions: pl.DataFrame, cw_logs: pl.DataFrame) -> pl.DataFrame:
    """Mentions with their log's ``location_postcode`` as ``postcode``."""
    loc = cw_logs.select(
        pl.col("incident_id").cast(mentions.schema["incident_id"]), pl.col("location_postcode").cast(pl.String).alias("postcode")
    ).unique("incident_id", keep="first")
    return mentions.join(loc, on="incident_id", how="left", maintain_order="left")


def _with_homes(index: pl.DataFrame, person_roles: pl.DataFrame) -> pl.DataFrame:
    """Index versions with a ``postcode``: one row per (version, recorded home postcode);
    a person with no recorded home keeps their versions with a null postcode."""
    homes = home_postcodes(person_roles)
    base = index.drop("postcode", strict=False)
    key = base.schema["person_id"]
    return base.join(homes.with_columns(pl.col("person_id").cast(key)), on="person_id", how="left", maintain_order="left")


def link_controlworks(
    cw_logs: pl.DataFrame,
    persons: pl.DataFrame,
    *,
    mode: Literal["fuzzy", "exact"] = "fuzzy",
    threshold: float | None = None,
    cluster: bool = True,
    person_roles: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Link ControlWorks originators and subjects to Connect persons.

    ``cw_logs``: the window's logs (``incident_id``, ``location_postcode`` and the
    ``originator_*`` / ``subject_*`` identity columns). ``persons``: the identity index
    (``connect_persons`` over the window: ``person_id, forename, surname, dob, pnc_id,
    phone_number``). ``person_roles``: optional, the window's ``connect_person_roles``
    (``person_id, home_postcode``): fuzzy mode then compares the log's location
    postcode with every home postcode recorded for the person (an incident is often at
    the subject's or the caller's home). Exact mode never uses it.

    Fuzzy mode then links more mentions from what is already linked: the caller's
    number (``propagate_by_phone``) and the other person on the same log
    (``log_context_links``).

    Returns the Stage 1 link frame ``incident_id, role, person_id, score, reason``. In
    fuzzy mode, with ``cluster``, mentions that link to nobody are grouped among
    themselves (``clustering.cluster_unlinked``) into provisional individuals whose
    ``person_id`` starts ``CW:`` (score 1.0, reason ``cw:provisional``). Exact mode
    never creates them.
    """
    mentions = _mentions(cw_logs)
    index = persons.rename({"phone_number": "phone"}) if "phone_number" in persons.columns else persons
    index = index.drop("postcode", strict=False)
    if mode == "fuzzy" and person_roles is not None and "location_postcode" in cw_logs.columns:
        mentions = _with_location(mentions, cw_logs)
        index = _with_homes(index, person_roles)
    if mode == "fuzzy":
        threshold = _check_threshold(threshold)
        # The frequency prior per role, and the conservative share of mentions in the
        # index (the sure-link share, not EM: see docs/identity.md).
        cands = _fuzzy_candidates(mentions, index, frequency_prior=True, prior_share="sure", prior_group="role")
        links = (_empty_result(mentions, index) if cands is None else _decide(cands, threshold)).with_columns(
            pl.col("person_id").cast(pl.String)
        )
        links = pl.concat([links, propagate_by_phone(mentions, links)], how="vertical_relaxed")
        if cands is not None:
            links = pl.concat([links, log_context_links(cands, mentions, links, threshold)], how="vertical_relaxed")
    else:
        links = link_records(mentions.drop("incident_id", "role"), index, mode=mode).with_columns(
            pl.col("person_id").cast(pl.String)
        )
    out = [links]
    if mode == "fuzzy" and cluster:
        unlinked = mentions.join(links.select("record_id"), on="record_id", how="anti")
        out.append(cluster_unlinked(unlinked))
    result = pl.concat([f.select(LINK_COLUMNS) for f in out], how="vertical_relaxed")
    return (
        mentions.select("record_id", "incident_id", "role")
        .join(result, on="record_id", how="inner")
        .select("incident_id", "role", "person_id", pl.col("score").cast(pl.Float64), pl.col("reason").cast(pl.String))
        .sort("incident_id", "role")
    )


#: Pseudo-logs pulling a person's own "who is on my logs" shares towards the force-wide
#: share of self-reports (``log_context_links``).
CONTEXT_PSEUDO = 5.0
#: At most this share of a person's co-mentions is credited to known people: the rest
#: stays with "someone else", so the context never becomes certainty on its own.
CONTEXT_MAX_SHARE = 0.95
#: Below this many logs with both people surely linked, the self-report share is not
#: estimated and the context pass does nothing.
CONTEXT_MIN_LOGS = 50


def _compatible() -> pl.Expr:
    """The mention could be this candidate: the forename agrees (exactly, as a nickname
    or part, or within a typo), the surname and PNC ID do not disagree, and the DOB is
    missing or agrees up to a swap or typo."""
    fn_ok = [FORENAME.labels.index(x) for x in ("exact", "nickname", "part", "jw92", "jw85")]
    sn_bad = SURNAME.labels.index("else")
    dob_ok = [DOB.labels.index(x) for x in ("null", "exact", "swap", "typo")]
    pnc_bad = PNC.labels.index("else")
    return (
        pl.col("fn_level").is_in(fn_ok)
        & (pl.col("sn_level") != sn_bad)
        & pl.col("dob_level").is_in(dob_ok)
        & (pl.col("pnc_level") != pnc_bad)
    )


def log_context_links(
    cands: _Candidates, mentions: pl.DataFrame, links: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Links for unlinked mentions from the other person on the same log.

    A log names an originator and a subject. When one of them is linked to person P,
    the other is P with probability ``s`` (people ringing about themselves: ``s`` is
    the share of logs whose two mentions are surely linked to the same person), or
    someone P's logs have named before in that role (a partner, a child the caller
    rings about again and again). For the unlinked mention, each such person X gets the
    prior share ``c(X | P) = (n(P, X) + CONTEXT_PSEUDO · s · [X = P]) / (n(P) + CONTEXT_PSEUDO)``
    (``n(P)``: P's logs in the other role with this role given; ``n(P, X)``: those
    surely linked to X). Every other candidate keeps its prior. In odds against "nobody
    in the index": ``O'_X = O_X + c_X / ((1 − Σc)(1 − ρ)) · 2^{w_X}``, with ``w_X`` the
    name/DOB/address evidence already weighed, so the context lifts a candidate only
    as far as the mention's own fields agree with them. The posterior is renormalised
    over the candidates; a link is made when it reaches ``threshold``. Reason: the
    candidate's own plus ``log_context``.

    Returns ``record_id, person_id, score, reason`` for mentions not yet in ``links``.
    """
    rid_dtype = mentions.schema["record_id"]
    empty = pl.DataFrame(schema={"record_id": rid_dtype, "person_id": pl.String, "score": pl.Float64, "reason": pl.String})
    if links.height == 0 or cands.best.height == 0:
        return empty
    ment = mentions.select("record_id", pl.col("incident_id").cast(pl.String), "role")
    linked = ment.join(links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id")
    sure = linked.filter(pl.col("score") >= SURE_SCORE)
    both = sure.filter(pl.col("role") == "originator").join(
        sure.filter(pl.col("role") == "subject"), on="incident_id", suffix="_s"
    )
    if both.height < CONTEXT_MIN_LOGS:
        return empty
    self_share = float((both["person_id"] == both["person_id_s"]).mean())

    contexts = []
    for role, co_role in (("subject", "originator"), ("originator", "subject")):
        given = ment.filter(pl.col("role") == role).select("incident_id").unique()
        co = linked.filter(pl.col("role") == co_role).select("incident_id", pl.col("person_id").alias("_p"))
        base = co.join(given, on="incident_id", how="semi")
        n_p = base.group_by("_p").agg(pl.len().cast(pl.Float64).alias("_n"))
        seen = base.join(
            sure.filter(pl.col("role") == role).select("incident_id", pl.col("person_id").alias("_x")), on="incident_id"
        )
        pair = seen.group_by("_p", "_x").agg(pl.len().cast(pl.Float64).alias("_k"))
        selfs = n_p.select("_p", pl.col("_p").alias("_x"), pl.lit(0.0).alias("_k"))
        share = (
            pl.concat([pair, selfs]).group_by("_p", "_x").agg(pl.col("_k").sum())
            .join(n_p, on="_p", how="left")
            .with_columns(pl.col("_n").fill_null(0.0))
            .with_columns(
                ((pl.col("_k") + pl.when(pl.col("_p") == pl.col("_x")).then(CONTEXT_PSEUDO * self_share).otherwise(0.0))
                 / (pl.col("_n") + CONTEXT_PSEUDO)).alias("_c")
            )
            .with_columns(pl.col("_c").sum().over("_p").alias("_sum"))
            # Never more than CONTEXT_MAX_SHARE in all: scale the shares down if need be.
            .with_columns(
                pl.when(pl.col("_sum") > CONTEXT_MAX_SHARE).then(pl.col("_c") * CONTEXT_MAX_SHARE / pl.col("_sum"))
                .otherwise(pl.col("_c")).alias("_c"),
                pl.col("_sum").clip(None, CONTEXT_MAX_SHARE),
            )
        )
        # The unlinked mentions of this role on logs whose other person is linked.
        todo = (
            ment.filter(pl.col("role") == role)
            .join(links.select("record_id"), on="record_id", how="anti")
            .join(co, on="incident_id")
        )
        contexts.append(todo.join(share, on="_p").select("record_id", "_x", "_c", "_sum"))
    ctx = pl.concat(contexts)
    if ctx.height == 0:
        return empty
    persons = cands.persons.with_columns(pl.col("person_id").cast(pl.String))
    ctx = ctx.join(persons.select(pl.col("person_id").alias("_x"), pl.col("pidx")), on="_x").drop("_x")
    # The mentions' own candidates, with the context's share for the people it names.
    recs = ctx.select("record_id", "_sum").unique("record_id")
    cand = (
        recs.join(cands.record_map, on="record_id")
        .join(cands.best, on="qid")
        .join(ctx.select("record_id", "pidx", "_c"), on=["record_id", "pidx"], how="left")
        # Only a person the mention itself could be: the context says whose log this
        # is, not who a household member with the same surname and address is.
        .with_columns(pl.when(_compatible()).then(pl.col("_c").fill_null(0.0)).otherwise(0.0).alias("_c"))
        .sort("record_id", "pidx")
    )
    if cand.height == 0:
        return empty
    lo = cand["log_odds"].to_numpy()
    w = cand["weight"].to_numpy()
    c = cand["_c"].to_numpy()
    boost = c / ((1.0 - cand["_sum"].to_numpy()) * (1.0 - cands.rho))
    with np.errstate(divide="ignore"):
        # log2(2^lo + boost · 2^w), computed without overflow.
        new_lo = np.where(c > 0, np.logaddexp2(lo, np.log2(np.maximum(boost, 1e-300)) + w), lo)
    group = cand.with_columns(pl.col("record_id").rank("dense").alias("_g"))["_g"].to_numpy()
    cand = cand.with_columns(pl.Series("score", _normalise(group, new_lo)))
    chosen = (
        cand.sort(["record_id", "score", "pidx"], descending=[False, True, False])
        .group_by("record_id", maintain_order=True)
        .first()
        .filter((pl.col("score") >= threshold) & (pl.col("_c") > 0))
        .join(persons, on="pidx")
    )
    if chosen.height == 0:
        return empty
    return chosen.with_columns(_reason_expr()).select(
        pl.col("record_id").cast(rid_dtype),
        "person_id",
        pl.col("score").clip(0.0, 1.0).cast(pl.Float64),
        (pl.col("reason") + pl.lit(",log_context")).alias("reason"),
    )


def _identified(mentions: pl.DataFrame) -> pl.Expr:
    """True for a mention that gives a DOB or a PNC ID: linked surely, it ties its number
    to a person through more than a name and an address."""
    parts = [pl.col(c).is_not_null() for c in ("dob", "pnc_id") if c in mentions.columns]
    return pl.any_horizontal(parts) if parts else pl.lit(False)


def propagate_by_phone(mentions: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Links for DOB-less mentions that share a caller's phone number and name with
    mentions already linked to one person.

    A caller who rings forty times from the same number, giving name and DOB on most
    calls, is the same person on the calls where the DOB was not taken. For each
    (phone, surname, forename or its nickname group) among the linked mentions that
    points to exactly one person, the unlinked mentions with the same key and no DOB
    take that person (``reason`` ``"phone_name"``). A mention with only a phone number
    takes the person that number has been linked to at least ``PHONE_ONLY_MIN_LINKS``
    times, always the same person (``"phone_only"``). Either way at least one of the
    links it rests on must be sure (score ≥ ``SURE_SCORE``) and made with a DOB or PNC
    ID: a weak link, or one resting on a name and an address only, is not spread to
    every other call from the number. ``score`` is the lowest score of
    the links it rests on. Returns ``record_id, person_id, score, reason``.
    """
    from fsu_dagster.identity.nicknames import nickname_groups

    empty = pl.DataFrame(schema={"record_id": mentions.schema["record_id"], "person_id": pl.String,
                                 "score": pl.Float64, "reason": pl.String})
    if "phone" not in mentions.columns or links.height == 0:
        return empty
    canon = nickname_groups().group_by("name").agg(pl.col("group").min().alias("_canon"))
    keyed = (
        mentions.select(
            "record_id",
            phone_key(pl.col("phone")).alias("_phone"),
            name_key(fold_name(pl.col("surname"))).alias("_sn"),
            name_key(fold_name(pl.col("forename"))).alias("_fn"),
            pl.col("dob").is_null().alias("_no_dob"),
            _identified(mentions).alias("_ided"),
        )
        .drop_nulls(["_phone", "_sn", "_fn"])
        .join(canon, left_on="_fn", right_on="name", how="left")
        .with_columns(pl.coalesce("_canon", "_fn").alias("_fn"))
        .drop("_canon")
    )
    key = ["_phone", "_sn", "_fn"]
    linked = keyed.join(links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id")
    # One person only, and at least one sure link made with a DOB or PNC ID: a weak
    # link is not spread further, and neither is one resting on name and address alone
    # (a carer ringing from the home of her namesake is not the namesake).
    sources = linked.group_by(key).agg(
        pl.col("person_id").n_unique().alias("_n"), pl.col("person_id").first(), pl.col("score").min(),
        ((pl.col("score") >= SURE_SCORE) & pl.col("_ided")).any().alias("_anchored"),
    ).filter((pl.col("_n") == 1) & pl.col("_anchored")).drop("_n", "_anchored")
    todo = keyed.filter(pl.col("_no_dob")).join(links.select("record_id"), on="record_id", how="anti")
    by_name = todo.join(sources, on=key, how="inner").select(
        "record_id", "person_id", pl.col("score").cast(pl.Float64), pl.lit("phone_name").alias("reason")
    )
    # Mentions with a phone number and nothing else: the number must have been linked
    # PHONE_ONLY_MIN_LINKS times or more, always to the same person (a shared household
    # line, linked to two people, gives nothing).
    phones = mentions.select("record_id", phone_key(pl.col("phone")).alias("_phone"), _identified(mentions).alias("_ided"))
    on_phone = phones.drop_nulls("_phone").join(
        links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id"
    )
    phone_sources = (
        on_phone.group_by("_phone")
        .agg(pl.col("person_id").n_unique().alias("_n"), pl.len().alias("_k"), pl.col("person_id").first(),
             pl.col("score").min(), ((pl.col("score") >= SURE_SCORE) & pl.col("_ided")).any().alias("_anchored"))
        .filter((pl.col("_n") == 1) & (pl.col("_k") >= PHONE_ONLY_MIN_LINKS) & pl.col("_anchored"))
    )
    bare = mentions.filter(
        pl.all_horizontal(pl.col(c).is_null() for c in ("forename", "surname", "dob", "pnc_id") if c in mentions.columns)
    ).select("record_id", phone_key(pl.col("phone")).alias("_phone")).drop_nulls("_phone")
    by_phone = bare.join(links.select("record_id"), on="record_id", how="anti").join(
        phone_sources, on="_phone", how="inner"
    ).select("record_id", "person_id", pl.col("score").cast(pl.Float64), pl.lit("phone_only").alias("reason"))
    out = pl.concat([by_name, by_phone], how="vertical_relaxed").unique("record_id", keep="first")
    return out if out.height else empty


def link_quality(
    links: pl.DataFrame | Mapping[str, pl.DataFrame],
    cw_logs: pl.DataFrame,
    *,
    mode: str | None = None,
) -> pl.DataFrame:
    """Aggregate link quality: per mode and log month, how many logs have their
    originator / subject linked.

    ``links``: a link frame (``incident_id, role, person_id``; a ``mode`` column, or
    pass ``mode=``) or a mapping ``{mode: link frame}``. ``cw_logs``: the window's logs
    (``incident_id, created_at`` and the identity columns).

    Returns ``mode, log_month, n_logs`` and, for ``originator`` and ``subject``:
    ``n_<role>_given`` (logs with any identity field for that role),
    ``n_<role>_linked`` (linked to anyone), ``n_<role>_connect`` (to a Connect person),
    ``n_<role>_provisional`` (to a ``CW:`` individual), ``share_<role>_linked``
    (linked / logs) and ``share_<role>_given_linked`` (linked / given). No personal
    values, only counts.
    """
    if isinstance(links, Mapping):
        frames = [f.select("incident_id", "role", "person_id").with_columns(pl.lit(m).alias("mode")) for m, f in links.items()]
        all_links = pl.concat(frames) if frames else pl.DataFrame(
            schema={"incident_id": pl.String, "role": pl.String, "person_id": pl.String, "mode": pl.String}
        )
    else:
        all_links = links if "mode" in links.columns else links.with_columns(pl.lit(mode or "unknown").alias("mode"))
        all_links = all_links.select("incident_id", "role", "person_id", "mode")
    all_links = all_links.with_columns(pl.col("incident_id").cast(pl.String), pl.col("person_id").cast(pl.String))

    mentions = _mentions(cw_logs).select(pl.col("incident_id").cast(pl.String), "role")
    logs = cw_logs.select(
        pl.col("incident_id").cast(pl.String), pl.col("created_at").dt.truncate("1mo").cast(pl.Date).alias("log_month")
    ).unique("incident_id")
    modes = all_links.select("mode").unique().sort("mode")
    if modes.height == 0 and mode is not None:
        modes = pl.DataFrame({"mode": [mode]})

    per_log = logs.join(modes, how="cross")
    for role in ("originator", "subject"):
        given = mentions.filter(pl.col("role") == role).select("incident_id").unique().with_columns(
            pl.lit(True).alias(f"{role}_given")
        )
        linked = (
            all_links.filter(pl.col("role") == role)
            .group_by("mode", "incident_id")
            .agg(
                pl.lit(True).alias(f"{role}_linked"),
                pl.col("person_id").str.starts_with("CW:").all().alias(f"{role}_provisional"),
            )
        )
        per_log = per_log.join(given, on="incident_id", how="left").join(
            linked, on=["mode", "incident_id"], how="left"
        )
    agg = []
    for role in ("originator", "subject"):
        lk = pl.col(f"{role}_linked").fill_null(False)
        prov = pl.col(f"{role}_provisional").fill_null(False)
        agg += [
            pl.col(f"{role}_given").fill_null(False).sum().alias(f"n_{role}_given"),
            lk.sum().alias(f"n_{role}_linked"),
            (lk & ~prov).sum().alias(f"n_{role}_connect"),
            (lk & prov).sum().alias(f"n_{role}_provisional"),
        ]
    out = per_log.group_by("mode", "log_month").agg(pl.len().alias("n_logs"), *agg)
    shares = []
    for role in ("originator", "subject"):
        shares += [
            (pl.col(f"n_{role}_linked") / pl.col("n_logs")).alias(f"share_{role}_linked"),
            pl.when(pl.col(f"n_{role}_given") > 0)
            .then(pl.col(f"n_{role}_linked") / pl.col(f"n_{role}_given"))
            .otherwise(None)
            .alias(f"share_{role}_given_linked"),
        ]
    return (
        out.with_columns(shares)
        .with_columns(pl.col(c).cast(pl.Int64) for c in out.columns if c.startswith("n_"))
        .sort("mode", "log_month")
    )
