"""Identity assets: the window's identity index and variants, ControlWorks person links, link quality.

Thin wiring of ``fsu_dagster.stage1`` (index, exact links) and ``fsu_dagster.identity`` (fuzzy
links, provisional ``CW:`` individuals, variants, link quality).
"""

from __future__ import annotations

import polars as pl

from fsu_dagster import stage1
from fsu_dagster.defs.stage1 import schemas as stage1_schemas
from fsu_dagster.defs.identity import schemas
from fsu_dagster.defs.window import Produced, hop_in, source_in, window_asset
from fsu_dagster.identity.exact import link_exact
from fsu_dagster.stage1._common import with_month

LAYER = "identity"


def controlworks_links(
    cw_logs: pl.DataFrame,
    index: pl.DataFrame,
    mode: str,
    threshold: float | None,
    person_roles: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The link frame for ``mode``: exact is the contract's rule (never uses addresses);
    fuzzy is ``identity.link_controlworks``: it also compares the log's location postcode
    with the home postcodes recorded in ``person_roles`` (the window's
    ``connect_person_roles``), uses the caller's number and the other person on the log,
    and adds ``CW:`` individuals."""
    if mode == "exact":
        return stage1.link_controlworks_people(cw_logs, index, link_exact)
    from fsu_dagster.identity.linker import link_controlworks

    return link_controlworks(cw_logs, index, mode="fuzzy", threshold=threshold, person_roles=person_roles)


@window_asset(
    layer=LAYER,
    name="identity_index",
    ins={"connect_persons": source_in("connect_persons")},
    schema=stage1_schemas.IdentityIndex,
    description="Every version of every Connect person seen in the window (method 5.1.4 step 1's search lists).",
)
def identity_index(month, settings, context, connect_persons: pl.DataFrame):
    out = stage1.identity_index(connect_persons, month)
    return Produced(out, {"versions": out.height, "persons": out["person_id"].n_unique()})


@window_asset(
    layer=LAYER,
    name="identity_variants",
    ins={"connect_persons": source_in("connect_persons")},
    schema=schemas.IdentityVariants,
    description="Per person: every forename, surname, DOB, PNC ID and phone number seen, with counts and first/last seen.",
)
def identity_variants(month, settings, context, connect_persons: pl.DataFrame):
    from fsu_dagster.identity.variants import identity_variants as variants

    out = with_month(variants(connect_persons), month)
    per_field = out.group_by("field").len().sort("field")
    return Produced(out, {"variants_per_field": {r["field"]: int(r["len"]) for r in per_field.iter_rows(named=True)}})


@window_asset(
    layer=LAYER,
    name="cw_person_links",
    ins={
        "cw_logs": hop_in("stage1", "cw_logs"),
        "identity_index": hop_in(LAYER, "identity_index"),
        "connect_person_roles": source_in("connect_person_roles"),
    },
    schema=stage1_schemas.CwPersonLinks,
    description=(
        "ControlWorks originators and subjects linked to persons (link_mode exact: the method's rule; "
        "fuzzy: probabilistic, with the caller's number, the home postcodes Connect recorded and the other "
        "person on the log as evidence; people matching nobody become provisional CW: individuals)."
    ),
)
def cw_person_links(
    month, settings, context, cw_logs: pl.DataFrame, identity_index: pl.DataFrame, connect_person_roles: pl.DataFrame
):
    links = controlworks_links(
        cw_logs, identity_index, settings.link_mode, settings.fuzzy_threshold, person_roles=connect_person_roles
    )
    out = with_month(links, month).with_columns(pl.lit(settings.link_mode).alias("link_mode"))
    by_reason = out.group_by("role", "reason").len().sort("role", "reason")
    return Produced(
        out,
        {
            "link_mode": settings.link_mode,
            "links": out.height,
            "logs": cw_logs.height,
            "links_by_role_and_reason": [
                {"role": r["role"], "reason": r["reason"], "links": int(r["len"])} for r in by_reason.iter_rows(named=True)
            ],
            "provisional_cw_individuals": int(out.filter(pl.col("person_id").str.starts_with("CW:"))["person_id"].n_unique()),
        },
    )


@window_asset(
    layer=LAYER,
    name="link_quality",
    ins={
        "cw_logs": hop_in("stage1", "cw_logs"),
        "identity_index": hop_in(LAYER, "identity_index"),
        "cw_person_links": hop_in(LAYER, "cw_person_links"),
    },
    schema=schemas.LinkQuality,
    description="Share of logs whose originator / subject is linked, per link mode and log month (aggregates only).",
)
def link_quality(month, settings, context, cw_logs, identity_index, cw_person_links):
    from fsu_dagster.identity.linker import link_quality as quality

    by_mode = {settings.link_mode: cw_person_links}
    if settings.link_mode != "exact":
        by_mode["exact"] = controlworks_links(cw_logs, identity_index, "exact", None)
    out = with_month(quality(by_mode, cw_logs), month)
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
