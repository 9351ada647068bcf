"""Identity variants: every spelling, DOB, PNC ID and phone number seen per person.

Method 5.1.4 step 1: "all versions of that person on our system are gathered ...
Lists of all possible forenames, surnames, DOB and PNC IDs associated with the
individual are created". This module builds those lists for a window of
``connect_persons`` extracts.
"""

from __future__ import annotations

import polars as pl

__all__ = ["VARIANT_FIELDS", "identity_variants"]

#: ``field`` value in the output -> column of ``connect_persons``.
VARIANT_FIELDS = {
    "forename": "forename",
    "surname": "surname",
    "dob": "dob",
    "pnc_id": "pnc_id",
    "phone": "phone_number",
}

_VERSION_COLUMNS = ("forename", "surname", "dob", "pnc_id", "phone_number")


def identity_variants(persons: pl.DataFrame) -> pl.DataFrame:
    """Long table of identity variants per person.

    ``persons``: ``connect_persons`` rows of the window with their landing ``month``
    (``month, person_id, forename, surname, dob, pnc_id, phone_number``; a missing
    identity column is treated as all null).

    Returns one row per ``person_id, field, value`` (``field`` one of ``forename``,
    ``surname``, ``dob``, ``pnc_id``, ``phone``; ``value`` as typed, surrounding
    whitespace trimmed, DOB as ``YYYY-MM-DD``; empty values dropped) with:

    * ``n_versions``: distinct versions of the person carrying the value (a version is
      a distinct combination of the five identity fields);
    * ``n_months``: landing months in which the value was seen;
    * ``first_seen``, ``last_seen``: first and last such month (``pl.Date``).

    Sorted by ``person_id, field`` (in the order above), then most versions first.
    """
    schema = {
        "person_id": pl.String,
        "field": pl.String,
        "value": pl.String,
        "n_versions": pl.Int64,
        "n_months": pl.Int64,
        "first_seen": pl.Date,
        "last_seen": pl.Date,
    }
    if persons.height == 0:
        return pl.DataFrame(schema=schema)
    cols = []
    for c in _VERSION_COLUMNS:
        if c not in persons.columns:
            cols.append(pl.lit(None, dtype=pl.String).alias(c))
        elif c == "dob":
            dtype = persons.schema[c]
            expr = (
                pl.col(c).dt.strftime("%Y-%m-%d")
                if dtype == pl.Date or isinstance(dtype, pl.Datetime)
                else pl.col(c).cast(pl.String)
            )
            cols.append(expr.str.strip_chars().alias(c))
        else:
            cols.append(pl.col(c).cast(pl.String).str.strip_chars().alias(c))
    base = persons.select(
        pl.col("month").cast(pl.Date),
        pl.col("person_id").cast(pl.String),
        *cols,
    ).filter(pl.col("person_id").is_not_null())
    base = base.with_columns(pl.struct(list(_VERSION_COLUMNS)).hash(seed=11).alias("_version"))

    order = {name: i for i, name in enumerate(VARIANT_FIELDS)}
    long = pl.concat(
        [
            base.select("person_id", "month", "_version", pl.lit(field).alias("field"), pl.col(src).alias("value"))
            for field, src in VARIANT_FIELDS.items()
        ]
    ).filter(pl.col("value").is_not_null() & (pl.col("value").str.len_chars() > 0))
    out = long.group_by("person_id", "field", "value").agg(
        pl.col("_version").n_unique().cast(pl.Int64).alias("n_versions"),
        pl.col("month").n_unique().cast(pl.Int64).alias("n_months"),
        pl.col("month").min().alias("first_seen"),
        pl.col("month").max().alias("last_seen"),
    )
    return (
        out.with_columns(pl.col("field").replace_strict(order, return_dtype=pl.Int8).alias("_order"))
        .sort(["person_id", "_order", "n_versions", "value"], descending=[False, False, True, False])
        .drop("_order")
        .select(list(schema))
    )
