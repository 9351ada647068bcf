"""Investigations (method 5.1.4 step 3, a-f): every investigation a cohort member has a role in.

All functions take the window's ``connect_investigations`` and ``connect_person_roles``
(and ``connect_relationships`` where relationships matter), restrict them to the cohort
first, and return one table each. "Investigations" always counts *distinct*
investigation IDs, as Stage 1 does; non-crime investigations count.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.identity.normal_forms import postcode_key
from fsu_dagster.profiles._common import NOT_RECORDED, in_cohort, label, norm_address, resolve_month, with_month
from fsu_dagster.profiles.relationships import relationship_pairs, relationship_table

__all__ = [
    "HOME_OFFICE_OUTCOMES",
    "investigation_list",
    "investigation_roles",
    "investigation_outcomes",
    "investigation_relationships",
    "person_relationships",
    "outcomes_by_related_person",
    "investigation_locations",
    "investigation_lpas",
    "outcome_columns",
]

#: Home Office crime outcome types 1-22 (short names, as used in crime outcome statistics).
HOME_OFFICE_OUTCOMES: dict[int, str] = {
    1: "Charged/summonsed",
    2: "Youth caution",
    3: "Adult caution",
    4: "Taken into consideration",
    5: "Offender died",
    6: "Penalty notice for disorder",
    7: "Cannabis/khat warning",
    8: "Community resolution",
    9: "Prosecution not in the public interest (CPS)",
    10: "Formal action not in the public interest (police)",
    11: "Prosecution prevented: suspect under age",
    12: "Prosecution prevented: suspect too ill",
    13: "Prosecution prevented: victim or key witness dead or too ill",
    14: "Evidential difficulties: victim does not support action (suspect not identified)",
    15: "Evidential difficulties: suspect identified, victim supports action",
    16: "Evidential difficulties: suspect identified, victim does not support action",
    17: "Prosecution time limit expired",
    18: "Investigation complete: no suspect identified",
    19: "National Fraud Intelligence Bureau filed",
    20: "Other body or agency has investigation primacy",
    21: "Further investigation not in the public interest (police)",
    22: "Diversionary, educational or intervention activity",
}

_INV_COLS = (
    "investigation_id",
    "recorded_at",
    "offence_code",
    "offence_description",
    "main_group",
    "is_crime",
    "outcome_code",
    "outcome_at",
    "location_address",
    "location_postcode",
    "location_lpa",
    "flags",
    "summary",
)


def outcome_columns() -> list[pl.Expr]:
    """Method 3c: the outcome of an investigation, or its main group when it has no outcome
    yet or is a non-crime. Gives ``outcome_type`` (``OUTCOME`` | ``MAIN GROUP``),
    ``outcome_code`` (Int64, null for MAIN GROUP) and ``outcome`` (display label:
    ``"<code>: <Home Office name>"`` or the main group)."""
    use_outcome = (
        pl.col("outcome_code").is_not_null()
        & pl.col("is_crime").fill_null(True)
        & (pl.col("main_group").cast(pl.String).str.to_uppercase() != "NON-CRIME").fill_null(True)
    )
    code = pl.col("outcome_code").cast(pl.Int64)
    name = code.replace_strict(HOME_OFFICE_OUTCOMES, default="Other outcome", return_dtype=pl.String)
    return [
        pl.when(use_outcome).then(pl.lit("OUTCOME")).otherwise(pl.lit("MAIN GROUP")).alias("outcome_type"),
        pl.when(use_outcome).then(code).otherwise(None).alias("outcome_code"),
        pl.when(use_outcome)
        .then(code.cast(pl.String) + pl.lit(": ") + name)
        .otherwise(pl.coalesce(pl.col("main_group").cast(pl.String).str.to_uppercase(), pl.lit(NOT_RECORDED)))
        .alias("outcome"),
    ]


def _investigations(connect_investigations: pl.DataFrame) -> pl.DataFrame:
    inv = connect_investigations.select([c for c in _INV_COLS if c in connect_investigations.columns])
    return inv.with_columns(pl.col("investigation_id").cast(pl.String)).unique("investigation_id", keep="last")


def _cohort_roles(cohort: pl.DataFrame, connect_person_roles: pl.DataFrame) -> pl.DataFrame:
    roles = in_cohort(connect_person_roles, cohort).select(
        pl.col("investigation_id").cast(pl.String),
        pl.col("person_id").cast(pl.String),
        pl.col("role").cast(pl.String).str.strip_chars().str.to_uppercase(),
        "home_address",
        "home_postcode",
        "home_lpa",
    )
    return roles


def _person_investigations(cohort, connect_investigations, connect_person_roles) -> pl.DataFrame:
    """One row per (cohort person, investigation) with the investigation's columns, the
    person's sorted roles (``;``-joined) and the home address recorded for them there."""
    roles = _cohort_roles(cohort, connect_person_roles)
    inv = _investigations(connect_investigations).join(
        roles.select("investigation_id").unique(), on="investigation_id", how="semi"
    )
    per = roles.group_by("person_id", "investigation_id").agg(
        pl.col("role").unique().sort().str.join(";").alias("roles"),
        pl.col("home_address").drop_nulls().first(),
        pl.col("home_postcode").drop_nulls().first(),
        pl.col("home_lpa").drop_nulls().first(),
    )
    return per.join(inv, on="investigation_id", how="inner")


