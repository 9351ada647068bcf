"""Connect: investigations (crimes and non-crimes), people's roles on them with home
addresses, victim-suspect relationships, and custody records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fsu_dagster.reference import load_offence_codes
from fsu_dagster.synth import vocab
from fsu_dagster.synth.clock import Month
from fsu_dagster.synth.context import Context, choice, pick_weighted
from fsu_dagster.synth.people import A, relationship

__all__ = ["ConnectMonth", "connect_month"]

KINDS = ("background", "victim", "offender", "caller", "missing")
OFFENDER_OUTCOMES = (1, 2, 3, 4, 6, 7, 8)
FAMILY = {"PARTNER", "EX-PARTNER", "PARENT", "CHILD", "SIBLING", "OTHER FAMILY"}


@dataclass
class ConnectMonth:
    investigations: pl.DataFrame
    roles: pl.DataFrame
    relationships: pl.DataFrame
    custody: pl.DataFrame
    #: Person indices referenced by this month's Connect records.
    referenced: np.ndarray


def _codes():
    ref = load_offence_codes()
    table = {
        r["offence_code"]: (r["offence_description"], r["main_group"], r["is_crime"]) for r in ref.iter_rows(named=True)
    }
    code, desc, group = vocab.UNKNOWN_HARM_CODE
    table[code] = (desc, group, True)
    return table


def _offences(rng, kind_names: np.ndarray) -> np.ndarray:
    out = np.empty(kind_names.size, dtype=object)
    for kind, mix in vocab.OFFENCE_MIX.items():
        sel = kind_names == kind
        if sel.any():
            out[sel] = choice(rng, list(mix), int(sel.sum()), list(mix.values()))
    rare = rng.random(kind_names.size) < vocab.UNKNOWN_HARM_RATE
    out[rare & (kind_names == "background")] = vocab.UNKNOWN_HARM_CODE[0]
    return out


def connect_month(ctx: Context, month: Month, cw_people: np.ndarray | None = None) -> ConnectMonth:
    """One month of Connect records. ``cw_people`` are the people in this month's
    ControlWorks logs: many incidents become investigations about the same people."""
    rng, pop = ctx.rng, ctx.pop
    pool = np.empty(0, dtype=np.int64) if cw_people is None else np.unique(cw_people[pop.has_connect[cw_people]])
    pool_crim = pool[pop.crim[pool]]

    def draw(cdf: np.ndarray, k: int, from_pool: np.ndarray, share: float) -> np.ndarray:
        x = pick_weighted(rng, cdf, k)
        if from_pool.size:
            y = from_pool[rng.integers(0, from_pool.size, k)]
            x = np.where(rng.random(k) < share, y, x)
        return x

    codes = _codes()
    n_target = round(ctx.scale.investigations / 12 * month.season)

    # Planted events: one investigation each, the planted person in the given role.
    ev = [
        (ctx.planted_events("victim", month), "victim"),
        (ctx.planted_events("suspect", month), "offender"),
        (ctx.planted_events("witness", month), "caller"),
    ]
    planted_n = sum(p.size for p, _ in ev)
    n_bg = max(n_target - planted_n, int(0.5 * n_target))
    primary = np.concatenate([p for p, _ in ev] + [np.full(n_bg, -1)]).astype(np.int64)
    kind = np.concatenate(
        [np.full(p.size, k, dtype=object) for p, k in ev] + [np.full(n_bg, "background", dtype=object)]
    )
    # Missing young people's own investigations read as child-protection / exploitation concerns.
    is_myp = (primary >= 0) & (pop.archetype[np.maximum(primary, 0)] == A["missing_young_person"])
    offence_kind = np.where(is_myp, "missing", kind)
    n = primary.size
    code = _offences(rng, offence_kind.astype(str))
    desc = np.array([codes[c][0] for c in code], dtype=object)
    group = np.array([codes[c][1] for c in code], dtype=object)
    is_crime = np.array([codes[c][2] for c in code], dtype=bool)
    recorded = ctx.instants(n, month)
    order = np.argsort(recorded, kind="stable")
    primary, kind, code, desc, group, is_crime, recorded, is_myp = (
        primary[order],
        kind[order],
        code[order],
        desc[order],
        group[order],
        is_crime[order],
        recorded[order],
        is_myp[order],
    )
    inv_id = ctx.ids(f"CR{month.compact}", n, 6)

    # Victims.
    person_victim = ~np.isin(code, list(vocab.NO_PERSON_VICTIM))
    victim = np.where(person_victim, draw(ctx.cdf_connect, n, pool, 0.75), -1)
    planted_victim = (kind == "victim") | ((kind == "caller") & (rng.random(n) < 0.6))
    victim = np.where(planted_victim, primary, victim)
    victim = np.where((kind == "offender") & (primary == victim), -1, victim)
    victim2 = np.where(person_victim & (rng.random(n) < 0.06), pick_weighted(rng, ctx.cdf_connect, n), -1)

    # Suspects: the planted offender, a repeat victim's abuser, or someone with a record.
    r = rng.random(n)
    crim = draw(ctx.cdf_crim, n, pool_crim, 0.5)
    anyone = draw(ctx.cdf_connect, n, pool, 0.75)
    bg_suspect = np.where(rng.random(n) < 0.85, crim, anyone)
    p_susp = np.where(is_crime, 0.55, 0.3)
    suspect = np.where(r < p_susp, bg_suspect, -1)
    ab = pop.abuser[np.maximum(victim, 0)]
    victim_ab = (victim >= 0) & (ab >= 0) & (kind == "victim")
    suspect = np.where(victim_ab & (rng.random(n) < 0.65), ab, suspect)
    suspect = np.where(kind == "offender", primary, suspect)
    suspect = np.where(suspect == victim, -1, suspect)
    suspect2 = np.where((suspect >= 0) & (rng.random(n) < 0.1), crim[::-1], -1)
    suspect2 = np.where((suspect2 == suspect) | (suspect2 == victim), -1, suspect2)

    # Outcomes: offender outcomes turn a suspect into an offender.
    with_s = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 20, 21, 22])
    with_p = np.array([14, 2, 3, 0.4, 0.3, 1.5, 1.2, 6, 1.2, 1.5, 0.6, 0.6, 0.4, 16, 26, 0.7, 2, 3, 2.5])
    no_s = np.array([14, 18, 19, 20])
    no_p = np.array([18, 75, 0.5, 3])
    outcome = np.where(
        suspect >= 0, rng.choice(with_s, n, p=with_p / with_p.sum()), rng.choice(no_s, n, p=no_p / no_p.sum())
    )
    age_months = len(ctx.months) - 1 - month.index  # recent months have more open investigations
    p_open = np.where(is_crime, 0.12 + 0.25 * np.exp(-age_months / 2.5), 0.9)
    outcome = np.where(rng.random(n) < p_open, 0, outcome)
    outcome_at = recorded + (np.exp(rng.normal(np.log(25), 0.9, n)) * 86400).astype(np.int64)
    offender = np.isin(outcome, OFFENDER_OUTCOMES)

    # Relationship of suspect to victim; domestic pairs carry the DA flag.
    default = choice(
        rng, ["STRANGER", "ACQUAINTANCE", "NEIGHBOUR", "FRIEND", "UNKNOWN", "OTHER FAMILY"], n, [35, 30, 10, 10, 12, 3]
    )
    rel1 = relationship(pop, victim, suspect, default)
    domestic = np.isin(rel1, list(FAMILY)) & (victim >= 0) & (suspect >= 0)

    # Flags and summaries.
    victim_age = pop.age_years(month.first_day)[np.maximum(victim, 0)]
    mh = (
        ((kind == "caller") & (rng.random(n) < 0.35))
        | ((code == "NC02") & (rng.random(n) < 0.7))
        | (rng.random(n) < 0.04)
    )
    cse = ((code == "22B") & (rng.random(n) < 0.6)) | (is_myp & (rng.random(n) < 0.2))
    ca = (
        ((code == "11A") & (rng.random(n) < 0.8))
        | ((code == "NC04") & (rng.random(n) < 0.6))
        | ((victim >= 0) & (victim_age < 16) & (rng.random(n) < 0.08))
    )
    da = (domestic & (rng.random(n) < 0.85)) | ((code == "NC01") & (rng.random(n) < 0.7))
    flag_cols = pl.DataFrame({"DA": da, "MH": mh, "CSE": cse, "CA": ca})
    flags = flag_cols.select(
        pl.concat_str(
            [pl.when(pl.col(f)).then(pl.lit(f)) for f in ("DA", "MH", "CSE", "CA")], separator=";", ignore_nulls=True
        )
    ).to_series()
    flags = pl.select(pl.when(flags == "").then(None).otherwise(flags)).to_series()
    theme = np.where(
        da | domestic,
        "DA",
        np.where(mh, "MH", np.where(cse, "CSE", np.where(ca, "CA", np.where(code == "NC03", "MISSING", "GENERAL")))),
    )
    theme = np.where(rng.random(n) < 0.2, "GENERAL", theme)  # flagged but summary says nothing thematic
    summary = np.empty(n, dtype=object)
    for t, texts in vocab.SUMMARY_TEMPLATES.items():
        sel = theme == t
        summary[sel] = choice(rng, texts, int(sel.sum()))
    summary[rng.random(n) < 0.05] = None

    # Location: the victim's home for most personal crimes.
    r = rng.random(n)
    loc_who = np.where((victim >= 0) & (r < np.where(domestic, 0.9, 0.45)), victim, -1)
    home = pop.home(np.maximum(loc_who, 0), month.index)
    place = ctx.random_places(n)
    at_home = pl.Series(loc_who >= 0)
    loc = {
        c: pl.select(pl.when(at_home).then(home[c]).otherwise(place[c])).to_series()
        for c in ("address", "postcode", "lpa")
    }

    investigations = pl.DataFrame(
        {
            "investigation_id": inv_id,
            "recorded_at": recorded,
            "offence_code": code.astype(str),
            "offence_description": desc.astype(str),
            "main_group": group.astype(str),
            "is_crime": is_crime,
            "outcome_code": pl.select(
                pl.when(pl.Series(outcome) == 0).then(None).otherwise(pl.Series(outcome))
            ).to_series(),
            "outcome_at": pl.select(
                pl.when(pl.Series(outcome) == 0).then(None).otherwise(pl.Series(outcome_at))
            ).to_series(),
            "location_address": loc["address"],
            "location_postcode": loc["postcode"],
            "location_lpa": pl.select(
                pl.when(pl.Series(rng.random(n) < 0.01)).then(None).otherwise(loc["lpa"])
            ).to_series(),
            "flags": flags,
            "summary": pl.Series(summary.tolist(), dtype=pl.String),
        }
    )

    # Roles (one row per person per investigation and role).
    witness = np.where(rng.random(n) < 0.25, draw(ctx.cdf_connect, n, pool, 0.75), -1)
    witness = np.where((kind == "caller") & ~planted_victim, primary, witness)
    other = np.where(rng.random(n) < 0.08, draw(ctx.cdf_connect, n, pool, 0.75), -1)
    sus_role = np.where(offender, "OFFENDER", "SUSPECT")
    idx = np.arange(n)
    slots = [
        (victim, "VICTIM"),
        (victim2, "VICTIM"),
        (suspect, sus_role),
        (suspect2, sus_role),
        (witness, "WITNESS"),
        (other, "OTHER"),
    ]
    ri_parts, rp_parts, rr_parts = [], [], []
    for who, role in slots:
        sel = who >= 0
        ri_parts.append(idx[sel])
        rp_parts.append(who[sel])
        rr_parts.append(np.broadcast_to(np.asarray(role, dtype=object), (n,))[sel])
    ri, rp, rr = np.concatenate(ri_parts), np.concatenate(rp_parts), np.concatenate(rr_parts).astype(str)
    roles = (
        pl.DataFrame({"_i": ri, "pidx": rp, "role": rr})
        .unique(subset=["_i", "pidx"], keep="first", maintain_order=True)
        .sort("_i", maintain_order=True)
    )
    rp_u = roles["pidx"].to_numpy()
    m = rp_u.size
    h = pop.home(rp_u, month.index)
    stale = pop.home(rp_u, -1)  # their original address: some records keep an old one
    r = rng.random(m)
    use_stale = pl.Series((r < 0.06) & (pop.move_month[rp_u] <= month.index))
    blank = pl.Series(r > 0.95)
    home_cols = {
        f"home_{c}": pl.select(pl.when(blank).then(None).when(use_stale).then(stale[c]).otherwise(h[c])).to_series()
        for c in ("address", "postcode", "lpa")
    }
    roles_out = pl.DataFrame(
        {
            "investigation_id": inv_id.gather(roles["_i"]),
            "person_id": pop.frame["person_id"].gather(rp_u),
            "role": roles["role"],
            **home_cols,
        }
    )

    # Relationships: every victim x suspect/offender pair, mostly recorded.
    pairs = []
    for v in (victim, victim2):
        for s in (suspect, suspect2):
            sel = (v >= 0) & (s >= 0) & (v != s)
            pairs.append((idx[sel], v[sel], s[sel]))
    pi = np.concatenate([p[0] for p in pairs])
    pv = np.concatenate([p[1] for p in pairs])
    ps = np.concatenate([p[2] for p in pairs])
    rel = relationship(pop, pv, ps, np.asarray(default, dtype=object)[pi])
    keep = rng.random(pi.size) < 0.85
    rel_df = (
        pl.DataFrame(
            {
                "_i": pi[keep],
                "investigation_id": inv_id.gather(pi[keep]),
                "victim_id": pop.frame["person_id"].gather(pv[keep]),
                "suspect_id": pop.frame["person_id"].gather(ps[keep]),
                "relationship": rel[keep].astype(str),
            }
        )
        .sort("_i", maintain_order=True)
        .drop("_i")
    )

    custody, cust_people = _custody(ctx, month, inv_id, suspect, primary, kind)
    referenced = np.unique(np.concatenate([rp_u, cust_people]))
    ctx.seen[referenced] = True
    return ConnectMonth(investigations, roles_out, rel_df, custody, referenced)


def _custody(ctx: Context, month: Month, inv_id: pl.Series, suspect, primary, kind):
    rng, pop = ctx.rng, ctx.pop
    n_target = round(ctx.scale.custody / 12 * month.season)
    planted = ctx.planted_events("custody", month)
    # Link a planted arrest to one of the person's investigations this month, when there is one.
    inv_of: dict[int, list[np.intp]] = {}
    for i in np.flatnonzero((kind == "offender") & (primary >= 0)):
        inv_of.setdefault(int(primary[i]), []).append(i)
    p_inv = np.array(
        [(rng.choice(inv_of[int(p)]) if int(p) in inv_of and rng.random() < 0.8 else -1) for p in planted],
        dtype=np.int64,
    )
    n_bg = max(n_target - planted.size, int(0.4 * n_target))
    cand = np.flatnonzero((suspect >= 0) & (primary < 0))
    from_inv = rng.random(n_bg) < 0.7
    ci = cand[rng.integers(0, max(cand.size, 1), n_bg)] if cand.size else np.full(n_bg, -1)
    bg_person = np.where(from_inv & (ci >= 0), suspect[np.maximum(ci, 0)], pick_weighted(rng, ctx.cdf_crim, n_bg))
    bg_inv = np.where(from_inv & (ci >= 0), ci, -1)
    person = np.concatenate([planted, bg_person]).astype(np.int64)
    inv = np.concatenate([p_inv, bg_inv])
    n = person.size
    arrival = ctx.instants(n, month)
    order = np.argsort(arrival, kind="stable")
    person, inv, arrival = person[order], inv[order], arrival[order]
    arrested = arrival - rng.exponential(2400, n).astype(np.int64) - 300
    stay = np.exp(rng.normal(np.log(11 * 3600), 0.8, n))
    is_planted = np.isin(pop.archetype[person], [A["prolific_offender"], A["all_three"]])
    stay = np.where(is_planted, stay * 1.6, stay)
    r = rng.random(n)
    remand = r < 0.03
    stay = np.where(remand, rng.uniform(150, 500, n) * 3600, stay)
    stay = np.where((r >= 0.03) & (r < 0.036), -rng.uniform(1, 10, n) * 3600, stay)  # data error: negative
    released = arrival + stay.astype(np.int64)
    outcome = choice(rng, ["CHARGED", "BAIL", "RELEASED UNDER INVESTIGATION", "NFA", "CAUTION"], n, [25, 12, 28, 22, 8])
    outcome = np.where(remand, "REMANDED", outcome)
    # numpy's stubs reject None as a branch of np.where; numpy accepts it (an object array).
    outcome = np.where(rng.random(n) < 0.03, None, outcome)  # type: ignore[call-overload]
    charged = np.isin(outcome, ["CHARGED", "REMANDED"])
    charged_type = choice(rng, vocab.FILE_TYPES[:4], n, [40, 25, 20, 15])
    ftype = np.where(charged, charged_type, np.where(rng.random(n) < 0.5, "NONE", None))  # type: ignore[call-overload]
    ftype = np.where(remand, "REMAND", ftype)
    lpa = pop.home(person, month.index)["lpa"].to_numpy()
    suite_by_lpa = {
        "BIRMINGHAM": ("PERRY BARR", "BOURNVILLE LANE"),
        "COVENTRY": ("COVENTRY",),
        "DUDLEY": ("OLDBURY",),
        "SANDWELL": ("OLDBURY",),
        "SOLIHULL": ("BOURNVILLE LANE",),
        "WALSALL": ("WALSALL", "WOLVERHAMPTON"),
        "WOLVERHAMPTON": ("WOLVERHAMPTON",),
    }
    u = rng.random(n)
    suite = np.array(
        [suite_by_lpa[x][int(v * len(suite_by_lpa[x]))] for x, v in zip(lpa, u, strict=True)], dtype=object
    )
    suite = np.where(rng.random(n) < 0.1, choice(rng, vocab.CUSTODY_SUITES, n), suite)
    reason = choice(rng, vocab.ARREST_REASONS, n)
    df = pl.DataFrame(
        {
            "custody_id": ctx.ids(f"CU{month.compact}", n, 5),
            "person_id": pop.frame["person_id"].gather(person),
            "investigation_id": pl.select(
                pl.when(pl.Series(inv >= 0)).then(inv_id.gather(np.maximum(inv, 0)))
            ).to_series(),
            "arrested_at": pl.select(
                pl.when(pl.Series(rng.random(n) < 0.05)).then(None).otherwise(pl.Series(arrested))
            ).to_series(),
            "arrest_reason": pl.Series(np.where(rng.random(n) < 0.04, None, reason).tolist(), dtype=pl.String),  # type: ignore[call-overload]
            "arrival_at": arrival,
            "released_at": pl.select(
                pl.when(pl.Series(rng.random(n) < 0.02)).then(None).otherwise(pl.Series(released))
            ).to_series(),
            "custody_outcome": pl.Series(outcome.tolist(), dtype=pl.String),
            "file_type": pl.Series(ftype.tolist(), dtype=pl.String),
            "custody_suite": pl.Series(suite.astype(str)),
        }
    )
    return df, person
