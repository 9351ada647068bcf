"""Decision: from scored candidate pairs to links.

* ``best_versions``: a person's best-matching version counts, once per query;
* ``posterior``: a query's hypotheses are "it is index person *j*" (prior ``ρ / N``
  each) and "it is nobody in the index" (prior ``1 − ρ``); the posterior of each
  candidate is the ``score``. Ambiguity is built in: two equally good people each get
  at most 0.5, so neither links;
* ``frequency_units`` / ``posterior_by_units``: the prior of a person raised by how often
  they are already surely linked (someone who rang forty times is the likelier "John Smith");
* ``reason_expr``: what agreed and what did not, as the link's ``reason``;
* ``decide``: each query's best candidate when its posterior reaches the threshold.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from fsu_dagster.identity.comparisons import DOB, FORENAME, PHONE, PNC, POSTCODE, SURNAME, Comparison
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig

__all__ = [
    "REASON_COLUMNS",
    "RECORD_LINK_COLUMNS",
    "CandidateParts",
    "Candidates",
    "FrequencyPrior",
    "best_versions",
    "decide",
    "frequency_units",
    "posterior_by_units",
    "level_labels",
    "normalise_posterior",
    "posterior",
    "reason_expr",
    "with_reason",
    "top_per_query",
]

#: Columns of a linking function's result: one row per linked query record.
RECORD_LINK_COLUMNS = ("record_id", "person_id", "score", "reason")


def best_versions(scored: pl.DataFrame) -> pl.DataFrame:
    """The best-weighted version per (query, person), sorted by ``qid, pidx``."""
    if scored.height == 0:
        return scored
    key = (scored["qid"].to_numpy().astype(np.uint64) << np.uint64(32)) | scored["pidx"].to_numpy().astype(np.uint64)
    weight = scored["weight"].to_numpy()
    if key.size > 1 and bool(np.all(key[1:] >= key[:-1])):
        # Already in (query, person) order (the usual case): the first best row of each
        # run, in one pass. Same choice as the sort below (ties keep the earlier row).
        return scored[_first_of_the_heaviest(key, weight)].with_columns(pl.col("qid").set_sorted())
    order = np.lexsort((-weight, key))
    sk = key[order]
    first = order[np.r_[True, sk[1:] != sk[:-1]]]
    return scored[first]


def top_per_query(best: pl.DataFrame) -> pl.DataFrame:
    """Each query's best candidate: of the rows of ``best`` (sorted by ``qid``), the first of
    the highest ``weight`` per ``qid`` (a stable sort by weight, then the first per query)."""
    if best.height == 0:
        return best
    rows = _first_of_the_heaviest(best["qid"].to_numpy(), best["weight"].to_numpy())
    return best[rows].with_columns(pl.col("qid").set_sorted())


def _first_of_the_heaviest(group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For rows in runs of equal ``group`` (sorted), each run's first row of the highest weight."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    counts = np.diff(np.r_[starts, group.size])
    hit = np.flatnonzero(weight == np.repeat(np.maximum.reduceat(weight, starts), counts))
    run = np.repeat(np.arange(starts.size), counts)[hit]
    return hit[np.r_[True, run[1:] != run[:-1]]]


def posterior(best: pl.DataFrame, prior: pl.Expr) -> pl.DataFrame:
    """``score`` = posterior of each candidate person: ``2^w / (1 + Σ 2^w)`` over the
    query's candidates, w = prior log-odds + weight (computed relative to the maximum).
    Returned sorted by ``qid``."""
    best = best.sort("qid")
    if best.height == 0:
        return best.with_columns(pl.lit(None, pl.Float64).alias("score"), pl.lit(None, pl.Float64).alias("log_odds"))
    lo = best.select((pl.col("weight") + prior).cast(pl.Float64)).to_series().to_numpy()
    qid = best["qid"].to_numpy()
    return best.with_columns(pl.Series("score", normalise_posterior(qid, lo)), pl.Series("log_odds", lo))


def normalise_posterior(group: np.ndarray, lo: np.ndarray) -> np.ndarray:
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


#: ``FrequencyPrior.plan`` looks the priors up in a table of every (query group, person) when
#: it has no more cells than there are candidates, or than this; else it searches the counted pairs.
_PRIOR_TABLE_CELLS = 1 << 20


@dataclass
class FrequencyPrior:
    """The frequency prior's counts (see :func:`frequency_units`): the decision units
    (``qid, _g, _gi, _u``), each (query group, person)'s sure count ``_c`` and each group's
    total ``_C``. Worked out once from every query's sure candidate; :meth:`plan` then
    applies it to any slice of the candidates whose queries it holds whole."""

    units: pl.DataFrame
    counts: pl.DataFrame
    totals: pl.DataFrame
    n_eff: int
    rho: float

    @classmethod
    def from_sure(
        cls, sure: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float, config: LinkConfig = LINK_CONFIG
    ) -> FrequencyPrior:
        """``sure``: candidate rows ``qid, pidx, score`` that include every row with
        ``score >= config.sure_score`` (others are ignored), in candidate order."""
        # The query group as a small integer in the group's sort order (same unit numbering as
        # sorting by the text): joins of ten million candidates on a text key cost a gigabyte.
        codes = record_map.select(pl.col("_g").unique().sort()).with_row_index("_gi")
        units = (
            record_map.group_by("qid", "_g")
            .agg(pl.len().alias("_k"))
            .join(codes, on="_g")
            .sort("qid", "_gi")
            .with_row_index("_u")
            .with_columns(pl.col("_u").cast(pl.UInt32))
        )
        # Sure (≥ 0.99 > ½): at most one candidate per record group qualifies.
        top = sure.filter(pl.col("score") >= config.sure_score).select("qid", "pidx").unique("qid", keep="first")
        counts = units.join(top, on="qid").group_by("_gi", "pidx").agg(pl.col("_k").sum().cast(pl.Float64).alias("_c"))
        totals = counts.group_by("_gi").agg(pl.col("_c").sum().alias("_C"))
        return cls(units=units, counts=counts, totals=totals, n_eff=n_eff, rho=rho)

    def record_map(self, record_map: pl.DataFrame) -> pl.DataFrame:
        """The record map pointing to the units (``qid`` = unit)."""
        return record_map.join(self.units.select("qid", "_g", "_u"), on=["qid", "_g"]).select(
            "record_id", pl.col("_u").alias("qid"), "_g"
        )

    def plan(self, best: pl.DataFrame) -> pl.DataFrame:
        """For each candidate of each unit, its row in ``best`` (``_row``), its unit and its
        prior, in unit order (within a unit the candidates keep their order, by person).

        The rows of joining the candidates with the units on ``qid`` and the priors of the
        counts, without the joins: the units are sorted by ``qid`` (``_u`` is their row), so a
        unit's candidates are its query's run of the candidates sorted by ``qid`` (a stable
        sort: they keep their order), and each prior is worked out once per (query group,
        person) with a sure count and once per group for everyone else."""
        qid = best["qid"].to_numpy()
        unit_qid = self.units["qid"].to_numpy()
        order = None if qid.size < 2 or bool(np.all(qid[1:] >= qid[:-1])) else np.argsort(qid, kind="stable")
        sorted_qid = qid if order is None else qid[order]
        first = np.searchsorted(sorted_qid, unit_qid, side="left")
        count = np.searchsorted(sorted_qid, unit_qid, side="right") - first
        unit = np.repeat(np.arange(unit_qid.size, dtype=np.uint32), count)
        rows = np.arange(unit.size, dtype=np.int64)
        rows += np.repeat(first - (np.cumsum(count) - count), count)
        if order is not None:
            rows = order[rows]
        group = self.units["_gi"].to_numpy()[unit]
        pidx = best["pidx"].to_numpy()[rows]
        return pl.DataFrame(
            {
                "_row": rows.astype(np.uint32),
                "_u": unit,
                "_prior": self._priors(group, pidx),
            }
        )

    def _priors(self, group: np.ndarray, pidx: np.ndarray) -> np.ndarray:
        """The prior of each (query group code, person) row: ``log2(ρ / (1 − ρ))`` plus
        ``log2(max((c + 1) / (C + N), 1 / N))`` (``c`` the person's sure count in the group,
        ``C`` the group's total, both 0 when absent), evaluated by polars once per group and
        once per counted (group, person), then looked up."""
        base = math.log2(self.rho / (1 - self.rho))
        n_eff = self.n_eff
        share = (pl.col("_c").fill_null(0.0) + 1.0) / (pl.col("_C").fill_null(0.0) + n_eff)
        prior = (base + pl.max_horizontal(share, pl.lit(1.0 / n_eff)).log(2)).alias("_prior")
        n_groups = int(self.units["_gi"].to_numpy().max(initial=0)) + 1 if self.units.height else 0
        groups = pl.DataFrame(
            {"_gi": np.arange(n_groups, dtype=np.uint32), "_c": pl.Series([None] * n_groups, dtype=pl.Float64)}
        )
        # Everyone without a sure count in the group: (0 + 1) / (C + N).
        default = (
            groups.join(self.totals, on="_gi", how="left", maintain_order="left").select(prior).to_series().to_numpy()
        )
        counted = self.counts.join(self.totals, on="_gi", how="left").select("_gi", "pidx", prior)
        c_group = counted["_gi"].to_numpy().astype(np.int64)
        c_pidx = counted["pidx"].to_numpy().astype(np.int64)
        c_prior = counted["_prior"].to_numpy()
        n_people = int(max(pidx.max(initial=0), c_pidx.max(initial=0))) + 1
        if n_groups * n_people <= max(pidx.size, _PRIOR_TABLE_CELLS):
            # A table of every (group, person): no larger than the priors themselves (or small).
            table = np.repeat(default, n_people)
            table[c_group * n_people + c_pidx] = c_prior
            return table[group.astype(np.int64) * n_people + pidx]
        # Many groups: the counted (group, person) keys, sorted, searched.
        key = group.astype(np.int64) * n_people + pidx
        c_key = c_group * n_people + c_pidx
        by_key = np.argsort(c_key)
        c_key, c_prior = c_key[by_key], c_prior[by_key]
        out = default[group]
        pos = np.searchsorted(c_key, key)
        hit = pos < c_key.size
        hit[hit] = c_key[pos[hit]] == key[hit]
        out[hit] = c_prior[pos[hit]]
        return out


def frequency_units(
    best: pl.DataFrame, record_map: pl.DataFrame, n_eff: int, rho: float, config: LinkConfig = LINK_CONFIG
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The frequency prior: a prior proportional to how often each person is already
    (surely) linked among the queries of the same group (``record_map._g``: ControlWorks'
    role; one group otherwise), ``ρ · (c_gj + 1) / (C_g + N)`` instead of ``ρ / N``. Someone
    who rang forty times is more likely to be the "John Smith" of a call with no DOB than a
    namesake never seen ringing; someone often rung *about* is not thereby the likelier caller.

    The decision units become (record group ``qid``, query group). Returns the plan, worked
    out on three narrow columns of the candidates: for each candidate of each unit, its row in
    ``best`` (``_row``), its unit and its prior, in unit order (within a unit the candidates
    keep their order, by person); and the record map pointing to the units.
    :func:`posterior_by_units` applies the plan to the candidates. (The same as
    :class:`FrequencyPrior`, which the linker uses a block of candidates at a time.)"""
    prior = FrequencyPrior.from_sure(best.select("qid", "pidx", "score"), record_map, n_eff, rho, config)
    return prior.plan(best), prior.record_map(record_map)


def posterior_by_units(handed_over: list[pl.DataFrame], plan: pl.DataFrame) -> pl.DataFrame:
    """The candidates re-ordered into the plan's units (one gather per column, no join of the
    wide frame) and their posterior under the plan's priors, keyed by unit (``qid``).

    The candidates come in a one-element list, which is emptied: each wide column is
    dropped as soon as its re-ordered copy exists, so at most one column is held twice
    (when the caller keeps no other reference), not the whole frame."""
    best = handed_over.pop().drop("score", "log_odds", "qid")
    rows = plan["_row"]
    gathered: list[pl.Series] = []
    for name in best.columns:
        gathered.append(best.get_column(name).gather(rows))
        best = best.drop(name)
    del best
    expanded = pl.DataFrame(gathered).with_columns(plan["_u"].alias("qid").set_sorted(), plan["_prior"])
    del gathered
    return posterior(expanded, pl.col("_prior")).drop("_prior")


def level_labels(comp: Comparison, col: str) -> pl.Expr:
    return pl.col(col).replace_strict(list(range(len(comp.labels))), list(comp.labels), return_dtype=pl.String)


def reason_expr() -> pl.Expr:
    fn, sn, dob = level_labels(FORENAME, "fn_level"), level_labels(SURNAME, "sn_level"), level_labels(DOB, "dob_level")
    pnc, phone, pc = (
        level_labels(PNC, "pnc_level"),
        level_labels(PHONE, "phone_level"),
        level_labels(POSTCODE, "postcode_level"),
    )

    def core(name: str, lab: pl.Expr) -> pl.Expr:
        return (
            pl.when(lab == "exact")
            .then(None)
            .when(lab == "null")
            .then(pl.lit(f"{name}~missing"))
            .otherwise(pl.lit(f"{name}~") + lab)
        )

    def extra(name: str, lab: pl.Expr) -> pl.Expr:
        return (
            pl.when(lab == "null")
            .then(None)
            .when(lab == "exact")
            .then(pl.lit(f"{name}=exact"))
            .otherwise(pl.lit(f"{name}~") + lab)
        )

    parts = pl.concat_list(
        pl.when(pl.col("swapped")).then(pl.lit("names~swapped")).otherwise(None),
        core("forename", fn),
        core("surname", sn),
        core("dob", dob),
        extra("pnc", pnc),
        extra("phone", phone),
        extra("postcode", pc),
    ).list.drop_nulls()
    all_exact = (fn == "exact") & (sn == "exact") & (dob == "exact") & ~pl.col("swapped")
    names_ok = pl.all_horizontal([(lab == "exact") | (lab == "null") for lab in (fn, sn, dob)]) & ~pl.col("swapped")
    return (
        pl.when((pnc == "exact") & names_ok)
        .then(pl.lit("pnc"))
        .when(all_exact & (pnc != "else"))
        .then(pl.lit("name_dob"))
        .otherwise(pl.lit("fuzzy:") + parts.list.join(","))
        .alias("reason")
    )


#: The columns ``reason_expr`` reads.
REASON_COLUMNS = ("fn_level", "sn_level", "dob_level", "pnc_level", "phone_level", "postcode_level", "swapped")


def with_reason(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame.with_columns(reason_expr())``, the reason worked out once per distinct
    combination of the levels it reads (a few hundred, for a million links) and joined back."""
    cols = list(REASON_COLUMNS)
    reasons = frame.select(cols).unique().with_columns(reason_expr())
    return frame.join(reasons, on=cols, how="left", nulls_equal=True, maintain_order="left")


class CandidateParts:
    """The candidates of blocks of queries, one frame a block (each sorted by ``qid``; a
    query's candidates all lie in one block).

    One block stays in memory. From the second block on, every block's frame is written to a
    temporary directory (Arrow IPC, LZ4: at most about 42 bytes a candidate) and read back one at
    a time (a compressed file is read into memory, not mapped, so what a block holds is freed with
    it), so that the decision never holds every block's candidates at once (a met window has about
    a hundred million); the directory is removed with the object."""

    def __init__(self) -> None:
        self._items: list[pl.DataFrame | Path | None] = []
        self._heights: list[int] = []
        self._dir: Path | None = None
        self._written = 0

    def _spill(self) -> None:
        """From now on blocks wait on disk; the one in memory is written first."""
        self._dir = Path(tempfile.mkdtemp(prefix="fsu-candidates-"))
        weakref.finalize(self, shutil.rmtree, self._dir, True)
        for i, item in enumerate(self._items):
            if isinstance(item, pl.DataFrame):
                self.put(i, item)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def height(self) -> int:
        return sum(self._heights)

    def append(self, frame: pl.DataFrame) -> None:
        if self._dir is None and self._items:
            self._spill()
        self._items.append(None)
        self._heights.append(0)
        self.put(len(self._items) - 1, frame)

    def put(self, i: int, frame: pl.DataFrame) -> None:
        """Block ``i``'s candidates are now ``frame``."""
        self._heights[i] = frame.height
        if self._dir is None:
            self._items[i] = frame
            return
        self._written += 1
        path = self._dir / f"block-{i:05d}-{self._written}.arrow"
        frame.write_ipc(path, compression="lz4")
        old = self._items[i]
        self._items[i] = path
        if isinstance(old, Path):
            old.unlink(missing_ok=True)

    def take(self, i: int) -> pl.DataFrame:
        """Block ``i``'s candidates, handed over: an in-memory frame is no longer held here
        (``put`` the block's new frame back)."""
        item = self._items[i]
        if isinstance(item, Path):
            # Arrow IPC does not keep polars' sorted flag: set again (checked) so that a
            # block read back is the same frame that was written.
            frame = pl.read_ipc(item)
            if "qid" in frame.columns and frame["qid"].is_sorted():
                frame = frame.with_columns(pl.col("qid").set_sorted())
            return frame
        if item is None:
            raise RuntimeError(f"block {i} of the candidates was taken and not put back")
        self._items[i] = None
        return item

    def frames(self) -> Iterator[pl.DataFrame]:
        """Every block's candidates, one at a time (kept)."""
        for i in range(len(self._items)):
            frame = self.take(i)
            if self._dir is None:
                self._items[i] = frame
            yield frame

    def concat(self) -> pl.DataFrame:
        """Every block's candidates in one frame, sorted by ``qid, pidx``: the blocks are
        ranges of identities, and a query record group's number follows its first mention,
        so the blocks' ``qid`` ranges interleave."""
        frames = list(self.frames())
        if not frames:
            raise ValueError("no candidates")
        if len(frames) == 1:
            return frames[0]
        return pl.concat(frames).sort("qid", "pidx").with_columns(pl.col("qid").set_sorted())


@dataclass
class Candidates:
    """Every query record's scored candidates, before the decision.

    ``parts``: the candidates, a block of queries at a time (``CandidateParts``), one row per
    (query record group ``qid``, candidate person ``pidx``) with the comparison levels,
    ``weight`` (the evidence, bits), ``log_odds`` (prior + weight, against "nobody in the
    index") and ``score`` (posterior); ``record_map``: ``record_id → qid``; ``persons``:
    ``pidx → person_id``; ``rho``: prior share of queries whose person is in the index."""

    parts: CandidateParts
    record_map: pl.DataFrame
    persons: pl.DataFrame
    rho: float

    @property
    def best(self) -> pl.DataFrame:
        """All the candidates in one frame (every block read at once: for small inputs)."""
        return self.parts.concat()

    @property
    def height(self) -> int:
        return self.parts.height

    def for_queries(self, qids: pl.Series) -> pl.DataFrame:
        """The candidates of the query record groups ``qids``, a block at a time."""
        wanted = pl.DataFrame({"qid": qids.cast(pl.UInt32)}).unique()
        found = [frame.join(wanted, on="qid", how="semi") for frame in self.parts.frames()]
        return pl.concat(found)


def decide(cands: Candidates, threshold: float, *, one_to_one: bool = False) -> pl.DataFrame:
    """Each query record's best candidate, when its posterior reaches ``threshold``."""
    persons, record_map = cands.persons, cands.record_map
    # Only rows that reach the threshold can be chosen, and a query's best candidate
    # reaches it whenever any of its candidates does: filter first, then pick. A query's
    # candidates lie in one block, so the choice is made a block at a time.
    chosen = pl.concat(
        [
            best.filter(pl.col("score") >= threshold)
            .join(persons, on="pidx", how="left")
            .sort(["qid", "score", "person_id"], descending=[False, True, False])
            .group_by("qid", maintain_order=True)
            .first()
            .filter(pl.col("score") >= threshold)
            for best in cands.parts.frames()
        ]
    )
    if one_to_one:
        chosen = chosen.sort(["score", "qid"], descending=[True, False]).unique(
            "pidx", keep="first", maintain_order=True
        )
    chosen = with_reason(chosen).select("qid", "person_id", pl.col("score").clip(0.0, 1.0), "reason")
    out = record_map.join(chosen, on="qid", how="inner").select(RECORD_LINK_COLUMNS).sort("record_id")
    return out.cast({"score": pl.Float64, "reason": pl.String})
