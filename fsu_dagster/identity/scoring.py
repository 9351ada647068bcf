"""Scoring: the comparison levels of every candidate pair and the weights they earn.

``PairScores`` compares each candidate pair field by field (``comparisons``), once per
distinct pair of values, and turns the levels into Fellegi–Sunter weights
``log2(m/u)`` under given ``Parameters`` (m and u per level, household dependence):
term-frequency u for names and numbers, names read both ways round (the swapped
reading pays ``log2(LinkConfig.swap_m)``), the twins penalty, and the household rule
(given a shared home postcode or number, a shared surname is partly what a relative
looks like: ``LinkConfig.household_h``). ``estimation`` fits the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from fsu_dagster.identity.arrays import sorted_unique, sorted_unique_inverse
from fsu_dagster.identity.comparisons import DOB, FORENAME, PHONE, PNC, POSTCODE, SURNAME, Comparison
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.decision import best_versions, top_per_query

__all__ = [
    "COMPARISON_ORDER",
    "PairScores",
    "Parameters",
    "ScoringInputs",
    "Vocabulary",
    "field_levels",
    "term_frequency_u",
]


class Vocabulary:
    """Integer codes for the distinct values of a field (0 = null)."""

    def __init__(self, *series: pl.Series):
        values = pl.concat([s.cast(pl.String) for s in series]).drop_nulls().unique().sort()
        self.values = pl.concat([pl.Series([None], dtype=pl.String), values])
        self._table = pl.DataFrame(
            {"_v": values, "_code": pl.int_range(1, values.len() + 1, dtype=pl.UInt32, eager=True)}
        )

    def screened(self, comparison: Comparison) -> tuple[list[np.ndarray], np.ndarray]:
        """``comparison.screen`` of this vocabulary's values (cached)."""
        return self._of_values("_screens", comparison, comparison.screen, "a screen")

    def coded(self, comparison: Comparison) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """``comparison.coded`` of this vocabulary's values (cached)."""
        return self._of_values("_coded", comparison, comparison.coded, "coded levels")

    def _of_values(self, cache_name: str, comparison: Comparison, make: Callable[..., Any] | None, what: str) -> Any:
        """``make(self.values)``, made once per comparison and kept in ``cache_name``."""
        cache = self.__dict__.setdefault(cache_name, {})
        if comparison.name not in cache:
            if make is None:
                raise ValueError(f"comparison {comparison.name!r} has no {what}")
            cache[comparison.name] = make(self.values)
        return cache[comparison.name]

    def encode(self, s: pl.Series) -> np.ndarray:
        df = pl.DataFrame({"_v": s.cast(pl.String)}).join(self._table, on="_v", how="left", maintain_order="left")
        return df["_code"].fill_null(0).to_numpy().astype(np.uint32)


def term_frequency_u(
    pidx: np.ndarray, codes: np.ndarray, n_codes: int, u0: float, n_people: int, tf_pseudo: int
) -> np.ndarray:
    """Smoothed term-frequency u per code: ``(people with the value + tf_pseudo * u0) /
    (people + tf_pseudo)`` (``LinkConfig.tf_pseudo``)."""
    mask = codes > 0
    key = (pidx[mask].astype(np.uint64) << np.uint64(32)) | codes[mask].astype(np.uint64)
    distinct_codes = (sorted_unique(key) & np.uint64(0xFFFFFFFF)).astype(np.int64)
    counts = np.bincount(distinct_codes, minlength=n_codes).astype(float)
    return (counts + tf_pseudo * u0) / (n_people + tf_pseudo)


#: Pairs screened at a time by ``field_levels``.
_SCREEN_SLICE = 2_000_000
#: Records whose copies of their identity's pairs are made at a time by ``_copy_to_records``.
_RECORD_SLICE = 500_000
#: Distinct value pairs given their level at a time by ``field_levels``.
_LEVEL_SLICE = 500_000


