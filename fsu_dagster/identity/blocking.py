"""Blocking: which query/index pairs are compared at all.

Comparing every query with every index version is quadratic (1.6 M mentions × 1 M
versions), so fuzzy linking only scores pairs that share at least one *blocking key*.
Each rule below is designed so that the errors the linker forgives still leave some
other key intact:

==========================  ===========================================================
rule                        key (query side = index side unless noted)
==========================  ===========================================================
``pnc``                     canonical PNC ID
``dob_initial``             DOB + an initial (forename's or surname's first letter), so
                            a typo in one name, a swap of names or a nickname still meets
``dob_swap_initial``        query DOB with day and month exchanged + an initial
``surname_phonetic_year``   metaphone of the surname, and of each part of a hyphenated or
                            double-barrelled surname, + year of birth (fallback: + the
                            forename's initial)
``name_phonetic_pair``      the two soundex codes of forename and surname, *sorted*, so a
                            forename/surname swap gives the same key (fallback: only for
                            queries without a DOB)
``nickname_surname``        forename's nickname group + metaphone of the surname
                            (fallback: only for queries without a DOB)
``forename_phonetic_daymonth``  metaphone of the forename + day and month of birth
                            (surname changed or mistyped and the year mistyped)
``phone``                   phone number (UK national digits)
``postcode_initial``        postcode + an initial
==========================  ===========================================================

Frequent key values make blocks that are large and carry little evidence: a key
value shared by more than ``max_block`` index rows is skipped for that rule (other
rules still see the pair). The three broad rules have a narrower *fallback* used when
they would produce more than ``max_pairs_per_query`` pairs per query on average, which
happens on a force-sized index: a query with a DOB is then found through the DOB
rules, and the name-only keys serve the queries that have no DOB. Keys are hashed to 64-bit integers and joined with
polars, so candidate generation is a handful of hash joins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jellyfish
import polars as pl

from fsu_dagster.identity.config import LINK_CONFIG
from fsu_dagster.identity.nicknames import nickname_groups

__all__ = [
    "BLOCKING_RULES",
    "BlockingRule",
    "add_blocking_columns",
    "candidate_pairs",
    "choose_rules",
    "chunk_pairs",
    "index_keys",
]

KeyFn = Callable[[pl.LazyFrame], pl.LazyFrame]


@dataclass(frozen=True)
class BlockingRule:
    """A named blocking key. ``index_keys`` maps a prepared frame to ``id, key`` rows
    (several per record allowed); ``query_keys`` does the same for queries and defaults
    to ``index_keys``.

    ``fallback``: when the rule would produce more than ``max_pairs_per_query`` pairs
    per query on average (common names in a large index), this narrower rule is used
    instead (see ``candidate_pairs``).
    """

    name: str
    index_keys: KeyFn
    query_keys: KeyFn | None = None
    fallback: BlockingRule | None = None

    def keys_for(self, frame: pl.LazyFrame, side: str) -> pl.LazyFrame:
        fn = self.query_keys if side == "query" and self.query_keys is not None else self.index_keys
        return fn(frame).drop_nulls("key").unique()


def _hash(*cols: pl.Expr) -> pl.Expr:
    # A row with any null component has no key.
    return pl.when(pl.all_horizontal(c.is_not_null() for c in cols)).then(pl.struct(*cols).hash(seed=7)).alias("key")


def _initials(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``id`` plus each record's initials (forename's and surname's first letters), one per row."""
    return (
        frame.select(
            "id",
            "dob",
            "dob_swapped",
            "postcode",
            pl.concat_list(pl.col("fn_key").str.slice(0, 1), pl.col("sn_key").str.slice(0, 1)).alias("initial"),
        )
        .explode("initial")
        .drop_nulls("initial")
    )


def _dob_initial(frame: pl.LazyFrame) -> pl.LazyFrame:
    return _initials(frame).select("id", _hash(pl.col("dob"), pl.col("initial")))


