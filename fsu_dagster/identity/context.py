"""ControlWorks context rules: more links from what is already linked.

* ``propagate_by_phone``: a caller who rings from the same number, giving name and DOB
  on most calls, is the same person on the calls where the DOB was not taken;
* ``log_context_links``: the other person on the same log (people ringing about
  themselves, or about the partner or child they ring about again and again).

Both rest only on *sure* links (``LinkConfig.sure_score``) and never create a link the
mention's own fields contradict.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import polars as pl

from fsu_dagster.identity.comparisons import DOB, FORENAME, PNC, SURNAME
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.decision import Candidates, normalise_posterior, with_reason
from fsu_dagster.identity.nicknames import nickname_groups
from fsu_dagster.identity.normal_forms import fold_name, name_key, on_distinct, phone_key

__all__ = ["log_context_links", "propagate_by_phone"]


def _compatible() -> pl.Expr:
    """The mention could be this candidate: the forename agrees (exactly, as a nickname
    or part, or within a typo), the surname and PNC ID do not disagree, and the DOB is
    missing or agrees up to a swap or typo."""
    fn_ok = [FORENAME.labels.index(x) for x in ("exact", "nickname", "part", "jw92", "jw85")]
    sn_bad = SURNAME.labels.index("else")
    dob_ok = [DOB.labels.index(x) for x in ("null", "exact", "swap", "typo")]
    pnc_bad = PNC.labels.index("else")
    return (
        pl.col("fn_level").is_in(fn_ok)
        & (pl.col("sn_level") != sn_bad)
        & pl.col("dob_level").is_in(dob_ok)
        & (pl.col("pnc_level") != pnc_bad)
    )


def log_context_links(
    cands: Candidates,
    mentions: pl.DataFrame,
    links: pl.DataFrame,
    threshold: float,
    config: LinkConfig = LINK_CONFIG,
) -> pl.DataFrame:
    """Links for unlinked mentions from the other person on the same log.

    A log names an originator and a subject. When one of them is linked to person P,
    the other is P with probability ``s`` (people ringing about themselves: ``s`` is
    the share of logs whose two mentions are surely linked to the same person), or
    someone P's logs have named before in that role (a partner, a child the caller
    rings about again and again). For the unlinked mention, each such person X gets the
    prior share ``c(X | P) = (n(P, X) + config.context_pseudo · s · [X = P]) / (n(P) + config.context_pseudo)``
    (``n(P)``: P's logs in the other role with this role given; ``n(P, X)``: those
    surely linked to X). Every other candidate keeps its prior. In odds against "nobody
    in the index": ``O'_X = O_X + c_X / ((1 − Σc)(1 − ρ)) · 2^{w_X}``, with ``w_X`` the
    name/DOB/address evidence already weighed, so the context lifts a candidate only
    as far as the mention's own fields agree with them. The posterior is renormalised
    over the candidates; a link is made when it reaches ``threshold``. Reason: the
    candidate's own plus ``log_context``.

    Returns ``record_id, person_id, score, reason`` for mentions not yet in ``links``.
    """
    rid_dtype = mentions.schema["record_id"]
    empty = pl.DataFrame(
        schema={"record_id": rid_dtype, "person_id": pl.String, "score": pl.Float64, "reason": pl.String}
    )
    if links.height == 0 or cands.height == 0:
        return empty
    mention_roles = mentions.select("record_id", pl.col("incident_id").cast(pl.String), "role")
    linked = mention_roles.join(links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id")
    sure = linked.filter(pl.col("score") >= config.sure_score)
    both = sure.filter(pl.col("role") == "originator").join(
        sure.filter(pl.col("role") == "subject"), on="incident_id", suffix="_s"
    )
    if both.height < config.context_min_logs:
        return empty
    # The mean of a non-empty Boolean Series is a float (polars types it as any literal or None).
    self_share = float(cast(float, (both["person_id"] == both["person_id_s"]).mean()))

    contexts = []
    for role, co_role in (("subject", "originator"), ("originator", "subject")):
        given = mention_roles.filter(pl.col("role") == role).select("incident_id").unique()
        other_links = linked.filter(pl.col("role") == co_role).select("incident_id", pl.col("person_id").alias("_p"))
        base = other_links.join(given, on="incident_id", how="semi")
        logs_per_person = base.group_by("_p").agg(pl.len().cast(pl.Float64).alias("_n"))
        seen = base.join(
            sure.filter(pl.col("role") == role).select("incident_id", pl.col("person_id").alias("_x")), on="incident_id"
        )
        pair = seen.group_by("_p", "_x").agg(pl.len().cast(pl.Float64).alias("_k"))
        selfs = logs_per_person.select("_p", pl.col("_p").alias("_x"), pl.lit(0.0).alias("_k"))
        share = (
            pl.concat([pair, selfs])
            .group_by("_p", "_x")
            .agg(pl.col("_k").sum())
            .join(logs_per_person, on="_p", how="left")
            .with_columns(pl.col("_n").fill_null(0.0))
            .with_columns(
                (
                    (
                        pl.col("_k")
                        + pl.when(pl.col("_p") == pl.col("_x")).then(config.context_pseudo * self_share).otherwise(0.0)
                    )
                    / (pl.col("_n") + config.context_pseudo)
                ).alias("_c")
            )
            # In a fixed order, so that the float sum below does not vary with the order in
            # which the group-by's threads finished (it moved a score by 2e-16 between runs).
            .sort("_p", "_x")
            .with_columns(pl.col("_c").sum().over("_p").alias("_sum"))
            # Never more than config.context_max_share in all: scale the shares down if need be.
            .with_columns(
                pl.when(pl.col("_sum") > config.context_max_share)
                .then(pl.col("_c") * config.context_max_share / pl.col("_sum"))
                .otherwise(pl.col("_c"))
                .alias("_c"),
                pl.col("_sum").clip(None, config.context_max_share),
            )
        )
        # The unlinked mentions of this role on logs whose other person is linked.
        todo = (
            mention_roles.filter(pl.col("role") == role)
            .join(links.select("record_id"), on="record_id", how="anti")
            .join(other_links, on="incident_id")
        )
        contexts.append(todo.join(share, on="_p").select("record_id", "_x", "_c", "_sum"))
    context = pl.concat(contexts)
    if context.height == 0:
        return empty
    persons = cands.persons.with_columns(pl.col("person_id").cast(pl.String))
    context = context.join(persons.select(pl.col("person_id").alias("_x"), pl.col("pidx")), on="_x").drop("_x")
    # The mentions' own candidates, with the context's share for the people it names.
    context_records = context.select("record_id", "_sum").unique("record_id").join(cands.record_map, on="record_id")
    candidates = (
        context_records.join(cands.for_queries(context_records["qid"]), on="qid")
        .join(context.select("record_id", "pidx", "_c"), on=["record_id", "pidx"], how="left")
        # Only a person the mention itself could be: the context says whose log this
        # is, not who a household member with the same surname and address is.
        .with_columns(pl.when(_compatible()).then(pl.col("_c").fill_null(0.0)).otherwise(0.0).alias("_c"))
        .sort("record_id", "pidx")
    )
    if candidates.height == 0:
        return empty
    log_odds = candidates["log_odds"].to_numpy()
    weight = candidates["weight"].to_numpy()
    context_share = candidates["_c"].to_numpy()
    boost = context_share / ((1.0 - candidates["_sum"].to_numpy()) * (1.0 - cands.rho))
    with np.errstate(divide="ignore"):
        # log2(2^log_odds + boost · 2^weight), computed without overflow.
        new_log_odds = np.where(
            context_share > 0, np.logaddexp2(log_odds, np.log2(np.maximum(boost, 1e-300)) + weight), log_odds
        )
    group = candidates.with_columns(pl.col("record_id").rank("dense").alias("_g"))["_g"].to_numpy()
    candidates = candidates.with_columns(pl.Series("score", normalise_posterior(group, new_log_odds)))
    chosen = (
        candidates.sort(["record_id", "score", "pidx"], descending=[False, True, False])
        .group_by("record_id", maintain_order=True)
        .first()
        .filter((pl.col("score") >= threshold) & (pl.col("_c") > 0))
        .join(persons, on="pidx")
    )
    if chosen.height == 0:
        return empty
    return with_reason(chosen).select(
        pl.col("record_id").cast(rid_dtype),
        "person_id",
        pl.col("score").clip(0.0, 1.0).cast(pl.Float64),
        (pl.col("reason") + pl.lit(",log_context")).alias("reason"),
    )


def _identified(mentions: pl.DataFrame) -> pl.Expr:
    """True for a mention that gives a DOB or a PNC ID: linked surely, it ties its number
    to a person through more than a name and an address."""
    parts = [pl.col(c).is_not_null() for c in ("dob", "pnc_id") if c in mentions.columns]
    return pl.any_horizontal(parts) if parts else pl.lit(False)


def propagate_by_phone(mentions: pl.DataFrame, links: pl.DataFrame, config: LinkConfig = LINK_CONFIG) -> pl.DataFrame:
    """Links for DOB-less mentions that share a caller's phone number and name with
    mentions already linked to one person.

    A caller who rings forty times from the same number, giving name and DOB on most
    calls, is the same person on the calls where the DOB was not taken. For each
    (phone, surname, forename or its nickname group) among the linked mentions that
    points to exactly one person, the unlinked mentions with the same key and no DOB
    take that person (``reason`` ``"phone_name"``). A mention with only a phone number
    takes the person that number has been linked to at least ``config.phone_only_min_links``
    times, always the same person (``"phone_only"``). Either way at least one of the
    links it rests on must be sure (score ≥ ``config.sure_score``) and made with a DOB or PNC
    ID: a weak link, or one resting on a name and an address only, is not spread to
    every other call from the number. ``score`` is the lowest score of
    the links it rests on. Returns ``record_id, person_id, score, reason``.
    """
    empty = pl.DataFrame(
        schema={
            "record_id": mentions.schema["record_id"],
            "person_id": pl.String,
            "score": pl.Float64,
            "reason": pl.String,
        }
    )
    if "phone" not in mentions.columns or links.height == 0:
        return empty
    canon = nickname_groups().group_by("name").agg(pl.col("group").min().alias("_canon"))
    # Each normal form once per distinct value (numbers and names repeat across calls).
    phone = on_distinct(mentions["phone"], phone_key).alias("_phone")
    keyed = (
        mentions.select(
            "record_id",
            phone,
            on_distinct(mentions["surname"], lambda e: name_key(fold_name(e))).alias("_sn"),
            on_distinct(mentions["forename"], lambda e: name_key(fold_name(e))).alias("_fn"),
            pl.col("dob").is_null().alias("_no_dob"),
            _identified(mentions).alias("_ided"),
        )
        .drop_nulls(["_phone", "_sn", "_fn"])
        .join(canon, left_on="_fn", right_on="name", how="left")
        .with_columns(pl.coalesce("_canon", "_fn").alias("_fn"))
        .drop("_canon")
    )
    key = ["_phone", "_sn", "_fn"]
    linked = keyed.join(links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id")
    # One person only, and at least one sure link made with a DOB or PNC ID: a weak
    # link is not spread further, and neither is one resting on name and address alone
    # (a carer ringing from the home of her namesake is not the namesake).
    sources = (
        linked.group_by(key)
        .agg(
            pl.col("person_id").n_unique().alias("_n"),
            pl.col("person_id").first(),
            pl.col("score").min(),
            ((pl.col("score") >= config.sure_score) & pl.col("_ided")).any().alias("_anchored"),
        )
        .filter((pl.col("_n") == 1) & pl.col("_anchored"))
        .drop("_n", "_anchored")
    )
    todo = keyed.filter(pl.col("_no_dob")).join(links.select("record_id"), on="record_id", how="anti")
    by_name = todo.join(sources, on=key, how="inner").select(
        "record_id", "person_id", pl.col("score").cast(pl.Float64), pl.lit("phone_name").alias("reason")
    )
    # Mentions with a phone number and nothing else: the number must have been linked
    # config.phone_only_min_links times or more, always to the same person (a shared household
    # line, linked to two people, gives nothing).
    phones = mentions.select("record_id", phone, _identified(mentions).alias("_ided"))
    on_phone = phones.drop_nulls("_phone").join(
        links.select("record_id", pl.col("person_id").cast(pl.String), "score"), on="record_id"
    )
    phone_sources = (
        on_phone.group_by("_phone")
        .agg(
            pl.col("person_id").n_unique().alias("_n"),
            pl.len().alias("_k"),
            pl.col("person_id").first(),
            pl.col("score").min(),
            ((pl.col("score") >= config.sure_score) & pl.col("_ided")).any().alias("_anchored"),
        )
        .filter((pl.col("_n") == 1) & (pl.col("_k") >= config.phone_only_min_links) & pl.col("_anchored"))
    )
    bare = (
        mentions.with_columns(phone)
        .filter(
            pl.all_horizontal(
                pl.col(c).is_null() for c in ("forename", "surname", "dob", "pnc_id") if c in mentions.columns
            )
        )
        .select("record_id", "_phone")
        .drop_nulls("_phone")
    )
    by_phone = (
        bare.join(links.select("record_id"), on="record_id", how="anti")
        .join(phone_sources, on="_phone", how="inner")
        .select("record_id", "person_id", pl.col("score").cast(pl.Float64), pl.lit("phone_only").alias("reason"))
    )
    out = pl.concat([by_name, by_phone], how="vertical_relaxed").unique("record_id", keep="first")
    return out if out.height else empty