def field_levels(
    comparison: Comparison, left_codes: np.ndarray, right_codes: np.ndarray, vocab: Vocabulary
) -> np.ndarray:
    """Level numbers for aligned code arrays, computed once per distinct pair of codes (or,
    for a comparison with ``coded`` levels, from the codes of every pair).

    A slice of pairs at a time (``_SCREEN_SLICE``): exact agreement and the screen settle most
    pairs; the others are given their levels from their codes (``coded``) or looked up among the
    distinct value pairs already compared (a sorted table of 64-bit keys with their levels), and
    only pairs not seen before are compared. Every temporary follows the slice; the table holds
    each distinct pair once."""
    out = np.zeros(left_codes.size, dtype=np.int8)  # level 0 (null) where either side is missing
    n_values = np.uint64(vocab.values.len())
    seen_keys = np.zeros(0, dtype=np.uint64)
    seen_levels = np.zeros(0, dtype=np.int8)
    for lo in range(0, left_codes.size, _SCREEN_SLICE):
        hi = min(lo + _SCREEN_SLICE, left_codes.size)
        lc, rc = left_codes[lo:hi], right_codes[lo:hi]
        both = np.flatnonzero((lc > 0) & (rc > 0))
        # The same value on both sides is always the first level (exact): no lookup needed.
        same = lc[both] == rc[both]
        out[lo + both[same]] = 1
        both = both[~same]
        if comparison.screen is not None and both.size:
            keys, always = vocab.screened(comparison)
            lc_, rc_ = lc[both], rc[both]
            maybe = always[lc_] | always[rc_]
            for k in keys:
                maybe |= k[lc_] == k[rc_]
            out[lo + both[~maybe]] = len(comparison.levels)  # certainly "else"
            both = both[maybe]
        if both.size == 0:
            continue
        if comparison.coded is not None:
            # Levels straight from the codes (integer arithmetic per pair, the per-value work
            # done once): cheaper than finding the distinct pairs. A slice of pairs at a time
            # (``_LEVEL_SLICE``), so the temporaries follow the slice.
            coded = vocab.coded(comparison)
            for start in range(0, both.size, _LEVEL_SLICE):
                part = both[start : start + _LEVEL_SLICE]
                out[lo + part] = coded(lc[part].astype(np.int64), rc[part].astype(np.int64))
            continue
        # Distinct pairs, sorted, by one sort of the compact keys ``left * n_values + right``
        # (numpy's np.unique is slower at force scale), then as the table's ``left << 32 |
        # right`` (the same order): looking sorted keys up in the sorted table is many times
        # faster than looking them up in hash order (the table's cache lines are visited in order).
        compact, inverse = sorted_unique_inverse(lc[both].astype(np.uint64) * n_values + rc[both])
        uniq = ((compact // n_values) << np.uint64(32)) | (compact % n_values)
        del compact
        pos = np.searchsorted(seen_keys, uniq)
        known = pos < seen_keys.size
        known[known] = seen_keys[pos[known]] == uniq[known]
        levels = np.empty(uniq.size, dtype=np.int8)
        levels[known] = seen_levels[pos[known]]
        new = uniq[~known]  # sorted, as uniq is
        if new.size:
            new_levels = _distinct_pair_levels(comparison, new, vocab)
            levels[~known] = new_levels
            # ``pos`` of a new key is where it goes in the table (keys sharing a place keep their order).
            at = pos[~known]
            seen_keys = np.insert(seen_keys, at, new)
            seen_levels = np.insert(seen_levels, at, new_levels)
        out[lo + both] = levels[inverse]
    return out


def _distinct_pair_levels(comparison: Comparison, keys: np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """The levels of distinct value pairs (64-bit keys ``left << 32 | right``), a slice at a
    time: each pair's level depends on that pair alone, and the string temporaries (Python
    lists for the edit distances) follow the slice."""
    levels = np.empty(keys.size, dtype=np.int8)
    for lo in range(0, keys.size, _LEVEL_SLICE):
        part = keys[lo : lo + _LEVEL_SLICE]
        lc = (part >> np.uint64(32)).astype(np.int64)
        rc = (part & np.uint64(0xFFFFFFFF)).astype(np.int64)
        pairs = pl.DataFrame({"l": vocab.values.gather(lc), "r": vocab.values.gather(rc)})
        levels[lo : lo + part.size] = comparison.level_numbers(pairs).to_numpy().astype(np.int8)
    return levels


def _copy_to_records(iq: np.ndarray, records: pl.DataFrame, n_identities: int) -> tuple[np.ndarray, np.ndarray]:
    """For identity pairs sorted by identity (``iq``): each record's copy of its identity's
    pairs, records in row order, as (identity pair, record id) arrays. The same rows in the
    same order as an inner join of ``records`` with the pairs on the identity that keeps
    left then right order, without the join's memory."""
    rec_iq = records["iq"].cast(pl.Int64).to_numpy()
    rec_id = records["id"].cast(pl.UInt32).to_numpy()
    if iq.size > 1 and not bool(np.all(iq[1:] >= iq[:-1])):
        exp = records.select(pl.col("id").cast(pl.UInt32).alias("_rid"), pl.col("iq").cast(pl.UInt32)).join(
            pl.DataFrame({"iq": iq, "_src": np.arange(iq.size, dtype=np.uint32)}),
            on="iq",
            how="inner",
            maintain_order="left_right",
        )
        return exp["_src"].to_numpy(), exp["_rid"].to_numpy()
    first = np.searchsorted(iq, np.arange(n_identities + 1, dtype=np.int64))
    count = np.diff(first)[rec_iq]
    start = first[:-1][rec_iq]
    offset = np.cumsum(count) - count
    total = int(count.sum())
    src = np.empty(total, dtype=np.uint32)
    rid = np.empty(total, dtype=np.uint32)
    # A slice of records at a time: the 64-bit temporaries follow the slice, not the copies.
    for lo in range(0, rec_id.size, _RECORD_SLICE):
        hi = min(lo + _RECORD_SLICE, rec_id.size)
        a = int(offset[lo]) if lo < offset.size else total
        b = a + int(count[lo:hi].sum())
        src[a:b] = np.arange(a, b, dtype=np.int64) - np.repeat(offset[lo:hi] - start[lo:hi], count[lo:hi])
        rid[a:b] = np.repeat(rec_id[lo:hi], count[lo:hi])
    return src, rid


class Parameters:
    """m and u per level for each comparison (index 0 = null, unused)."""

    def __init__(self, config: LinkConfig = LINK_CONFIG) -> None:
        self.config = config
        self.m = {c.name: np.array([1.0, *(lv.m for lv in c.levels)]) for c in COMPARISON_ORDER}
        self.u = {c.name: np.array([1.0, *(lv.u for lv in c.levels)]) for c in COMPARISON_ORDER}
        #: Household dependence ``h`` per (second field, first field), see ``config.household_h``.
        self.household_h = dict(config.household_h)

    def weights(self, name: str) -> np.ndarray:
        """Weights by level; no level weighs more than exact agreement."""
        w = np.log2(np.maximum(self.m[name], self.config.m_floor) / self.u[name])
        w[0] = 0.0
        w[2:] = np.minimum(w[2:], w[1])  # never more than exact agreement
        return w


COMPARISON_ORDER = (FORENAME, SURNAME, DOB, PNC, PHONE, POSTCODE)


@dataclass
class _Gathered:
    """A range of record pairs with their identity pair's levels and right-hand codes
    (``fn_x``/``sn_x``: the swapped reading's levels, for rows ``swap_rows``)."""

    fn: np.ndarray
    sn: np.ndarray
    dob: np.ndarray
    pnc: np.ndarray
    phone: np.ndarray
    postcode: np.ndarray
    rcode_fn: np.ndarray
    rcode_sn: np.ndarray
    rcode_phone: np.ndarray | None
    rcode_postcode: np.ndarray | None
    has_swap: np.ndarray
    swap_rows: np.ndarray
    fn_x: np.ndarray
    sn_x: np.ndarray


class ScoringInputs:
    """What every candidate pair is scored against, worked out once: the value codes of the
    identities, the records' postcodes and the index rows, and the index's term frequencies.
    Shared by the ``PairScores`` of every block of pairs (``LinkConfig.scoring_block_pairs``)."""

    def __init__(
        self,
        identities: pl.DataFrame,
        index: pl.DataFrame,
        n_people: int,
        records: pl.DataFrame | None = None,
        config: LinkConfig = LINK_CONFIG,
    ):
        """``identities``: the distinct forename, surname, DOB, PNC ID and phone of the
        queries; ``index``: the index rows (``pidx`` = the person); ``records`` (``id`` = the
        row number, ``iq`` = the row of ``identities``, ``postcode``): the distinct queries
        with their postcode, or None when a record is its identity."""
        self.n_identities = identities.height
        self.names = names = Vocabulary(identities["fn"], identities["sn"], index["fn"], index["sn"])
        self.q_fn, self.q_sn = names.encode(identities["fn"]), names.encode(identities["sn"])
        self.i_fn, self.i_sn = i_fn, i_sn = names.encode(index["fn"]), names.encode(index["sn"])
        self.pidx = pidx = index["pidx"].to_numpy().astype(np.int64)
        n_names = names.values.len()
        self.tf = {
            "fn": term_frequency_u(pidx, i_fn, n_names, FORENAME.levels[0].u, n_people, config.tf_pseudo),
            "sn": term_frequency_u(pidx, i_sn, n_names, SURNAME.levels[0].u, n_people, config.tf_pseudo),
        }
        #: Index rows' value codes, for the term-frequency u of an exact agreement; a pair's
        #: right-hand code is looked up from its index row when it is weighed, not stored.
        self.index_codes = {"fn": i_fn, "sn": i_sn}
        # Initials as integer codes (0 = none): the same equalities as the strings.
        initial = names.values.str.slice(0, 1).fill_null("")
        ini = initial.rank("dense").cast(pl.Int32).to_numpy().copy()
        ini[(initial == "").to_numpy()] = 0
        self.initials = ini
        if records is None:
            rec_pc = (
                identities["postcode"]
                if "postcode" in identities.columns
                else pl.Series([None] * identities.height, dtype=pl.String)
            )
        else:
            rec_pc = records["postcode"]
        #: Left-hand codes: per identity (``dob``, ``pnc``, ``phone``), per record (``postcode``).
        self.left: dict[str, np.ndarray] = {}
        self.vocabs: dict[str, tuple[Vocabulary, np.ndarray]] = {}
        for field, comp in (("dob", DOB), ("pnc", PNC), ("phone", PHONE), ("postcode", POSTCODE)):
            left = rec_pc if field == "postcode" else identities[field]
            vocab = Vocabulary(left, index[field])
            il = vocab.encode(index[field])
            self.left[field] = vocab.encode(left)
            self.vocabs[field] = (vocab, il)
            if comp.levels[0].tf_adjusted:
                self.tf[field] = term_frequency_u(
                    pidx, il, vocab.values.len(), comp.levels[0].u, n_people, config.tf_pseudo
                )
                self.index_codes[field] = il


class PairScores:
    """Levels of every candidate pair of a block, and the weights they earn under given parameters."""

    def __init__(
        self,
        pairs: pl.DataFrame,
        inputs: ScoringInputs,
        records: pl.DataFrame | None = None,
        config: LinkConfig = LINK_CONFIG,
    ):
        """``pairs`` (``qid, iid``) are pairs of *identities* (rows of the identities of
        ``inputs``), sorted by identity. ``records`` (``id``, ``iq`` = the identity,
        ``postcode``; those of the pairs' identities, or more) are the distinct queries with
        their postcode: every identity pair is scored once and then copied to each of the
        identity's postcodes, where only the postcode is compared. A no-DOB "John Smith"
        mentioned at fifty addresses is compared by name once, not fifty times."""
        # 32-bit indices throughout (an index into the pairs, the identities or the index
        # rows): half the memory of numpy's default, the same values.
        # Views of the pairs' columns where they are UInt32 already (no copy).
        iq = pairs["qid"].to_numpy().astype(np.uint32, copy=False)
        iid_i = pairs["iid"].to_numpy().astype(np.uint32, copy=False)
        if records is None:
            src = np.arange(iq.size, dtype=np.uint32)
            self.qid = iq
        else:
            # Copy each identity pair to the records (identity + postcode) sharing it.
            src, self.qid = _copy_to_records(iq, records, inputs.n_identities)
        self.iid = iid = iid_i[src]
        #: Record pair -> identity pair. Everything but the postcode is compared, and
        #: weighed, once per identity pair; only the postcode and what depends on it
        #: (the household rules) are done per record pair.
        self.src = src
        self.query_chunk = config.query_chunk
        #: ``_exact_weights`` by (comparison, tf array): (m, tf, log2(m / tf)).
        self._exact_cache: dict[tuple[str, int], tuple[float, np.ndarray, np.ndarray]] = {}
        qid = iq  # identity-level comparisons below
        self.inputs = inputs
        # What weighing reads of the shared inputs.
        self.pidx, self.tf, self.index_codes = inputs.pidx, inputs.tf, inputs.index_codes
        names = inputs.names
        q_fn, q_sn = inputs.q_fn, inputs.q_sn
        i_fn, i_sn = inputs.i_fn, inputs.i_sn
        lv_fn = field_levels(FORENAME, q_fn[qid], i_fn[iid_i], names)
        lv_sn = field_levels(SURNAME, q_sn[qid], i_sn[iid_i], names)
        # Names the wrong way round: only worth scoring where an initial crosses over.
        # Initials as integer codes (0 = none): the same equalities as the strings,
        # without object arrays of every pair's initials.
        ini = inputs.initials
        q_fn_ini = ini[q_fn][qid]
        cross = (q_fn_ini != 0) & ((q_fn_ini == ini[i_sn][iid_i]) | (ini[q_sn][qid] == ini[i_fn][iid_i]))
        del q_fn_ini
        not_exact = ~((lv_fn == 1) & (lv_sn == 1))
        #: Identity pairs read both ways round, and each identity pair's place among them.
        self.swap_sel = sel_i = np.flatnonzero(cross & not_exact)
        self.swap_pos = pos = np.full(iq.size, -1, dtype=np.int32)
        pos[sel_i] = np.arange(sel_i.size)
        fn_x = field_levels(FORENAME, q_fn[qid[sel_i]], i_sn[iid_i[sel_i]], names)
        sn_x = field_levels(SURNAME, q_sn[qid[sel_i]], i_fn[iid_i[sel_i]], names)
        #: Levels per identity pair (``fn_x``/``sn_x``: per swapped pair); ``postcode`` per record pair.
        self.levels = {"fn": lv_fn, "sn": lv_sn, "fn_x": fn_x, "sn_x": sn_x}
        for field, comp in (("dob", DOB), ("pnc", PNC), ("phone", PHONE), ("postcode", POSTCODE)):
            vocab, il = inputs.vocabs[field]
            ql = inputs.left[field]
            if field == "postcode":
                self.levels[field] = field_levels(comp, ql[self.qid], il[iid], vocab)
            else:
                self.levels[field] = field_levels(comp, ql[qid], il[iid_i], vocab)

    # -- weights --------------------------------------------------------------------
    def _w(self, params: Parameters, comp: Comparison, levels: np.ndarray, tf: np.ndarray | None, rcode) -> np.ndarray:
        table = params.weights(comp.name)
        # ``np.take``: the values of ``table[levels]``, without fancy indexing's cast of the levels.
        if tf is None or not comp.levels[0].tf_adjusted:
            return np.take(table, levels)
        # Exact agreement weighs log2(m / tf(value)); a weaker agreement never counts
        # more than exact agreement on the same value; null (level 0) weighs 0.
        table = table.copy()
        table[1] = np.inf
        w = np.take(table, levels)
        np.minimum(w, np.take(self._exact_weights(params, comp, tf), rcode), out=w)
        w[levels == 0] = 0.0
        return w

    def _exact_weights(self, params: Parameters, comp: Comparison, tf: np.ndarray) -> np.ndarray:
        """``np.log2(m / tf)`` for every value of ``tf`` (``m``: the comparison's exact level),
        worked out once per ``m`` and reused by every range ``weights`` is asked for, not
        once per range (the same array, computed the same way)."""
        m = params.m[comp.name][1]
        key = (comp.name, id(tf))
        cached = self._exact_cache.get(key)
        if cached is None or cached[0] != float(m) or cached[1] is not tf:
            cached = (float(m), tf, np.log2(m / tf))
            self._exact_cache[key] = cached
        return cached[2]

    @staticmethod
    def _household_names(
        params: Parameters,
        tf: dict[str, np.ndarray],
        h: np.ndarray,
        i: np.ndarray,
        ids: _Gathered,
        straight: np.ndarray,
        swapped: np.ndarray,
        sn_w: np.ndarray,
        sn_x: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The name weights of rows ``i`` (straight and swapped readings) with the
        surname's u raised to ``h + (1 − h)·u`` (the household rule)."""
        m_sn = params.m["surname"][1]
        tf_u = tf["sn"][ids.rcode_sn[i]]
        straight_h = straight[i] - (sn_w[i] - np.minimum(sn_w[i], np.log2(m_sn / (h + (1.0 - h) * tf_u))))
        swapped_h = swapped[i].copy()
        has = np.flatnonzero(ids.has_swap[i])
        if has.size:
            # Swapped reading: its surname is the index's forename.
            swapped_rows = i[has]
            tf_x = tf["fn"][ids.rcode_fn[swapped_rows]]
            swapped_sn = sn_x[swapped_rows]
            swapped_h[has] -= swapped_sn - np.minimum(swapped_sn, np.log2(m_sn / (h[has] + (1.0 - h[has]) * tf_x)))
        return straight_h, swapped_h

    def _gather(self, lo: int, hi: int) -> _Gathered:
        """The identity-level levels and codes of record pairs ``lo:hi``, one row per record pair."""
        # As ``intp`` once: numpy casts any other index array on every gather below.
        ids = self.src[lo:hi].astype(np.intp)
        lv = self.levels
        pos = self.swap_pos[ids]
        swap_rows = np.flatnonzero(pos >= 0)
        # A record pair's index row is its identity pair's: the right-hand codes of both.
        rows = self.iid[lo:hi].astype(np.intp)
        codes = self.index_codes
        rc_phone = codes.get("phone")
        rc_postcode = codes.get("postcode")
        return _Gathered(
            fn=lv["fn"][ids],
            sn=lv["sn"][ids],
            dob=lv["dob"][ids],
            pnc=lv["pnc"][ids],
            phone=lv["phone"][ids],
            postcode=lv["postcode"][lo:hi],
            rcode_fn=codes["fn"][rows],
            rcode_sn=codes["sn"][rows],
            rcode_phone=None if rc_phone is None else rc_phone[rows],
            rcode_postcode=None if rc_postcode is None else rc_postcode[rows],
            has_swap=pos >= 0,
            swap_rows=swap_rows,
            fn_x=lv["fn_x"][pos[swap_rows]],
            sn_x=lv["sn_x"][pos[swap_rows]],
        )

    def weights(self, params: Parameters, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Total weight of record pairs ``lo:hi`` (default all) and whether the swapped
        reading of the names was used. Each record pair's weight is computed from its own
        levels only, so any range gives the same values as the whole."""
        hi = self.qid.size if hi is None else hi
        g = self._gather(lo, hi)
        tf = self.tf
        n = hi - lo
        sn_w = self._w(params, SURNAME, g.sn, tf["sn"], g.rcode_sn)
        straight = self._w(params, FORENAME, g.fn, tf["fn"], g.rcode_fn) + sn_w
        # Twins: surname and DOB agreeing with a plainly different forename is much
        # likelier between siblings than chance agreement suggests.
        else_fn = len(FORENAME.levels)
        twin = (g.fn == else_fn) & (g.sn == 1) & (g.dob == 1)
        straight = np.where(twin, straight - params.config.twin_bits, straight)
        swapped = np.full(n, -np.inf)
        sel = g.swap_rows
        sn_x = np.zeros(n)
        if sel.size:
            sn_x[sel] = self._w(params, SURNAME, g.sn_x, tf["fn"], g.rcode_fn[sel])
            swapped[sel] = (
                self._w(params, FORENAME, g.fn_x, tf["sn"], g.rcode_sn[sel])
                + sn_x[sel]
                + math.log2(params.config.swap_m)
            )
        rest = self._w(params, DOB, g.dob, None, None) + self._w(params, PNC, g.pnc, None, None)
        phone_w = self._w(params, PHONE, g.phone, tf.get("phone"), g.rcode_phone)
        # Households: given a shared home postcode or phone number, a shared surname is
        # partly what a relative looks like: its u becomes h + (1 - h) * u(surname).
        same_phone = g.phone == 1
        straight_id, swapped_id = straight, swapped
        on_phone = np.flatnonzero(same_phone)
        if on_phone.size:
            straight_id, swapped_id = straight.copy(), swapped.copy()
            h = np.full(on_phone.size, params.household_h[("surname", "phone")])
            straight_id[on_phone], swapped_id[on_phone] = self._household_names(
                params, tf, h, on_phone, g, straight, swapped, sn_w, sn_x
            )
        use_swap = swapped_id > straight_id
        total = np.where(use_swap, swapped_id, straight_id) + rest + phone_w
        del straight_id, swapped_id
        total += self._w(params, POSTCODE, g.postcode, tf.get("postcode"), g.rcode_postcode)
        home = np.flatnonzero(g.postcode == 1)
        if home.size:
            i = home
            h = np.maximum(
                params.household_h[("surname", "postcode")],
                np.where(same_phone[i], params.household_h[("surname", "phone")], 0.0),
            )
            straight_h, swapped_h = self._household_names(params, tf, h, i, g, straight, swapped, sn_w, sn_x)
            swap_h = swapped_h > straight_h
            # A shared number on top of a shared home postcode: the household's landline.
            h_phone_postcode = params.household_h[("phone", "postcode")]
            phone_cap = math.log2(
                params.m["phone"][1] / (h_phone_postcode + (1.0 - h_phone_postcode) * params.u["phone"][1])
            )
            phone_w_home = np.where(same_phone[i], np.minimum(phone_w[i], phone_cap), phone_w[i])
            rc_home = None if g.rcode_postcode is None else g.rcode_postcode[home]
            total[home] = (
                np.where(swap_h, swapped_h, straight_h)
                + rest[i]
                + phone_w_home
                + self._w(params, POSTCODE, g.postcode[home], tf.get("postcode"), rc_home)
            )
            use_swap[home] = swap_h
        return total, use_swap

    def _chunks(self) -> list[tuple[int, int]]:
        """Record-pair ranges of ``config.query_chunk`` queries each (record pairs are in
        query order, so a (query, person) group lies in one range)."""
        qid = self.qid
        if qid.size == 0:
            return [(0, 0)]
        step = self.query_chunk
        bounds = np.arange(0, int(qid[-1]) + 1 + step, step, dtype=np.int64)
        # Searched with values of ``qid``'s own type where they fit: numpy would otherwise copy
        # every pair's ``qid`` to the common type on each call.
        if qid.dtype == np.uint32 and int(bounds[-1]) <= np.iinfo(np.uint32).max:
            bounds = bounds.astype(np.uint32)
        edges = np.searchsorted(qid, bounds)
        return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]

    def frame(self, params: Parameters, min_weight: float = -np.inf) -> pl.DataFrame:
        """Pairs with their levels and total weight; pairs weighing less than
        ``min_weight`` are left out (they cannot matter to any posterior)."""
        parts: list[pl.DataFrame] = []
        for lo, hi in self._chunks():
            total, use_swap = self.weights(params, lo, hi)
            parts.append(self._frame(total, use_swap, np.flatnonzero(total >= min_weight), lo))
        return pl.concat(parts) if len(parts) > 1 else parts[0]

    def best_versions(self, params: Parameters, min_weight: float = -np.inf, *, top_only: bool = False) -> pl.DataFrame:
        """``decision.best_versions(self.frame(params, min_weight))``, weighed and built for
        ``config.query_chunk`` queries at a time so that neither the weights of every pair
        nor the full pair frame ever exist: a (query, person) group lies in one chunk, so
        the result is the same. ``top_only``: only each query's best candidate
        (``decision.top_per_query`` of that), also chunk by chunk."""
        parts: list[pl.DataFrame] = []
        for lo, hi in self._chunks():
            total, use_swap = self.weights(params, lo, hi)
            keep = np.flatnonzero(total >= min_weight)
            if keep.size or not parts:
                part = best_versions(self._frame(total, use_swap, keep, lo))
                parts.append(top_per_query(part) if top_only else part)
        if len(parts) == 1:
            return parts[0]
        # Chunks in query order, each sorted by query: the whole is sorted by query.
        return pl.concat(parts).with_columns(pl.col("qid").set_sorted())

    def _frame(self, total: np.ndarray, use_swap: np.ndarray, keep: np.ndarray, offset: int = 0) -> pl.DataFrame:
        """The frame of record pairs ``offset + keep``; ``total``, ``use_swap`` and ``keep``
        are relative to ``offset``."""
        at = keep + offset
        i = self.src[at]
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
                "qid": self.qid[at].astype(np.uint32),
                "iid": self.iid[at].astype(np.uint32),
                "pidx": self.pidx[self.iid[at]].astype(np.uint32),
                "fn_level": fn_level,
                "sn_level": sn_level,
                "swapped": swapped,
                "dob_level": lv["dob"][i],
                "pnc_level": lv["pnc"][i],
                "phone_level": lv["phone"][i],
                "postcode_level": lv["postcode"][at],
                "weight": total[keep],
            }
        )