def _dob_swap_initial_query(frame: pl.LazyFrame) -> pl.LazyFrame:
    return _initials(frame).select("id", _hash(pl.col("dob_swapped"), pl.col("initial")))


def _surname_phonetic_year(frame: pl.LazyFrame) -> pl.LazyFrame:
    return (
        frame.select("id", "sn_phon_parts", pl.col("dob").str.slice(0, 4).alias("year"))
        .explode("sn_phon_parts")
        .select("id", _hash(pl.col("sn_phon_parts"), pl.col("year")))
    )


def _surname_phonetic_year_initial(frame: pl.LazyFrame) -> pl.LazyFrame:
    return (
        frame.select(
            "id",
            "sn_phon_parts",
            pl.col("dob").str.slice(0, 4).alias("year"),
            pl.col("fn_key").str.slice(0, 1).alias("fi"),
        )
        .explode("sn_phon_parts")
        .select("id", _hash(pl.col("sn_phon_parts"), pl.col("year"), pl.col("fi")))
    )


def _without_dob(keys: KeyFn) -> KeyFn:
    """The same keys, only for records with no DOB (the DOB rules cover the others)."""
    return lambda frame: keys(frame.filter(pl.col("dob").is_null()))


def _name_phonetic_pair(frame: pl.LazyFrame) -> pl.LazyFrame:
    a, b = pl.col("fn_soundex"), pl.col("sn_soundex")
    lo = pl.when(a <= b).then(a).otherwise(b)
    hi = pl.when(a <= b).then(b).otherwise(a)
    return frame.select("id", _hash(lo, hi))


def _nickname_surname(frame: pl.LazyFrame) -> pl.LazyFrame:
    return (
        frame.select("id", "fn_groups", "sn_metaphone")
        .explode("fn_groups")
        .select("id", _hash(pl.col("fn_groups"), pl.col("sn_metaphone")))
    )