def investigation_list(
    cohort, connect_investigations, connect_person_roles, *, month: dt.date | None = None
) -> pl.DataFrame:
    """One row per (cohort person, investigation): the details page's investigation list.

    Columns: ``month, person_id, investigation_id, roles`` (e.g. ``SUSPECT;VICTIM``),
    ``recorded_at, offence_code, offence_description, main_group, is_crime, outcome_type,
    outcome_code, outcome, outcome_at, location_address, location_postcode, location_lpa,
    flags, home_address, home_postcode, home_lpa`` (the person's home as recorded on it).
    """
    m = resolve_month(cohort, month)
    pi = _person_investigations(cohort, connect_investigations, connect_person_roles)
    out = pi.with_columns(outcome_columns()).select(
        "person_id",
        "investigation_id",
        "roles",
        "recorded_at",
        "offence_code",
        "offence_description",
        "main_group",
        "is_crime",
        "outcome_type",
        "outcome_code",
        "outcome",
        "outcome_at",
        "location_address",
        "location_postcode",
        "location_lpa",
        "flags",
        "home_address",
        "home_postcode",
        "home_lpa",
    )
    return with_month(out.sort("person_id", "recorded_at", "investigation_id"), m)


def investigation_roles(
    cohort, connect_investigations, connect_person_roles, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Method 3b. Long: ``month, person_id, role, investigations`` (distinct investigations
    in the window where the person has that role; only roles with at least one)."""
    m = resolve_month(cohort, month)
    roles = _cohort_roles(cohort, connect_person_roles).join(
        _investigations(connect_investigations).select("investigation_id"), on="investigation_id", how="semi"
    )
    out = roles.group_by("person_id", "role").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations")
    )
    return with_month(out.sort("person_id", "role"), m)


def investigation_outcomes(
    cohort, connect_investigations, connect_person_roles, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Method 3c. Long: ``month, person_id, outcome_type, outcome_code, outcome, investigations``."""
    m = resolve_month(cohort, month)
    pi = _person_investigations(cohort, connect_investigations, connect_person_roles).with_columns(outcome_columns())
    out = pi.group_by("person_id", "outcome_type", "outcome_code", "outcome").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations")
    )
    return with_month(out.sort("person_id", "outcome_type", "outcome"), m)


def _cohort_pairs(cohort, connect_relationships, connect_investigations) -> pl.DataFrame:
    rel = connect_relationships.filter(
        pl.col("victim_id").is_in(cohort.get_column("person_id").implode())
        | pl.col("suspect_id").is_in(cohort.get_column("person_id").implode())
    )
    inv = _investigations(
        connect_investigations.join(
            rel.select(pl.col("investigation_id").cast(connect_investigations.schema["investigation_id"])).unique(),
            on="investigation_id",
            how="semi",
        )
    )
    return in_cohort(relationship_pairs(rel, inv), cohort)


