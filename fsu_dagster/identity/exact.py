"""Exact linking: the method's rule for tying a ControlWorks person to a Connect person.

Data contract section 3, "Linking ControlWorks people (exact mode)":

1. If the query's PNC ID (upper case, spaces removed) equals a version's PNC ID, link
   to that person. A PNC ID matching versions of more than one ``person_id`` links
   nobody and is *not* tried by name.
2. Otherwise (no PNC ID, or one that matches no version) link where normalised
   forename, normalised surname and DOB all equal one version's. A name normalising to
   empty is missing; a query missing forename, surname or DOB is not linked. More than
   one distinct ``person_id`` matching by name and DOB: no link.

Everything is a vectorised join, so it runs on millions of mentions.
"""

from __future__ import annotations

import polars as pl

from fsu_dagster.identity.normal_forms import normalise_name, normalise_pnc

__all__ = ["LINK_SCHEMA", "link_exact"]

#: Columns and types of a linking function's result (one row per linked query).
LINK_SCHEMA = {"person_id": pl.String, "score": pl.Float64, "reason": pl.String}


def _empty_links(record_dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(schema={"record_id": record_dtype, **LINK_SCHEMA})


def _unambiguous(keys: pl.LazyFrame, on: list[str]) -> pl.LazyFrame:
    """Per key, the number of distinct person_ids and the person when there is exactly one."""
    return keys.group_by(on).agg(
        pl.col("person_id").n_unique().alias("n_persons"),
        pl.col("person_id").min().alias("person_id"),
    )


def link_exact(queries: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Link queries to persons by the contract's exact rule.

    ``queries``: ``record_id, forename, surname, dob, pnc_id`` (other columns ignored;
    ``record_id`` should be unique). ``index``: ``person_id, forename, surname, dob,
    pnc_id``, several versions per person. Returns one row per linked query:
    ``record_id, person_id, score`` (1.0), ``reason`` (``"pnc"`` or ``"name_dob"``).
    """
    record_dtype = queries.schema["record_id"]
    if queries.height == 0 or index.height == 0:
        return _empty_links(record_dtype)

    q = queries.lazy().select(
        "record_id",
        normalise_pnc("pnc_id").alias("_pnc"),
        normalise_name("forename").alias("_fn"),
        normalise_name("surname").alias("_sn"),
        pl.col("dob").cast(pl.Date).alias("_dob"),
    )
    ix = (
        index.lazy()
        .select(
            pl.col("person_id").cast(pl.String),
            normalise_pnc("pnc_id").alias("_pnc"),
            normalise_name("forename").alias("_fn"),
            normalise_name("surname").alias("_sn"),
            pl.col("dob").cast(pl.Date).alias("_dob"),
        )
        .filter(pl.col("person_id").is_not_null())
    )

    # Step 1: PNC ID.
    by_pnc = _unambiguous(ix.filter(pl.col("_pnc").is_not_null()).select("_pnc", "person_id"), ["_pnc"])
    pnc_hits = q.filter(pl.col("_pnc").is_not_null()).join(by_pnc, on="_pnc", how="inner")
    pnc_links = pnc_hits.filter(pl.col("n_persons") == 1).select(
        "record_id", "person_id", pl.lit(1.0).alias("score"), pl.lit("pnc").alias("reason")
    )
    # Every query whose PNC matched at least one version is settled by step 1 (linked,
    # or ambiguous and left unlinked): it is never tried by name.
    settled = pnc_hits.select("record_id")

    # Step 2: normalised forename + surname + DOB, for the rest.
    keys = ["_fn", "_sn", "_dob"]
    by_name = _unambiguous(
        ix.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)).select(*keys, "person_id"), keys
    )
    name_links = (
        q.join(settled, on="record_id", how="anti")
        .filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        .join(by_name, on=keys, how="inner")
        .filter(pl.col("n_persons") == 1)
        .select("record_id", "person_id", pl.lit(1.0).alias("score"), pl.lit("name_dob").alias("reason"))
    )
    out = pl.concat([pnc_links, name_links]).collect()
    return out.cast({"person_id": pl.String, "score": pl.Float64, "reason": pl.String}).sort("record_id")
