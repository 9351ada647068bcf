"""ControlWorks people: the mentions on a log and linking them to Connect persons.

``controlworks_mentions`` turns the window's logs into query rows (one per originator
and subject). ``link_controlworks`` links them: exact mode by the contract's rule,
fuzzy mode by ``link_records`` with the log's location postcode against the homes
recorded in ``connect_person_roles`` (``home_postcodes``), then the context rules of
``context`` (the caller's number, the other person on the log), and groups the people
who match nobody into provisional ``CW:`` individuals (``clustering``).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from fsu_dagster.frames import CW_ROLES
from fsu_dagster.identity.clustering import cluster_unlinked
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.context import log_context_links, propagate_by_phone
from fsu_dagster.identity.decision import RECORD_LINK_COLUMNS, decide
from fsu_dagster.identity.linker import empty_links, fuzzy_candidates, link_records
from fsu_dagster.identity.normal_forms import postcode_key

__all__ = [
    "CW_LOG_LINK_COLUMNS",
    "INDEX_LINK_COLUMNS",
    "ROLE_LINK_COLUMNS",
    "controlworks_mentions",
    "home_postcodes",
    "link_controlworks",
]

#: The columns of the window's logs that ``link_controlworks`` reads: the log, its location's
#: postcode and each role's identity (only the originator has a phone number).
CW_LOG_LINK_COLUMNS: tuple[str, ...] = (
    "incident_id",
    "location_postcode",
    *(f"{role}_{field}" for role in CW_ROLES for field in ("forename", "surname", "dob", "pnc_id")),
    "originator_phone",
)
#: The columns of the identity index that ``link_controlworks`` reads.
INDEX_LINK_COLUMNS: tuple[str, ...] = ("person_id", "forename", "surname", "dob", "pnc_id", "phone_number")
#: The columns of ``connect_person_roles`` that ``link_controlworks`` reads (fuzzy: the homes).
ROLE_LINK_COLUMNS: tuple[str, ...] = ("person_id", "home_postcode")


def controlworks_mentions(cw_logs: pl.DataFrame) -> pl.DataFrame:
    """One query row per person mentioned on a log: its originator and its subject.

    Columns: ``record_id`` (Int64), ``incident_id``, ``role``, ``forename``, ``surname``,
    ``dob``, ``pnc_id``, ``phone`` (originator only). Mentions with none of these
    details are left out (nothing to link).
    """
    parts = []
    for role in CW_ROLES:
        phone = pl.col(f"{role}_phone") if f"{role}_phone" in cw_logs.columns else pl.lit(None, dtype=pl.String)
        parts.append(
            cw_logs.select(
                pl.col("incident_id"),
                pl.lit(role).alias("role"),
                pl.col(f"{role}_forename").cast(pl.String).alias("forename"),
                pl.col(f"{role}_surname").cast(pl.String).alias("surname"),
                pl.col(f"{role}_dob").cast(pl.Date).alias("dob"),
                pl.col(f"{role}_pnc_id").cast(pl.String).alias("pnc_id"),
                phone.cast(pl.String).alias("phone"),
            )
        )
    details = ("forename", "surname", "dob", "pnc_id", "phone")
    return (
        pl.concat(parts)
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in details))
        .sort("incident_id", "role")
        .with_row_index("record_id")
        .with_columns(pl.col("record_id").cast(pl.Int64))
    )


def home_postcodes(person_roles: pl.DataFrame) -> pl.DataFrame:
    """``person_id, postcode``: every distinct home postcode recorded for a person on
    their investigation roles (``connect_person_roles.home_postcode``), in the fuzzy
    normal form. A person who moved, or whose record kept an old address, has several."""
    if "home_postcode" not in person_roles.columns or person_roles.height == 0:
        return pl.DataFrame(schema={"person_id": pl.String, "postcode": pl.String})
    return (
        person_roles.select(
            pl.col("person_id").cast(pl.String), postcode_key(pl.col("home_postcode")).alias("postcode")
        )
        .filter(pl.col("person_id").is_not_null() & (pl.col("postcode").str.len_bytes() > 0))
        .unique()
        .sort("person_id", "postcode")
    )


def _with_location(mentions: pl.DataFrame, cw_logs: pl.DataFrame) -> pl.DataFrame:
    """Mentions with their log's ``location_postcode`` as ``postcode``."""
    loc = cw_logs.select(
        pl.col("incident_id").cast(mentions.schema["incident_id"]),
        pl.col("location_postcode").cast(pl.String).alias("postcode"),
    ).unique("incident_id", keep="first")
    return mentions.join(loc, on="incident_id", how="left", maintain_order="left")


