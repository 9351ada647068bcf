"""Provisional individuals for ControlWorks people who match nobody in Connect.

The method wants to find "those people who may be missed": a frequent caller who
has never been in a Connect record is still a frequent caller. In fuzzy mode the
mentions that link to no Connect person are grouped among themselves into
provisional individuals with IDs ``CW:<12 hex digits>``.

Grouping is deliberately conservative (a wrong merge inflates someone's totals).
A mention takes part only if it has a forename, a surname and a DOB or phone number
(a bare name cannot be told apart from other people of that name). Two mentions are
the same individual when (connected components over these edges):

* ``name_dob``: forename, surname and DOB agree exactly (fuzzy normal form);
* ``name_dob_typo``: forename and surname agree exactly and the DOBs differ by a
  day/month swap or a one-digit typo;
* ``dob_similar_name``: the DOB agrees, forename and surname each agree or are close
  (nickname, part of a double-barrelled name, Jaro–Winkler ≥ 0.92) and at least one
  of them agrees exactly;
* ``phone_similar_name``: the phone number agrees, both names agree or are close, and
  the DOBs do not contradict (missing, equal, swapped or one typo apart).

An individual's ID is a hash of its most frequent identity (forename, surname, DOB,
phone, in normal form; ties to the smallest), so rerunning on the same data gives
the same IDs, and an individual keeps its ID as long as its most frequent spelling
stays the same.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from fsu_dagster.identity.comparisons import DOB, FORENAME, SURNAME
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.normal_forms import column_form, dob_key, fold_name, name_key, phone_key
from fsu_dagster.identity.scoring import Vocabulary, field_levels

__all__ = ["CW_PREFIX", "cluster_unlinked", "connected_components"]

CW_PREFIX = "CW:"

_CLOSE_FORENAME = ("exact", "nickname", "jw92")
_CLOSE_SURNAME = ("exact", "part", "jw92")
_DOB_COMPATIBLE = ("null", "exact", "swap", "typo")


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label (smallest member) for nodes ``0..n-1`` joined by edges ``a[i]–b[i]``."""
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size == 0:
        return parent
    while True:
        pa, pb = parent[a], parent[b]
        if np.array_equal(pa, pb):
            return parent
        low = np.minimum(pa, pb)
        np.minimum.at(parent, pa, low)
        np.minimum.at(parent, pb, low)
        while True:  # pointer jumping: every node points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _self_pairs(nodes: pl.DataFrame, on: list[str], max_group: int) -> pl.DataFrame:
    """Distinct node pairs (a < b) sharing the key ``on`` (groups over ``max_group`` skipped)."""
    keyed = nodes.drop_nulls(on)
    small = keyed.group_by(on).agg(pl.len().alias("_n")).filter(pl.col("_n") <= max_group).drop("_n")
    keyed = keyed.join(small, on=on, how="semi").select("node", *on)
    return (
        keyed.join(keyed, on=on, suffix="_b")
        .filter(pl.col("node") < pl.col("node_b"))
        .select(pl.col("node").alias("a"), pl.col("node_b").alias("b"))
    )


_LEVEL_FIELDS = (("fn_level", FORENAME, "fn"), ("sn_level", SURNAME, "sn"), ("dob_level", DOB, "dob"))

_NodeCodes = dict[str, tuple[np.ndarray, Vocabulary]]


def _node_codes(nodes: pl.DataFrame) -> _NodeCodes:
    """Each node's forename, surname and DOB in the comparison's normal form, as value codes
    (by level column; ``Comparison.compare`` puts every pair's values in normal form, here
    each node's value is put in it once)."""
    out = {}
    for name, comp, col in _LEVEL_FIELDS:
        values = nodes.select(comp.normal_form(pl.col(col)).cast(pl.String)).to_series()
        vocab = Vocabulary(values)
        out[name] = (vocab.encode(values), vocab)
    return out


def _levels(pairs: pl.DataFrame, codes: _NodeCodes, names: tuple[str, ...]) -> pl.DataFrame:
    """``pairs`` (``a, b``: node numbers, the rows of ``codes``) with the level labels
    ``names`` (of ``fn_level``, ``sn_level``, ``dob_level``): ``Comparison.compare`` of the
    two nodes' values, worked out on value codes, each distinct pair of values once
    (``scoring.field_levels``, as for the linker's candidate pairs)."""
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    levels = {}
    for name, comp, _ in _LEVEL_FIELDS:
        if name not in names:
            continue
        code, vocab = codes[name]
        numbers = field_levels(comp, code[a], code[b], vocab)
        levels[name] = pl.Series(name, numbers).replace_strict(
            list(range(len(comp.labels))), list(comp.labels), return_dtype=pl.String
        )
    return pairs.with_columns(**levels)


