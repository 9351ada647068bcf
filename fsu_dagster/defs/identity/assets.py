"""Identity assets: the window's identity index and variants, ControlWorks person links, link quality.

Thin wiring of ``fsu_dagster.identity``: the index, the variants, the ControlWorks links of
the configured link mode (``identity.modes``: exact is the contract's rule; fuzzy adds
provisional ``CW:`` individuals) and link quality.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg
import polars as pl

from fsu_dagster import identity
from fsu_dagster.defs.identity import schemas
from fsu_dagster.defs.stage1 import schemas as stage1_schemas
from fsu_dagster.defs.window import Produced, hop_in, source_in, window_asset
from fsu_dagster.frames import CW_LINK_KEY_COLUMNS, with_window_month
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.controlworks import CW_LOG_LINK_COLUMNS, INDEX_LINK_COLUMNS, ROLE_LINK_COLUMNS
from fsu_dagster.settings import FsuSettings

LAYER = "identity"


@window_asset(
    layer=LAYER,
    name="identity_index",
    ins={"connect_persons": source_in("connect_persons")},
    schema=stage1_schemas.IdentityIndex,
    description="Every version of every Connect person seen in the window (method 5.1.4 step 1's search lists).",
)
def identity_index(
    month: dt.date, settings: FsuSettings, context: dg.AssetExecutionContext, connect_persons: pl.DataFrame
) -> Produced:
    out = identity.identity_index(connect_persons, month)
    return Produced(out, {"versions": out.height, "persons": out["person_id"].n_unique()})


@window_asset(
    layer=LAYER,
    name="identity_variants",
    ins={"connect_persons": source_in("connect_persons"), "cohort": hop_in("stage1", "cohort")},
    schema=schemas.IdentityVariants,
    description=(
        "Per cohort member: every forename, surname, DOB, PNC ID and phone number seen on Connect, with counts "
        "and first/last seen (method 5.1.4 step 1, 'all versions of that person')."
    ),
)
def identity_variants(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    connect_persons: pl.DataFrame,
    cohort: pl.DataFrame,
) -> Produced:
    # A detail table for the cohort (data contract section 4): nobody reads other people's variants.
    members = connect_persons.join(cohort.select("person_id"), on="person_id", how="semi")
    out = with_window_month(identity.identity_variants(members), month)
    per_field = out.group_by("field").len().sort("field")
    return Produced(out, {"variants_per_field": {r["field"]: int(r["len"]) for r in per_field.iter_rows(named=True)}})


def link_config(settings: FsuSettings) -> LinkConfig:
    """The linker's constants with what the settings choose (``link_block_pairs``)."""
    return dataclasses.replace(LINK_CONFIG, scoring_block_pairs=settings.link_block_pairs)


@window_asset(
    layer=LAYER,
    name="cw_person_links",
    ins={
        "cw_logs": hop_in("stage1", "cw_logs", CW_LOG_LINK_COLUMNS),
        "identity_index": hop_in(LAYER, "identity_index", INDEX_LINK_COLUMNS),
        # With what version resolution needs: the landing month and the parent investigation.
        "connect_person_roles": source_in("connect_person_roles", ["month", "investigation_id", *ROLE_LINK_COLUMNS]),
    },
    schema=stage1_schemas.CwPersonLinks,
    description=(
        "ControlWorks originators and subjects linked to persons (link_mode exact: the method's rule; "
        "fuzzy: probabilistic, with the caller's number, the home postcodes Connect recorded and the other "
        "person on the log as evidence; people matching nobody become provisional CW: individuals)."
    ),
)
def cw_person_links(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cw_logs: pl.DataFrame,
    identity_index: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
) -> Produced:
    link = identity.controlworks_linker(settings.link_mode, settings.fuzzy_threshold, link_config(settings))
    out = with_window_month(link(cw_logs, identity_index, connect_person_roles), month).with_columns(
        pl.lit(settings.link_mode).alias("link_mode")
    )
    by_reason = out.group_by("role", "reason").len().sort("role", "reason")
    return Produced(
        out,
        {
            "link_mode": settings.link_mode,
            "links": out.height,
            "logs": cw_logs.height,
            "links_by_role_and_reason": [
                {"role": r["role"], "reason": r["reason"], "links": int(r["len"])}
                for r in by_reason.iter_rows(named=True)
            ],
            "provisional_cw_individuals": int(
                out.filter(pl.col("person_id").str.starts_with("CW:"))["person_id"].n_unique()
            ),
        },
    )


@window_asset(
    layer=LAYER,
    name="link_quality",
    ins={
        "cw_logs": hop_in("stage1", "cw_logs", (*CW_LOG_LINK_COLUMNS, "created_at")),
        "identity_index": hop_in(LAYER, "identity_index", INDEX_LINK_COLUMNS),
        "cw_person_links": hop_in(LAYER, "cw_person_links", CW_LINK_KEY_COLUMNS),
    },
    schema=schemas.LinkQuality,
    description="Share of logs whose originator / subject is linked, per link mode and log month (aggregates only).",
)
def link_quality(
    month: dt.date,
    settings: FsuSettings,
    context: dg.AssetExecutionContext,
    cw_logs: pl.DataFrame,
    identity_index: pl.DataFrame,
    cw_person_links: pl.DataFrame,
) -> Produced:
    by_mode: dict[str, pl.DataFrame] = {settings.link_mode: cw_person_links}
    if settings.link_mode != "exact":
        by_mode["exact"] = identity.controlworks_linker("exact")(cw_logs, identity_index)
    out = with_window_month(identity.link_quality(by_mode, cw_logs), month)
    summary = (
        out.group_by("mode")
        .agg(pl.col("n_logs").sum(), pl.col("n_originator_linked").sum(), pl.col("n_subject_linked").sum())
        .sort("mode")
    )
    return Produced(
        out,
        {
            f"share_linked_{r['mode']}": {
                "originator": round(r["n_originator_linked"] / r["n_logs"], 4) if r["n_logs"] else None,
                "subject": round(r["n_subject_linked"] / r["n_logs"], 4) if r["n_logs"] else None,
            }
            for r in summary.iter_rows(named=True)
        },
    )


ASSETS = [identity_index, identity_variants, cw_person_links, link_quality]
