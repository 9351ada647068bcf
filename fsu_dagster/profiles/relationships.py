"""Relationships between people (Connect ``connect_relationships``), read from either side.

Connect records, per investigation, *what the suspect is to the victim*. A profile needs
the same fact from the cohort person's point of view, so each recorded value has an
inverse: *what the victim is to the suspect*.

===============  =================  ============================================
recorded         inverse            why
===============  =================  ============================================
PARENT           CHILD              the suspect is the victim's parent, so the
                                    victim is the suspect's child
CHILD            PARENT
PARTNER          PARTNER            symmetric
EX-PARTNER       EX-PARTNER         symmetric
SIBLING          SIBLING            symmetric
OTHER FAMILY     OTHER FAMILY       symmetric at this level of detail (an uncle's
                                    nephew is also "other family")
FRIEND           FRIEND             symmetric
ACQUAINTANCE     ACQUAINTANCE       symmetric
NEIGHBOUR        NEIGHBOUR          symmetric
STRANGER         STRANGER           symmetric
PROFESSIONAL     PROFESSIONAL       the true inverse is "client" (of a carer,
                                    teacher, support worker...), which the contract's
                                    enum does not have; keeping PROFESSIONAL tells a
                                    reader "a professional relationship" from either
                                    side, which is what matters on the dashboard
UNKNOWN          UNKNOWN            nothing to invert
===============  =================  ============================================

A value outside the enum inverts to ``UNKNOWN`` (it cannot be read backwards safely).

Two labels are the profiles' own and never come from Connect:

* ``SELF``: the caller is the person themself (ControlWorks caller relationships).
* ``RELATIONSHIP UNKNOWN``: no relationship could be established (no match at all).
  Connect's recorded ``UNKNOWN`` ("these two people are linked, how is unknown") is kept
  as ``UNKNOWN`` so the two cases stay apart.
"""

from __future__ import annotations

import polars as pl

from fsu_dagster.contract import RELATIONSHIPS

SELF = "SELF"
RELATIONSHIP_UNKNOWN = "RELATIONSHIP UNKNOWN"
UNKNOWN = "UNKNOWN"

#: What the victim is to the suspect, given what the suspect is to the victim.
INVERSE: dict[str, str] = {r: r for r in RELATIONSHIPS} | {"PARENT": "CHILD", "CHILD": "PARENT"}


def invert_relationship(expr: pl.Expr | str) -> pl.Expr:
    """Read a recorded relationship backwards (see the module table); nulls stay null."""
    e = pl.col(expr) if isinstance(expr, str) else expr
    e = e.cast(pl.String).str.strip_chars().str.to_uppercase()
    return pl.when(e.is_null()).then(None).otherwise(e.replace_strict(INVERSE, default=UNKNOWN, return_dtype=pl.String))


def relationship_pairs(
    connect_relationships: pl.DataFrame, connect_investigations: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every recorded relationship from both sides, one row per (investigation, side).

    Columns: ``investigation_id, person_id, side`` (``SUSPECT/OFFENDER`` or ``VICTIM``: the
    side ``person_id`` stands on), ``other_person_id``,
    ``person_to_other`` (what ``person_id`` is to ``other_person_id``),
    ``other_to_person`` (what ``other_person_id`` is to ``person_id``), and ``recorded_at``
    (from the investigation; null when ``connect_investigations`` is not given).
    A row whose victim and suspect are the same person is dropped (nothing to relate).
    """
    rel = (
        connect_relationships.select(
            pl.col("investigation_id").cast(pl.String),
            pl.col("victim_id").cast(pl.String),
            pl.col("suspect_id").cast(pl.String),
            pl.col("relationship").cast(pl.String).str.strip_chars().str.to_uppercase(),
        )
        .filter(
            pl.col("victim_id").is_not_null()
            & pl.col("suspect_id").is_not_null()
            & (pl.col("victim_id") != pl.col("suspect_id"))
        )
        .unique()
    )
    as_suspect = rel.select(
        "investigation_id",
        pl.col("suspect_id").alias("person_id"),
        pl.lit("SUSPECT/OFFENDER").alias("side"),
        pl.col("victim_id").alias("other_person_id"),
        pl.col("relationship").alias("person_to_other"),
        invert_relationship("relationship").alias("other_to_person"),
    )
    as_victim = rel.select(
        "investigation_id",
        pl.col("victim_id").alias("person_id"),
        pl.lit("VICTIM").alias("side"),
        pl.col("suspect_id").alias("other_person_id"),
        invert_relationship("relationship").alias("person_to_other"),
        pl.col("relationship").alias("other_to_person"),
    )
    pairs = pl.concat([as_suspect, as_victim])
    if connect_investigations is not None:
        rec = connect_investigations.select(pl.col("investigation_id").cast(pl.String), pl.col("recorded_at")).unique(
            "investigation_id", keep="last"
        )
        pairs = pairs.join(rec, on="investigation_id", how="left")
    else:
        pairs = pairs.with_columns(pl.lit(None, dtype=pl.Datetime("us")).alias("recorded_at"))
    return pairs


def relationship_table(pairs: pl.DataFrame) -> pl.DataFrame:
    """One relationship per (person, related person): what the related person is to the person.

    From ``relationship_pairs`` output (already restricted as the caller wishes). When the
    pair has different relationships on different investigations, a known value beats
    ``UNKNOWN``, then the most recently recorded investigation wins (relationships change:
    PARTNER becomes EX-PARTNER), then the alphabetically first value (deterministic).
    Columns: ``person_id, related_person_id, relationship, investigations`` (distinct
    investigations that record the pair).
    """
    counts = pairs.group_by("person_id", "other_person_id").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations")
    )
    best = (
        pairs.sort(
            [pl.col("other_to_person") == UNKNOWN, "recorded_at", "other_to_person"],
            descending=[False, True, False],
            nulls_last=True,
        )
        .group_by("person_id", "other_person_id", maintain_order=True)
        .first()
        .select("person_id", "other_person_id", pl.col("other_to_person").alias("relationship"))
    )
    return (
        best.join(counts, on=["person_id", "other_person_id"])
        .rename({"other_person_id": "related_person_id"})
        .select("person_id", "related_person_id", "relationship", "investigations")
        .sort("person_id", "related_person_id")
    )