def cluster_unlinked(mentions: pl.DataFrame, config: LinkConfig = LINK_CONFIG) -> pl.DataFrame:
    """Group mentions into provisional ``CW:`` individuals.

    ``mentions``: ``record_id, forename, surname, dob`` and optionally ``phone`` (other
    columns ignored). Returns ``record_id, person_id`` (``CW:…``), ``score`` (1.0: a
    rule, not a probability) and ``reason`` (``"cw:provisional"``) for every mention
    that has enough identity to take part (see the module docstring).
    """
    schema = {
        "record_id": mentions.schema.get("record_id", pl.Int64),
        "person_id": pl.String,
        "score": pl.Float64,
        "reason": pl.String,
    }
    if mentions.height == 0:
        return pl.DataFrame(schema=schema)
    dob_dtype = mentions.schema.get("dob", pl.String())
    # Each normal form once per distinct value (names and numbers repeat); a missing column is all null.
    m = mentions.select(
        "record_id",
        column_form(mentions, fold_name, "forename", alias="fn"),
        column_form(mentions, fold_name, "surname", alias="sn"),
        column_form(mentions, lambda e: dob_key(e, dob_dtype), "dob", alias="dob"),
        column_form(mentions, phone_key, "phone", alias="phone"),
    ).with_columns(fn_key=name_key("fn"), sn_key=name_key("sn"))
    m = m.filter(
        pl.col("fn_key").is_not_null()
        & pl.col("sn_key").is_not_null()
        & (pl.col("dob").is_not_null() | pl.col("phone").is_not_null())
    )
    if m.height == 0:
        return pl.DataFrame(schema=schema)

    ident = ["fn_key", "sn_key", "dob", "phone"]
    nodes = (
        m.group_by(ident)
        .agg(pl.len().alias("n_mentions"), pl.col("fn").min(), pl.col("sn").min())
        .sort(ident, nulls_last=True)
        .with_row_index("node")
        .with_columns(pl.col("node").cast(pl.Int64))
    )

    codes = _node_codes(nodes)  # node i is row i
    edges = []
    # name_dob: identical normal forms, whatever the phone.
    edges.append(_self_pairs(nodes, ["fn_key", "sn_key", "dob"], config.max_cluster_group))
    # name_dob_typo: same names, DOB swapped or one typo apart.
    same_name = _levels(_self_pairs(nodes, ["fn_key", "sn_key"], config.max_cluster_group), codes, ("dob_level",))
    edges.append(same_name.filter(pl.col("dob_level").is_in(["swap", "typo"])).select("a", "b"))
    close_names = pl.col("fn_level").is_in(_CLOSE_FORENAME) & pl.col("sn_level").is_in(_CLOSE_SURNAME)
    # dob_similar_name
    by_dob = _levels(_self_pairs(nodes, ["dob"], config.max_cluster_group), codes, ("fn_level", "sn_level"))
    edges.append(
        by_dob.filter(close_names & ((pl.col("fn_level") == "exact") | (pl.col("sn_level") == "exact"))).select(
            "a", "b"
        )
    )
    # phone_similar_name
    by_phone = _levels(
        _self_pairs(nodes, ["phone"], config.max_cluster_group), codes, ("fn_level", "sn_level", "dob_level")
    )
    edges.append(by_phone.filter(close_names & pl.col("dob_level").is_in(_DOB_COMPATIBLE)).select("a", "b"))
    e = pl.concat(edges).unique()

    component = connected_components(nodes.height, e["a"].to_numpy(), e["b"].to_numpy())
    nodes = nodes.with_columns(
        component=pl.Series(component),
        canonical=pl.concat_str([pl.col(c).fill_null("") for c in ident], separator="|"),
    )
    ids = (
        nodes.sort(["component", "n_mentions", "canonical"], descending=[False, True, False])
        .group_by("component", maintain_order=True)
        .first()
        .select(
            "component",
            pl.col("canonical")
            .map_elements(
                lambda k: CW_PREFIX + hashlib.sha1(k.encode("utf-8")).hexdigest()[:12], return_dtype=pl.String
            )
            .alias("person_id"),
        )
    )
    node_ids = nodes.join(ids, on="component").select(*ident, "person_id")
    return (
        m.join(node_ids, on=ident, how="inner", nulls_equal=True)
        .select(
            "record_id",
            "person_id",
            pl.lit(1.0, pl.Float64).alias("score"),
            pl.lit("cw:provisional").alias("reason"),
        )
        .sort("record_id")
    )
