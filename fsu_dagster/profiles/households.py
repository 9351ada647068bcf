"""Households (beyond the method): the cohort grouped by home address, with combined demand.

A person's home address is the one recorded (``connect_person_roles.home_address`` /
``home_postcode``) on the most of their distinct window investigations, any role; ties go
to the tied address seen on the most recently recorded investigation, then the smaller
address key. This mirrors the data contract's ``person_home_lpa`` rule for the address
itself. Addresses compare on a normalised key (upper case, letters and digits of address
and postcode), so spelling and spacing variants fall together.

``household_id`` is ``"H:"`` + the first 16 hex digits of the SHA-1 of that key: stable
month to month, and not itself an address (safe for logs and metadata). People with no
known home address have no household.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from fsu_dagster.identity.normal_forms import postcode_key
from fsu_dagster.profiles._common import in_cohort, norm_address, resolve_month, with_month
from fsu_dagster.profiles.score_breakdown import TOTALS

__all__ = ["home_addresses", "households", "household_id"]


def household_id(key: str) -> str:
    return "H:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def home_addresses(
    cohort, connect_investigations, connect_person_roles, *, month: dt.date | None = None
) -> pl.DataFrame:
    """One row per cohort member: ``month, person_id, household_id, home_address,
    home_postcode, home_lpa, investigations`` (distinct investigations recording that home
    address for the person); address columns null when none is known."""
    m = resolve_month(cohort, month)
    roles = (
        in_cohort(connect_person_roles, cohort)
        .select(
            pl.col("person_id").cast(pl.String),
            pl.col("investigation_id").cast(pl.String),
            "home_address",
            "home_postcode",
            "home_lpa",
            norm_address("home_address").alias("addr_key"),
            postcode_key("home_postcode").alias("pc_key"),
        )
        .drop_nulls("addr_key")
    )
    inv = (
        connect_investigations.select(pl.col("investigation_id").cast(pl.String), "recorded_at")
        .join(roles.select("investigation_id").unique(), on="investigation_id", how="semi")
        .unique("investigation_id", keep="last")
    )
    roles = roles.join(inv, on="investigation_id", how="inner")
    per = roles.group_by("person_id", "addr_key", "pc_key").agg(
        pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations"),
        pl.col("recorded_at").max().alias("last_recorded_at"),
        pl.col("home_address").sort_by("recorded_at").last(),
        pl.col("home_postcode").sort_by("recorded_at").last(),
        pl.col("home_lpa").drop_nulls().sort_by(pl.col("recorded_at").filter(pl.col("home_lpa").is_not_null())).last(),
    )
    best = (
        per.sort(
            ["investigations", "last_recorded_at", "addr_key", "pc_key"],
            descending=[True, True, False, False],
            nulls_last=True,
        )
        .group_by("person_id", maintain_order=True)
        .first()
        .with_columns((pl.col("addr_key") + pl.lit("|") + pl.col("pc_key").fill_null("")).alias("key"))
    )
    keys = best.get_column("key").unique().to_list()
    ids = pl.DataFrame(
        {"key": keys, "household_id": [household_id(k) for k in keys]},
        schema={"key": pl.String, "household_id": pl.String},
    )
    best = best.join(ids, on="key", how="left")
    out = (
        cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .join(
            best.select("person_id", "household_id", "home_address", "home_postcode", "home_lpa", "investigations"),
            on="person_id",
            how="left",
        )
        .with_columns(pl.col("investigations").fill_null(0))
        .sort("person_id")
    )
    return with_month(out, m)


def households(home: pl.DataFrame, person_totals: pl.DataFrame) -> pl.DataFrame:
    """One row per household with at least one cohort member, from ``home_addresses`` output.

    Columns: ``month, household_id, home_address, home_postcode, home_lpa`` (of the member
    with the most investigations there), ``members`` (cohort members living there),
    ``person_ids`` (``;``-joined, sorted), and the nine Stage 1 totals summed over the
    members (the household's combined demand). Sorted by members, then overall demand.
    """

    def _t(t: str) -> pl.Expr:
        return pl.col(t).cast(pl.Float64 if t.endswith("_hours") else pl.Int64).fill_null(0)

    tot = person_totals.select(pl.col("person_id").cast(pl.String), *[_t(t) for t in TOTALS])
    h = home.drop_nulls("household_id").join(tot, on="person_id", how="left").with_columns([_t(t) for t in TOTALS])
    out = (
        h.sort(["investigations", "person_id"], descending=[True, False])
        .group_by("month", "household_id", maintain_order=True)
        .agg(
            pl.col("home_address").first(),
            pl.col("home_postcode").first(),
            pl.col("home_lpa").first(),
            pl.len().cast(pl.Int64).alias("members"),
            pl.col("person_id").sort().str.join(";").alias("person_ids"),
            *[pl.col(t).sum() for t in TOTALS],
        )
        .sort(["members", "household_id"], descending=[True, False])
    )
    return out
