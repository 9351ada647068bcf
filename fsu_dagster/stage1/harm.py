"""Harm caused and harm received (table ``fsu.person_harm``, data contract section 4).

Σ Cambridge Crime Harm Index days over *distinct* investigations where the person is
``SUSPECT`` or ``OFFENDER`` (harm caused: an investigation with both roles counts once)
or ``VICTIM`` (harm received). Offence codes are matched after trimming and upper-casing
both sides. An investigation whose offence code has no harm value (or that is missing
from ``connect_investigations``) counts 0 and is reported by ``unrated_offence_codes``.
"""

from __future__ import annotations

import polars as pl

from fsu_dagster.stage1._common import upper_trim

__all__ = ["CAUSED_ROLES", "RECEIVED_ROLES", "investigation_harm", "person_harm", "unrated_offence_codes"]

CAUSED_ROLES = ("SUSPECT", "OFFENDER")
RECEIVED_ROLES = ("VICTIM",)


def _cchi_table(cchi: pl.DataFrame) -> pl.DataFrame:
    """``offence_code`` (normalised) -> ``harm_days``; conflicting duplicates are an error."""
    table = (
        cchi.select(upper_trim("offence_code").alias("offence_code"), pl.col("harm_days").cast(pl.Float64))
        .filter(pl.col("offence_code").is_not_null() & pl.col("harm_days").is_not_null())
        .unique()
    )
    dup = table.get_column("offence_code").is_duplicated().sum()
    if dup:
        raise ValueError(f"CCHI table gives {dup} rows of conflicting harm values for the same offence code")
    return table


def investigation_harm(investigations: pl.DataFrame, cchi: pl.DataFrame) -> pl.DataFrame:
    """``investigation_id, offence_code, harm_days`` (null when the code has no harm value)."""
    inv = investigations.select(
        pl.col("investigation_id").cast(pl.String), upper_trim("offence_code").alias("offence_code")
    ).unique("investigation_id", keep="first")
    return inv.join(_cchi_table(cchi), on="offence_code", how="left")


def _distinct_role_investigations(person_roles: pl.DataFrame, roles: tuple[str, ...]) -> pl.DataFrame:
    return (
        person_roles.select(
            pl.col("person_id").cast(pl.String),
            pl.col("investigation_id").cast(pl.String),
            upper_trim("role").alias("role"),
        )
        .filter(pl.col("role").is_in(roles) & pl.col("person_id").is_not_null())
        .select("person_id", "investigation_id")
        .unique()
    )


def person_harm(
    person_roles: pl.DataFrame, investigations: pl.DataFrame, cchi: pl.DataFrame, universe: pl.DataFrame
) -> pl.DataFrame:
    """``month, person_id, harm_caused, harm_received`` (Float64 days), one row per universe person.

    ``universe`` is ``person_totals`` (its ``month, person_id`` are carried over);
    ``cchi`` has ``offence_code, harm_days``.
    """
    harm = investigation_harm(investigations, cchi).select("investigation_id", "harm_days")
    out = universe.select([c for c in ("month", "person_id") if c in universe.columns])
    for name, roles in (("harm_caused", CAUSED_ROLES), ("harm_received", RECEIVED_ROLES)):
        per_person = (
            _distinct_role_investigations(person_roles, roles)
            .join(harm, on="investigation_id", how="left")
            .group_by("person_id")
            .agg(pl.col("harm_days").fill_null(0.0).sum().alias(name))
        )
        out = out.join(per_person, on="person_id", how="left").with_columns(
            pl.col(name).fill_null(0.0).cast(pl.Float64)
        )
    return out.sort("person_id")


def unrated_offence_codes(person_roles: pl.DataFrame, investigations: pl.DataFrame, cchi: pl.DataFrame) -> pl.DataFrame:
    """``offence_code, investigations``: distinct investigations counted for harm (a SUSPECT,
    OFFENDER or VICTIM role in the window) whose offence code has no harm value.

    ``offence_code`` is null for role rows whose investigation is not in ``investigations``.
    Sorted by count, then code.
    """
    counted = (
        _distinct_role_investigations(person_roles, CAUSED_ROLES + RECEIVED_ROLES).select("investigation_id").unique()
    )
    return (
        counted.join(investigation_harm(investigations, cchi), on="investigation_id", how="left")
        .filter(pl.col("harm_days").is_null())
        .group_by("offence_code")
        .agg(pl.len().cast(pl.Int64).alias("investigations"))
        .sort(["investigations", "offence_code"], descending=[True, False], nulls_last=True)
    )