def investigation_relationships(
    cohort, connect_relationships, connect_investigations, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Methods 3d and 3e: one row per recorded relationship involving a cohort member.

    ``side`` says where the person stands (``SUSPECT/OFFENDER``: method 3d, ``VICTIM``:
    method 3e). Both directions are given, inverted correctly (see ``relationships``):
    ``person_to_other`` is what the person is to the other party (3d's "relationship of
    them to the victim"), ``other_to_person`` what the other party is to the person.
    Columns: ``month, person_id, investigation_id, side, other_person_id, person_to_other,
    other_to_person, recorded_at``.
    """
    m = resolve_month(cohort, month)
    out = _cohort_pairs(cohort, connect_relationships, connect_investigations).select(
        "person_id", "investigation_id", "side", "other_person_id", "person_to_other", "other_to_person", "recorded_at"
    )
    return with_month(out.sort("person_id", "investigation_id", "other_person_id", "side"), m)


def person_relationships(
    cohort, connect_relationships, connect_investigations, *, month: dt.date | None = None
) -> pl.DataFrame:
    """The cohort person's relationship table (used by method 4b and 3f): one row per
    (person, related person) with ``relationship`` = what the related person is to the
    person (known beats ``UNKNOWN``, then the most recent investigation wins).
    Columns: ``month, person_id, related_person_id, relationship, investigations``."""
    m = resolve_month(cohort, month)
    return with_month(relationship_table(_cohort_pairs(cohort, connect_relationships, connect_investigations)), m)


def outcomes_by_related_person(
    cohort, connect_relationships, connect_investigations, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Method 3f: for each person related to a cohort member, the outcomes of the
    investigations that relate them (those recording the pair in ``connect_relationships``).

    Long: ``month, person_id, related_person_id, relationship`` (as in
    ``person_relationships``), ``outcome_type, outcome_code, outcome, investigations``.
    """
    m = resolve_month(cohort, month)
    pairs = _cohort_pairs(cohort, connect_relationships, connect_investigations)
    table = relationship_table(pairs).select("person_id", "related_person_id", "relationship")
    inv = _investigations(connect_investigations).join(
        pairs.select("investigation_id").unique(), on="investigation_id", how="semi"
    )
    inv = inv.with_columns(outcome_columns()).select("investigation_id", "outcome_type", "outcome_code", "outcome")
    out = (
        pairs.select("person_id", pl.col("other_person_id").alias("related_person_id"), "investigation_id")
        .unique()
        .join(inv, on="investigation_id", how="inner")
        .join(table, on=["person_id", "related_person_id"], how="left")
        .group_by("person_id", "related_person_id", "relationship", "outcome_type", "outcome_code", "outcome")
        .agg(pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations"))
    )
    return with_month(out.sort("person_id", "related_person_id", "outcome"), m)


def investigation_locations(
    cohort, connect_investigations, connect_person_roles, connect_relationships, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Method 3a: investigations per location, and whose home the location is.

    Locations are grouped on a normalised key (upper case, letters and digits of the
    address, plus the postcode likewise). ``is_own_home``: the address equals a home
    address recorded for the person on any window investigation. ``is_related_home``: it
    equals a home address recorded (on any window investigation) for someone the person is
    related to in ``connect_relationships``; ``related_relationships`` lists what those
    people are to the person (``;``-joined, sorted). Addresses compare on the address key,
    and also on the postcode when both sides have one. Investigations with no location
    address form one row with a null address.

    Columns: ``month, person_id, location_address, location_postcode, location_lpa,
    investigations, is_own_home, is_related_home, related_relationships``.
    """
    m = resolve_month(cohort, month)
    pi = _person_investigations(cohort, connect_investigations, connect_person_roles).with_columns(
        norm_address("location_address").alias("addr_key"), postcode_key("location_postcode").alias("pc_key")
    )
    locs = pi.group_by("person_id", "addr_key", "pc_key").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations"),
        pl.col("location_address").drop_nulls().mode().sort().first(),
        pl.col("location_postcode").drop_nulls().mode().sort().first(),
        pl.col("location_lpa").drop_nulls().mode().sort().first(),
    )

    def _homes(roles: pl.DataFrame) -> pl.DataFrame:
        return (
            roles.select(
                pl.col("person_id").cast(pl.String),
                norm_address("home_address").alias("home_key"),
                postcode_key("home_postcode").alias("home_pc"),
            )
            .drop_nulls("home_key")
            .unique()
        )

    def _match(homes_of: pl.DataFrame) -> pl.DataFrame:
        # homes_of: person_id, home_key, home_pc (+ extra cols) -> matched location keys
        return (
            locs.select("person_id", "addr_key", "pc_key")
            .drop_nulls("addr_key")
            .join(homes_of, left_on=["person_id", "addr_key"], right_on=["person_id", "home_key"], how="inner")
            .filter(pl.col("pc_key").is_null() | pl.col("home_pc").is_null() | (pl.col("pc_key") == pl.col("home_pc")))
        )

    own = (
        _match(_homes(_cohort_roles(cohort, connect_person_roles)))
        .select("person_id", "addr_key", "pc_key")
        .unique()
        .with_columns(pl.lit(True).alias("is_own_home"))
    )

    pairs = (
        _cohort_pairs(cohort, connect_relationships, connect_investigations)
        .select("person_id", "other_person_id", "other_to_person")
        .unique()
    )
    related_ids = pairs.select(pl.col("other_person_id").alias("person_id")).unique()
    related_homes = _homes(connect_person_roles.join(related_ids, on="person_id", how="semi")).rename(
        {"person_id": "other_person_id"}
    )
    homes_of_related = pairs.join(related_homes, on="other_person_id", how="inner").drop("other_person_id")
    related = (
        _match(homes_of_related)
        .group_by("person_id", "addr_key", "pc_key")
        .agg(pl.col("other_to_person").unique().sort().str.join(";").alias("related_relationships"))
        .with_columns(pl.lit(True).alias("is_related_home"))
    )

    keys = ["person_id", "addr_key", "pc_key"]
    out = (
        locs.join(own, on=keys, how="left", nulls_equal=True)
        .join(related, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col("is_own_home", "is_related_home").fill_null(False))
        .select(
            "person_id",
            "location_address",
            "location_postcode",
            "location_lpa",
            "investigations",
            "is_own_home",
            "is_related_home",
            "related_relationships",
        )
        .sort(["person_id", "investigations", "location_address"], descending=[False, True, False], nulls_last=True)
    )
    return with_month(out, m)


def investigation_lpas(
    cohort, connect_investigations, connect_person_roles, *, month: dt.date | None = None
) -> pl.DataFrame:
    """Investigation locations by LPA (method 6.1's chart). Long: ``month, person_id,
    location_lpa`` (null = ``NOT RECORDED``), ``investigations``."""
    m = resolve_month(cohort, month)
    pi = _person_investigations(cohort, connect_investigations, connect_person_roles).with_columns(
        label("location_lpa")
    )
    out = pi.group_by("person_id", "location_lpa").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations")
    )
    return with_month(out.sort("person_id", "location_lpa"), m)