def _forename_phonetic_daymonth(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.select("id", _hash(pl.col("fn_metaphone"), pl.col("dob").str.slice(4, 4)))


def _phone(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.select("id", _hash(pl.col("phone")))


def _pnc(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.select("id", _hash(pl.col("pnc")))


def _postcode_initial(frame: pl.LazyFrame) -> pl.LazyFrame:
    return _initials(frame).select("id", _hash(pl.col("postcode"), pl.col("initial")))


BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("pnc", _pnc),
    BlockingRule("dob_initial", _dob_initial),
    BlockingRule("dob_swap_initial", _dob_initial, _dob_swap_initial_query),
    BlockingRule(
        "surname_phonetic_year",
        _surname_phonetic_year,
        fallback=BlockingRule("surname_phonetic_year_initial", _surname_phonetic_year_initial),
    ),
    BlockingRule(
        "name_phonetic_pair",
        _name_phonetic_pair,
        fallback=BlockingRule("name_phonetic_pair_no_dob", _name_phonetic_pair, _without_dob(_name_phonetic_pair)),
    ),
    BlockingRule(
        "nickname_surname",
        _nickname_surname,
        fallback=BlockingRule("nickname_surname_no_dob", _nickname_surname, _without_dob(_nickname_surname)),
    ),
    BlockingRule("forename_phonetic_daymonth", _forename_phonetic_daymonth),
    BlockingRule("phone", _phone),
    BlockingRule("postcode_initial", _postcode_initial),
)


def _phonetic_table(names: pl.Series) -> pl.DataFrame:
    """``name, metaphone, soundex`` for distinct non-null names (jellyfish, once per name)."""
    distinct = names.drop_nulls().unique().to_list()
    return pl.DataFrame(
        {
            "name": distinct,
            "metaphone": [jellyfish.metaphone(n) or n for n in distinct],
            "soundex": [jellyfish.soundex(n) for n in distinct],
        },
        schema={"name": pl.String, "metaphone": pl.String, "soundex": pl.String},
    )


def add_blocking_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the derived columns the rules use to a prepared frame.

    ``frame`` has ``id`` and the fuzzy normal forms ``fn, sn`` (folded, parts separated
    by spaces), ``fn_key, sn_key`` (no spaces), ``dob`` (``YYYYMMDD``), ``pnc``,
    ``phone``, ``postcode``.
    """
    sn_parts = frame.select("id", pl.col("sn").str.split(" ").alias("part")).explode("part")
    names = pl.concat([frame["fn_key"], frame["sn_key"], sn_parts["part"]]).rename("name")
    phon = _phonetic_table(names)
    part_phon = (
        sn_parts.filter(pl.col("part").str.len_bytes() >= 2)
        .join(phon, left_on="part", right_on="name", how="inner")
        .group_by("id")
        .agg(pl.col("metaphone").unique().alias("part_phon"))
    )
    groups = nickname_groups()
    fn_groups = (
        frame.select("id", "fn_key")
        .join(groups, left_on="fn_key", right_on="name", how="inner")
        .group_by("id")
        .agg(pl.col("group").unique().alias("fn_nick_groups"))
    )
    out = (
        frame.join(
            phon.rename({"name": "fn_key", "metaphone": "fn_metaphone", "soundex": "fn_soundex"}),
            on="fn_key",
            how="left",
        )
        .join(
            phon.rename({"name": "sn_key", "metaphone": "sn_metaphone", "soundex": "sn_soundex"}),
            on="sn_key",
            how="left",
        )
        .join(part_phon, on="id", how="left")
        .join(fn_groups, on="id", how="left")
        .with_columns(
            # Surname keys: the whole surname's code plus each part's.
            sn_phon_parts=pl.concat_list(
                pl.col("sn_metaphone"), pl.col("part_phon").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            )
            .list.drop_nulls()
            .list.unique(),
            # Forename's nickname groups, or the forename itself when it has none.
            fn_groups=pl.when(pl.col("fn_nick_groups").is_not_null())
            .then(pl.col("fn_nick_groups"))
            .otherwise(pl.concat_list(pl.col("fn_key"))),
            dob_swapped=pl.when(
                (pl.col("dob").str.slice(6, 2) <= "12")
                & (pl.col("dob").str.slice(4, 2) != pl.col("dob").str.slice(6, 2))
            ).then(
                pl.concat_str(
                    pl.col("dob").str.slice(0, 4), pl.col("dob").str.slice(6, 2), pl.col("dob").str.slice(4, 2)
                )
            ),
        )
        .drop("part_phon", "fn_nick_groups")
    )
    return out.sort("id")


def _kept_index_keys(rule: BlockingRule, ix: pl.LazyFrame, max_block: int) -> pl.LazyFrame:
    """The rule's index-side ``id, key`` rows, without keys shared by more than ``max_block`` rows."""
    ik = rule.keys_for(ix, "index")
    sizes = ik.group_by("key").agg(pl.len().alias("_n")).filter(pl.col("_n") <= max_block).select("key")
    return ik.join(sizes, on="key", how="semi")


def _pairs_on_keys(qk: pl.LazyFrame, ik: pl.LazyFrame) -> pl.LazyFrame:
    return qk.join(ik, on="key", how="inner", suffix="_i").select(
        pl.col("id").cast(pl.UInt32).alias("qid"), pl.col("id_i").cast(pl.UInt32).alias("iid")
    )


def _rule_pairs(rule: BlockingRule, q: pl.LazyFrame, ix: pl.LazyFrame, max_block: int) -> pl.LazyFrame:
    return _pairs_on_keys(rule.keys_for(q, "query"), _kept_index_keys(rule, ix, max_block))


def _rule_pair_count(rule: BlockingRule, q: pl.LazyFrame, ix: pl.LazyFrame, max_block: int) -> int:
    """How many rows ``_rule_pairs`` would give, from the key counts on each side (the pairs
    of a broad rule are never built just to be counted)."""
    ik = rule.keys_for(ix, "index").group_by("key").agg(pl.len().alias("_n")).filter(pl.col("_n") <= max_block)
    qk = rule.keys_for(q, "query").group_by("key").agg(pl.len().alias("_m"))
    total = (
        qk.join(ik, on="key", how="inner").select((pl.col("_m").cast(pl.Int64) * pl.col("_n")).sum()).collect().item()
    )
    return int(total or 0)


def choose_rules(
    queries: pl.DataFrame,
    index: pl.DataFrame,
    rules: tuple[BlockingRule, ...] = BLOCKING_RULES,
    *,
    max_block: int = LINK_CONFIG.max_block,
    max_pairs_per_query: float = LINK_CONFIG.max_pairs_per_query,
) -> tuple[BlockingRule, ...]:
    """The rules ``candidate_pairs`` runs: a rule with a ``fallback`` that would give more
    than ``max_pairs_per_query`` pairs per query (over all ``queries``) is replaced by its
    fallback."""
    q, ix = queries.lazy(), index.lazy()
    budget = max(max_pairs_per_query * queries.height, 1_000)
    chosen = []
    for rule in rules:
        if rule.fallback is not None:
            if _rule_pair_count(rule, q, ix, max_block) > budget:
                rule = rule.fallback
        chosen.append(rule)
    return tuple(chosen)


def index_keys(index: pl.DataFrame, rules: tuple[BlockingRule, ...], *, max_block: int) -> list[pl.DataFrame]:
    """Each rule's index-side ``id, key`` rows, without the keys shared by more than
    ``max_block`` index rows: worked out once and joined to every chunk of queries."""
    ix = index.lazy()
    return [_kept_index_keys(rule, ix, max_block).collect() for rule in rules]


def chunk_pairs(
    queries: pl.DataFrame, rules: tuple[BlockingRule, ...], keys: list[pl.DataFrame], *, distinct: bool = True
) -> pl.DataFrame:
    """Distinct ``qid, iid`` pairs of ``queries`` (a chunk of them, or all) under ``rules``,
    ``keys`` being ``index_keys(index, rules)``. Unordered. ``distinct=False``: a pair found
    by several rules comes once per rule (for a caller that de-duplicates anyway)."""
    if not rules:
        return pl.DataFrame(schema={"qid": pl.UInt32, "iid": pl.UInt32})
    q = queries.lazy()
    parts = [_pairs_on_keys(rule.keys_for(q, "query"), ik.lazy()) for rule, ik in zip(rules, keys, strict=True)]
    both = pl.concat(parts)
    return (both.unique() if distinct else both).collect()


def candidate_pairs(
    queries: pl.DataFrame,
    index: pl.DataFrame,
    rules: tuple[BlockingRule, ...] = BLOCKING_RULES,
    *,
    max_block: int = LINK_CONFIG.max_block,
    max_pairs_per_query: float = LINK_CONFIG.max_pairs_per_query,
    query_chunk: int = LINK_CONFIG.query_chunk,
) -> pl.DataFrame:
    """Distinct ``qid, iid`` pairs sharing at least one blocking key.

    Both frames come from ``add_blocking_columns`` (their ``id`` columns become
    ``qid``/``iid``). A rule with a ``fallback`` that would give more than
    ``max_pairs_per_query`` pairs per query is replaced by its fallback (``choose_rules``):
    on a small index every rule runs in full; on a force-sized index with common names the
    broad name-only rules are kept for the mentions that have no DOB. Pairs are built for
    ``query_chunk`` queries at a time (``LinkConfig.query_chunk``), which bounds memory.
    """
    chosen = choose_rules(queries, index, rules, max_block=max_block, max_pairs_per_query=max_pairs_per_query)
    if not chosen:
        return pl.DataFrame(schema={"qid": pl.UInt32, "iid": pl.UInt32})
    keys = index_keys(index, chosen, max_block=max_block)
    # The choice above is made on all queries; the pairs are built a chunk of queries at a
    # time (a pair belongs to one query, so each chunk's distinct pairs are final).
    chunks = [
        chunk_pairs(queries.slice(start, query_chunk), chosen, keys)
        for start in range(0, max(queries.height, 1), query_chunk)
    ]
    return pl.concat(chunks)
