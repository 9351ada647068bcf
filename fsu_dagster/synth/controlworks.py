"""ControlWorks logs (``cw_incidents``), their resources (``cw_resources``), the truth
about who each log's originator and subject really are, and the Avaya calls that
raised them.

Demand comes from four planted drivers (prolific callers ring about themselves or a
relative; repeat victims, prolific offenders and missing young people are the subject
of other people's calls), from a heavy-tailed background population, and from
pre-planned events and operations (about 3 % of logs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fsu_dagster.synth import vocab
from fsu_dagster.synth.clock import Month
from fsu_dagster.synth.context import Context, choice, pick_weighted
from fsu_dagster.synth.errors import K, apply_errors, case_style, type_pnc
from fsu_dagster.synth.people import relationship

__all__ = ["MENTION_KINDS", "CwMonth", "cw_month", "type_people"]

#: How ControlWorks mentions are typed (see ``errors.py``); cosmetic kinds still link exactly.
MENTION_KINDS = {
    "exact": 0.55,
    "case": 0.06,
    "punct": 0.04,
    "typo_sub": 0.045,
    "typo_transpose": 0.025,
    "typo_delete": 0.025,
    "typo_insert": 0.015,
    "nickname": 0.05,
    "ascii": 0.01,
    "swap": 0.02,
    "surname_part": 0.02,
    "dob_swap": 0.025,
    "dob_typo": 0.025,
    "dob_missing": 0.06,
    "surname_missing": 0.015,
    "anonymous": 0.035,
}
_MK = np.array([K[k] for k in MENTION_KINDS], dtype=np.int8)
_MP = np.array(list(MENTION_KINDS.values()))
_MP = _MP / _MP.sum()

DRIVERS = ("background", "caller", "victim", "offender", "missing", "preplanned")
D = {d: i for i, d in enumerate(DRIVERS)}


@dataclass
class CwMonth:
    incidents: pl.DataFrame
    resources: pl.DataFrame
    mentions: pl.DataFrame
    #: Calls that raised logs: call_id, started_at (epoch s), line, caller_number.
    calls: pl.DataFrame


def draw_kinds(rng: np.random.Generator, n: int) -> np.ndarray:
    return _MK[rng.choice(_MK.size, n, p=_MP)]


def type_people(ctx: Context, pidx: np.ndarray, kinds: np.ndarray, p_version: float = 0.25) -> pl.DataFrame:
    """Typed ``forename, surname, dob`` for each person in ``pidx`` with its error kind,
    plus ``variant``: the kind actually applied, or ``connect_version`` when a cosmetic
    mention copies a non-canonical Connect version of the person (a nickname already on
    file links exactly, unless that version has no DOB)."""
    pop, rng = ctx.pop, ctx.rng
    n = pidx.size
    base = pop.frame.select("forename", "surname", "dob")[pidx]
    use_v = (rng.random(n) < p_version) & pop.has_connect[pidx] & np.isin(kinds, [K["exact"], K["case"], K["punct"]])
    other_version = np.zeros(n, dtype=bool)
    if use_v.any():
        vi = pop.vstart[pidx[use_v]] + (rng.random(use_v.sum()) * pop.vcount[pidx[use_v]]).astype(np.int64)
        other_version[use_v] = vi != pop.vstart[pidx[use_v]]
        alt = pop.versions.select("forename", "surname", "dob")[vi]
        rows = np.flatnonzero(use_v)
        base = base.with_row_index("_i").join(
            alt.with_columns(_i=pl.Series(rows, dtype=pl.UInt32)),
            on="_i",
            how="left",
            suffix="_v",
            maintain_order="left",
        )
        base = base.select(
            pl.coalesce("forename_v", "forename").alias("forename"),
            pl.when(pl.col("forename_v").is_not_null())
            .then(pl.col("surname_v"))
            .otherwise(pl.col("surname"))
            .alias("surname"),
            pl.when(pl.col("forename_v").is_not_null()).then(pl.col("dob_v")).otherwise(pl.col("dob")).alias("dob"),
        )
    typed = apply_errors(base, kinds, rng, with_kind=True)
    typed = typed.with_columns(
        variant=pl.when(pl.Series(other_version)).then(pl.lit("connect_version")).otherwise(pl.col("kind"))
    ).drop("kind")
    return case_style(typed, rng)


def _log_people(ctx: Context, month: Month, n_target: int):
    """Originator, subject, originator-to-subject relationship and driver per log."""
    rng, pop = ctx.rng, ctx.pop
    parts = []  # (orig, subj, rel, driver, anon_orig)

    # Prolific callers (and all-three): they ring, about themselves or someone close.
    p = ctx.planted_events("orig", month)
    r = rng.random(p.size)
    hh = pop.household_other(rng, p)
    other = pick_weighted(rng, ctx.cdf_any, p.size)
    subj = np.where(r < 0.4, p, np.where(r < 0.7, np.where(hh >= 0, hh, p), np.where(r < 0.88, other, -1)))
    default = choice(rng, ["NEIGHBOUR", "ACQUAINTANCE", "UNKNOWN", "FRIEND"], p.size, [3, 2, 3, 1])
    parts.append((p, subj, relationship(pop, subj, p, default), D["caller"], np.zeros(p.size, bool)))

    # Repeat victims: the subject; the caller is them, family, a neighbour, a professional or anonymous.
    p = ctx.planted_events("victim_subj", month)
    r = rng.random(p.size)
    hh = pop.household_other(rng, p)
    neighbour = pick_weighted(rng, ctx.cdf_adult, p.size)
    pro = ctx.professional(p.size)
    orig = np.where(
        r < 0.25,
        p,
        np.where(r < 0.45, np.where(hh >= 0, hh, p), np.where(r < 0.6, neighbour, np.where(r < 0.85, pro, neighbour))),
    )
    default = np.where(r < 0.6, "NEIGHBOUR", np.where(r < 0.85, "PROFESSIONAL", "UNKNOWN"))
    rel = relationship(pop, p, orig, default)
    rel[(r >= 0.6) & (r < 0.85)] = "PROFESSIONAL"
    parts.append((orig, p, rel, D["victim"], r >= 0.85))

    # Prolific offenders: other people ring about them.
    p = ctx.planted_events("offender_subj", month)
    r = rng.random(p.size)
    caller = pick_weighted(rng, ctx.cdf_adult, p.size)
    pro = ctx.professional(p.size)
    orig = np.where(r < 0.55, caller, np.where(r < 0.8, pro, caller))
    default = np.where(
        r < 0.55,
        choice(rng, ["STRANGER", "ACQUAINTANCE", "NEIGHBOUR", "UNKNOWN"], p.size, [4, 2, 1, 3]),
        np.where(r < 0.8, "PROFESSIONAL", "UNKNOWN"),
    )
    rel = relationship(pop, p, orig, default)
    rel[(r >= 0.55) & (r < 0.8)] = "PROFESSIONAL"
    parts.append((orig, p, rel, D["offender"], r >= 0.8))

    # Missing young people: reported by a parent or a professional (care home, school).
    p = ctx.planted_events("missing_subj", month)
    r = rng.random(p.size)
    hh = pop.household_other(rng, p)
    pro = ctx.professional(p.size)
    orig = np.where((r < 0.5) & (hh >= 0), hh, np.where(r < 0.9, pro, p))
    rel = relationship(pop, p, orig, "PROFESSIONAL")
    rel[(orig == pro) & (orig != p)] = "PROFESSIONAL"
    parts.append((orig, p, rel, D["missing"], np.zeros(p.size, bool)))

    planted = sum(x[0].size for x in parts)
    n_pre = round(0.03 * n_target)
    n_bg = max(n_target - planted - n_pre, int(0.3 * n_target))

    # Background demand.
    r = rng.random(n_bg)
    orig = ctx.known_or(pick_weighted(rng, ctx.cdf_adult, n_bg), 0.5, month.first_day)
    orig = np.where(r < 0.1, ctx.professional(n_bg), orig)
    orig = np.where(r > 0.95, -1, orig)  # alarms, officer-generated logs: no originator
    s = rng.random(n_bg)
    hh = pop.household_other(rng, np.maximum(orig, 0))
    other = ctx.known_or(pick_weighted(rng, ctx.cdf_any, n_bg), 0.55)
    subj = np.where(
        (s < 0.35) & (r >= 0.1) & (orig >= 0),
        orig,
        np.where((s < 0.45) & (hh >= 0) & (r >= 0.1), hh, np.where(s < 0.7, other, -1)),
    )
    default = np.where(
        r < 0.1,
        "PROFESSIONAL",
        choice(rng, ["STRANGER", "NEIGHBOUR", "ACQUAINTANCE", "FRIEND", "UNKNOWN"], n_bg, [3, 2, 2, 1, 3]),
    )
    rel = relationship(pop, subj, orig, default)
    rel[(r < 0.1) & (orig >= 0)] = "PROFESSIONAL"
    parts.append((orig, subj, rel, D["background"], rng.random(n_bg) < 0.03))

    # Pre-planned events and operations: rarely a named subject (a warrant, say).
    r = rng.random(n_pre)
    orig = np.where(r < 0.7, -1, ctx.professional(n_pre))
    subj = np.where(rng.random(n_pre) < 0.25, pick_weighted(rng, ctx.cdf_crim, n_pre), -1)
    # numpy's stubs reject None as a branch of np.where; numpy accepts it (an object array).
    professional = np.where(orig >= 0, "PROFESSIONAL", None).astype(object)  # type: ignore[call-overload]
    parts.append((orig, subj, professional, D["preplanned"], np.zeros(n_pre, bool)))

    orig = np.concatenate([x[0] for x in parts]).astype(np.int64)
    subj = np.concatenate([x[1] for x in parts]).astype(np.int64)
    rel = np.concatenate([np.asarray(x[2], dtype=object) for x in parts])
    driver = np.concatenate([np.full(x[0].size, x[3], dtype=np.int8) for x in parts])
    anon = np.concatenate([x[4] for x in parts])
    rel = np.where((orig >= 0) & (subj >= 0), rel, None)  # type: ignore[call-overload]
    rel = np.where((orig >= 0) & (subj >= 0) & (orig == subj), "SELF", rel)
    return orig, subj, rel, driver, anon


def cw_month(ctx: Context, month: Month, first: Month) -> CwMonth:
    rng, pop = ctx.rng, ctx.pop
    n_target = round(ctx.scale.logs / 12 * month.season)
    orig, subj, rel, driver, anon = _log_people(ctx, month, n_target)
    n = orig.size
    created = ctx.instants(n, month)
    order = np.argsort(created, kind="stable")
    orig, subj, rel, driver, anon, created = (
        orig[order],
        subj[order],
        rel[order],
        driver[order],
        anon[order],
        created[order],
    )
    incident_id = ctx.ids(f"CW{month.compact}", n, 6)

    pre = driver == D["preplanned"]
    roc_p = np.array([0.3, 0.45, 0.15, 0.1, 0.05, 0.0])[driver]
    is_roc = rng.random(n) < roc_p
    grade = choice(rng, ["P1", "P2", "P3", "P4"], n, [0.15, 0.4, 0.3, 0.15])
    miss_or_victim = (driver == D["missing"]) | (driver == D["victim"])
    grade = np.where(miss_or_victim & (rng.random(n) < 0.5), choice(rng, ["P1", "P2"], n, [1, 2]), grade)
    grade = np.where(is_roc, np.where(rng.random(n) < 0.3, "P4", None), grade)  # type: ignore[call-overload]
    grade = np.where(pre, np.where(rng.random(n) < 0.5, "P3", None), grade)  # type: ignore[call-overload]
    itype = np.empty(n, dtype=object)
    for name, d in D.items():
        sel = driver == d
        itype[sel] = choice(rng, vocab.INCIDENT_TYPES[name], int(sel.sum()))
    closed = created + np.exp(rng.normal(np.log(3 * 3600), 1.0, n)).astype(np.int64)

    # Location: the subject's or the caller's home, or a public place.
    r = rng.random(n)
    at_subj = (subj >= 0) & (r < 0.6)
    at_orig = ~at_subj & (orig >= 0) & (pop.archetype[np.maximum(orig, 0)] != 6) & (r < 0.8)
    who = np.where(at_subj, subj, np.where(at_orig, orig, 0))
    home = pop.home(who, month.index)
    place = ctx.random_places(n)
    at_home = pl.Series(at_subj | at_orig)
    loc = pl.DataFrame(
        {
            c: pl.select(pl.when(at_home).then(home[c]).otherwise(place[c])).to_series()
            for c in ("address", "postcode", "lpa")
        }
    )
    lpa_null = pl.Series(rng.random(n) < 0.02)
    addr_null = pl.Series(rng.random(n) < 0.03)

    # Calls that raised the logs.
    has_call = ~pre & (rng.random(n) < np.where(is_roc, 0.9, 0.85))
    delay = np.where(grade == "P1", rng.integers(20, 240, n), rng.integers(60, 1500, n))
    # Queued 101 calls and call-backs: the log is raised up to a few hours after the call.
    delay = np.where((grade != "P1") & (rng.random(n) < 0.1), rng.integers(1800, 4 * 3600, n), delay)
    call_start = np.maximum(created - delay, first.start)
    k = int(has_call.sum())
    call_ids = pl.select(
        pl.format("AV{}", pl.Series(np.arange(ctx.next_call, ctx.next_call + k)).cast(pl.String).str.zfill(9))
    ).to_series()
    ctx.next_call += k
    call_id_full = pl.Series("call_id", [None] * n, dtype=pl.String).scatter(np.flatnonzero(has_call), call_ids)

    # People as typed.
    mentions, typed_orig, typed_subj = _mentions(ctx, incident_id, orig, subj, rel, anon, driver)

    line = np.where(
        grade == "P1",
        choice(rng, ["999", "101"], n, [0.85, 0.15]),
        np.where(
            grade == "P2",
            choice(rng, ["999", "101", "OTHER"], n, [0.45, 0.5, 0.05]),
            choice(rng, ["999", "101", "OTHER"], n, [0.1, 0.75, 0.15]),
        ),
    )
    calls = pl.DataFrame(
        {
            "call_id": call_ids,
            "started_at": call_start[has_call],
            "line": line[has_call].astype(str),
            "caller_number": typed_orig["caller_number"].filter(pl.Series(has_call)),
        }
    )

    incidents = pl.DataFrame(
        {
            "incident_id": incident_id,
            "log_type": np.where(is_roc, "ROC", "INCIDENT"),
            "created_at": created,
            "closed_at": pl.select(
                pl.when(pl.Series(rng.random(n) < 0.01)).then(None).otherwise(pl.Series(closed))
            ).to_series(),
            "call_id": call_id_full,
            "incident_type": itype.astype(str),
            "response_grade": pl.Series(grade.tolist(), dtype=pl.String),
            "is_preplanned": pre,
            "location_address": pl.select(pl.when(addr_null).then(None).otherwise(loc["address"])).to_series(),
            "location_postcode": pl.select(pl.when(addr_null).then(None).otherwise(loc["postcode"])).to_series(),
            "location_lpa": pl.select(pl.when(lpa_null).then(None).otherwise(loc["lpa"])).to_series(),
            "originator_forename": typed_orig["forename"],
            "originator_surname": typed_orig["surname"],
            "originator_dob": typed_orig["dob"],
            "originator_pnc_id": typed_orig["pnc_id"],
            "originator_phone": typed_orig["phone"],
            "subject_forename": typed_subj["forename"],
            "subject_surname": typed_subj["surname"],
            "subject_dob": typed_subj["dob"],
            "subject_pnc_id": typed_subj["pnc_id"],
        }
    )
    resources = _resources(ctx, incident_id, created, grade, pre, is_roc, driver, loc["lpa"])
    return CwMonth(incidents, resources, mentions, calls)


def _mentions(ctx: Context, incident_id: pl.Series, orig, subj, rel, anon, driver):
    rng, pop = ctx.rng, ctx.pop
    n = orig.size
    out = {}
    truth = []
    for role, who in (("originator", orig), ("subject", subj)):
        has = who >= 0
        rows = np.flatnonzero(has)
        p = who[rows]
        kinds = draw_kinds(rng, rows.size)
        if role == "originator":
            kinds = np.where(anon[rows], K["anonymous"], kinds)
            pro = pop.archetype[p] == 6
            kinds = np.where(pro & (rng.random(rows.size) < 0.6) & (kinds != K["anonymous"]), K["dob_missing"], kinds)
        typed = type_people(ctx, p, kinds)
        # PNC IDs: on some mentions of people who have one; almost always right.
        pnc = pop.frame["pnc_id"].gather(p)
        p_pnc = 0.8 if role == "subject" else 0.6
        show = pl.Series((rng.random(rows.size) < p_pnc) & (kinds != K["anonymous"]))
        pnc_typed = type_pnc(pl.select(pl.when(show).then(pnc)).to_series().fill_null(""), rng)
        pnc_typed = pl.select(pl.when(pnc_typed == "").then(None).otherwise(pnc_typed)).to_series()
        cols = {
            "forename": pl.Series("forename", [None] * n, dtype=pl.String).scatter(rows, typed["forename"]),
            "surname": pl.Series("surname", [None] * n, dtype=pl.String).scatter(rows, typed["surname"]),
            "dob": pl.Series("dob", [None] * n, dtype=pl.Date).scatter(rows, typed["dob"]),
            "pnc_id": pl.Series("pnc_id", [None] * n, dtype=pl.String).scatter(rows, pnc_typed),
        }
        if role == "originator":
            f = pop.frame
            r = rng.random(rows.size)
            phone = pl.select(
                pl.when(pl.Series(r < 0.6))
                .then(pl.coalesce(f["mobile"].gather(p), f["landline"].gather(p)))
                .when(pl.Series(r < 0.85))
                .then(pl.coalesce(f["landline"].gather(p), f["mobile"].gather(p)))
                .otherwise(None)
            ).to_series()
            # Caller line identity: the phone they rang from, even when they gave no name.
            cli = pl.select(
                pl.when(pl.Series(rng.random(rows.size) < 0.06))
                .then(None)
                .otherwise(pl.coalesce(phone, f["mobile"].gather(p)))
            ).to_series()
            spaced = pl.Series(rng.random(rows.size) < 0.15)
            phone_typed = pl.select(
                pl.when(pl.Series(kinds == K["anonymous"]) & pl.Series(rng.random(rows.size) < 0.5))
                .then(None)
                .when(spaced & phone.str.starts_with("07"))
                .then(phone.str.slice(0, 5) + " " + phone.str.slice(5))
                .otherwise(phone)
            ).to_series()
            cols["phone"] = pl.Series("phone", [None] * n, dtype=pl.String).scatter(rows, phone_typed)
            cols["caller_number"] = pl.Series("caller_number", [None] * n, dtype=pl.String).scatter(rows, cli)
        out[role] = cols
        truth.append(
            pl.DataFrame(
                {
                    "incident_id": incident_id.gather(rows),
                    "role": role,
                    "pidx": p,
                    "relationship_to_subject": pl.Series(
                        rel[rows].tolist() if role == "originator" else [None] * rows.size, dtype=pl.String
                    ),
                    "variant": typed["variant"],
                }
            )
        )
        ctx.seen[p] = True
    mentions = pl.concat(truth)
    return mentions, out["originator"], out["subject"]


def _resources(
    ctx: Context, incident_id: pl.Series, created, grade, pre, is_roc, driver, lpa: pl.Series
) -> pl.DataFrame:
    rng = ctx.rng
    n = created.size
    lam = np.select([grade == "P1", grade == "P2", grade == "P3", grade == "P4"], [1.4, 1.2, 0.7, 0.05], 0.05)
    base = np.select([grade == "P1", grade == "P2"], [1, 1], 0)
    base = np.where(pre, 1, base)
    lam = np.where(pre, 2.5, lam)
    lam = np.where(is_roc, 0.03, lam)
    lam = np.where((driver == D["missing"]) & ~is_roc, lam + 0.8, lam)
    count = base * (rng.random(n) < 0.92) + rng.poisson(lam)
    li = np.repeat(np.arange(n), count)
    m = li.size
    g_names = np.array(list(vocab.RESOURCE_GROUP_CODES), dtype=object)
    gp = np.array([0.6, 0.18, 0.06, 0.05, 0.03, 0.02, 0.06])
    gp_pre = np.array([0.3, 0.3, 0.05, 0.1, 0.05, 0.1, 0.1])
    grp = np.where(pre[li], g_names[rng.choice(7, m, p=gp_pre)], g_names[rng.choice(7, m, p=gp)])
    lpa_code = lpa.gather(li).fill_null("BIRMINGHAM").replace_strict(vocab.LPA_CODES, default="B")
    gcode = pl.Series(grp.astype(str)).replace_strict(vocab.RESOURCE_GROUP_CODES)
    rid = pl.select(
        pl.format("{}{}{}", lpa_code, gcode, pl.Series(rng.integers(1, 40, m)).cast(pl.String).str.zfill(2))
    ).to_series()
    g = grade[li]
    wait = np.select(
        [g == "P1", g == "P2", g == "P3"],
        [rng.exponential(180, m), rng.exponential(900, m), rng.exponential(6 * 3600, m)],
        rng.exponential(1800, m),
    )
    assigned = created[li] + wait.astype(np.int64)
    deployed = assigned + rng.exponential(60, m).astype(np.int64)
    arrived = deployed + np.where(g == "P1", rng.exponential(480, m), rng.exponential(1200, m)).astype(np.int64)
    onscene = np.exp(rng.normal(np.log(75 * 60), 0.9, m))
    onscene = np.where(driver[li] == D["missing"], onscene * 2.5, onscene)
    released = arrived + onscene.astype(np.int64)
    err = rng.random(m) < 0.01  # released before assigned: a data error the method clips to 0
    released = np.where(err, assigned - rng.integers(60, 7200, m), released)

    # The same call sign assigned again later to the same log.
    dup = np.flatnonzero(rng.random(m) < 0.04)
    shift = (onscene[dup] + rng.exponential(1800, dup.size)).astype(np.int64)
    df = pl.DataFrame(
        {
            "incident_id": incident_id.gather(li),
            "resource_id": rid,
            "resource_group": grp.astype(str),
            "assigned_at": assigned,
            "deployed_at": deployed,
            "arrived_at": arrived,
            "released_at": released,
        }
    )
    df = (
        pl.concat(
            [
                df.with_row_index("_o"),
                df[dup]
                .with_columns(
                    assigned_at=pl.col("assigned_at") + shift,
                    deployed_at=pl.col("deployed_at") + shift,
                    arrived_at=pl.col("arrived_at") + shift,
                    released_at=pl.col("released_at") + shift,
                )
                .with_columns(_o=pl.Series(dup, dtype=pl.UInt32))
                .select(["_o", *df.columns]),
            ]
        )
        .sort("_o", maintain_order=True)
        .drop("_o")
    )
    k = df.height
    nulls = {
        c: rng.random(k) < p
        for c, p in (("assigned_at", 0.02), ("deployed_at", 0.12), ("arrived_at", 0.10), ("released_at", 0.02))
    }
    return df.with_columns(
        [pl.when(pl.Series(mask)).then(None).otherwise(pl.col(c)).alias(c) for c, mask in nulls.items()]
    )