def _with_homes(index: pl.DataFrame, person_roles: pl.DataFrame) -> pl.DataFrame:
    """Index versions with a ``postcode``: one row per (version, recorded home postcode);
    a person with no recorded home keeps their versions with a null postcode."""
    homes = home_postcodes(person_roles)
    base = index.drop("postcode", strict=False)
    key = base.schema["person_id"]
    return base.join(
        homes.with_columns(pl.col("person_id").cast(key)), on="person_id", how="left", maintain_order="left"
    )


def link_controlworks(
    cw_logs: pl.DataFrame,
    persons: pl.DataFrame,
    *,
    mode: Literal["fuzzy", "exact"] = "fuzzy",
    threshold: float | None = None,
    cluster: bool = True,
    person_roles: pl.DataFrame | None = None,
    config: LinkConfig = LINK_CONFIG,
) -> pl.DataFrame:
    """Link ControlWorks originators and subjects to Connect persons.

    ``cw_logs``: the window's logs (``incident_id``, ``location_postcode`` and the
    ``originator_*`` / ``subject_*`` identity columns). ``persons``: the identity index
    (``connect_persons`` over the window: ``person_id, forename, surname, dob, pnc_id,
    phone_number``). ``person_roles``: optional, the window's ``connect_person_roles``
    (``person_id, home_postcode``): fuzzy mode then compares the log's location
    postcode with every home postcode recorded for the person (an incident is often at
    the subject's or the caller's home). Exact mode never uses it.

    Fuzzy mode then links more mentions from what is already linked: the caller's
    number (``propagate_by_phone``) and the other person on the same log
    (``log_context_links``).

    This is the one ControlWorks route for both modes: exact mode is
    ``link_records(mode="exact")``, the contract's rule (``exact.link_exact``).

    Returns the Stage 1 link frame ``incident_id, role, person_id, score, reason``. In
    fuzzy mode, with ``cluster``, mentions that link to nobody are grouped among
    themselves (``clustering.cluster_unlinked``) into provisional individuals whose
    ``person_id`` starts ``CW:`` (score 1.0, reason ``cw:provisional``). Exact mode
    never creates them.
    """
    mentions = controlworks_mentions(cw_logs)
    index = persons.rename({"phone_number": "phone"}) if "phone_number" in persons.columns else persons
    index = index.drop("postcode", strict=False)
    if mode == "fuzzy" and person_roles is not None and "location_postcode" in cw_logs.columns:
        mentions = _with_location(mentions, cw_logs)
        index = _with_homes(index, person_roles)
    if mode == "fuzzy":
        threshold = config.check_threshold(threshold)
        # The frequency prior per role, and the conservative share of mentions in the
        # index (the sure-link share, not EM: see docs/identity.md).
        cands = fuzzy_candidates(
            mentions, index, frequency_prior=True, prior_share="sure", prior_group="role", config=config
        )
        links = (empty_links(mentions, index) if cands is None else decide(cands, threshold)).with_columns(
            pl.col("person_id").cast(pl.String)
        )
        links = pl.concat([links, propagate_by_phone(mentions, links, config)], how="vertical_relaxed")
        if cands is not None:
            links = pl.concat(
                [links, log_context_links(cands, mentions, links, threshold, config)], how="vertical_relaxed"
            )
    else:
        links = link_records(mentions.drop("incident_id", "role"), index, mode=mode, config=config).with_columns(
            pl.col("person_id").cast(pl.String)
        )
    out = [links]
    if mode == "fuzzy" and cluster:
        unlinked = mentions.join(links.select("record_id"), on="record_id", how="anti")
        out.append(cluster_unlinked(unlinked, config))
    result = pl.concat([frame.select(RECORD_LINK_COLUMNS) for frame in out], how="vertical_relaxed")
    return (
        mentions.select("record_id", "incident_id", "role")
        .join(result, on="record_id", how="inner")
        .select("incident_id", "role", "person_id", pl.col("score").cast(pl.Float64), pl.col("reason").cast(pl.String))
        .sort("incident_id", "role")
    )
