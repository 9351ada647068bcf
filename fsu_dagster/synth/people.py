"""The synthetic population: households, identities, Connect versions and the planted
frequent service users.

Built once per run with numpy (one row per person, no per-person Python loops except
over the few hundred planted users). Persons are addressed by their row index
(``pidx``); ``true_id`` and Connect ``person_id`` are strings derived from it, with the
Connect IDs shuffled so that an ID says nothing about archetype.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fsu_dagster.synth import vocab
from fsu_dagster.synth.errors import K, apply_errors, format_pnc
from fsu_dagster.synth.scales import Scale

__all__ = ["ARCHETYPES", "Population", "build_population", "random_addresses", "relationship"]

ARCHETYPES = (
    "background",
    "prolific_caller",
    "repeat_victim",
    "prolific_offender",
    "all_three",
    "missing_young_person",
    "professional",
)
A = {a: i for i, a in enumerate(ARCHETYPES)}
HEAD, PARTNER, CHILD = 0, 1, 2


def _zipf_p(n: int, s: float = 0.9, shift: float = 3.0) -> np.ndarray:
    p = 1.0 / (np.arange(n) + shift) ** s
    return p / p.sum()


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**width, n).astype(str), width)


@dataclass
class Population:
    n: int
    sex: np.ndarray  # 0 male, 1 female
    household: np.ndarray
    hh_role: np.ndarray
    dob: np.ndarray  # days since epoch
    has_connect: np.ndarray
    crim: np.ndarray  # has a PNC record
    weight: np.ndarray  # background activity weight (heavy tailed)
    archetype: np.ndarray
    move_month: np.ndarray  # month index from which the alternative address applies (large = never)
    abuser: np.ndarray  # pidx of a planted abuser, -1 none
    abuser_rel: np.ndarray  # what the abuser is to this person
    household_members: np.ndarray  # CSR offsets into members (per household)
    members: np.ndarray
    #: Planted per-person yearly rates (0 for background people).
    rates: dict[str, np.ndarray]
    #: Per-person strings: true_id, person_id, forename, surname, pnc_id, mobile, landline,
    #: address, postcode, lpa, alt_address, alt_postcode, alt_lpa.
    frame: pl.DataFrame
    #: Connect versions: pidx, person_id, forename, surname, dob, pnc_id, phone_number.
    versions: pl.DataFrame
    vstart: np.ndarray
    vcount: np.ndarray
    planted_relationships: pl.DataFrame = field(default_factory=pl.DataFrame)

    def age_years(self, day: int) -> np.ndarray:
        return (day - self.dob) / 365.25

    def home(self, pidx: np.ndarray, month_index: int) -> pl.DataFrame:
        """``address, postcode, lpa`` of each person in ``pidx`` during that month."""
        idx = pl.Series(np.asarray(pidx, dtype=np.int64))
        moved = pl.Series(self.move_month[np.asarray(pidx, dtype=np.int64)] <= month_index)
        f = self.frame
        return pl.DataFrame(
            {
                "address": pl.select(
                    pl.when(moved).then(f["alt_address"].gather(idx)).otherwise(f["address"].gather(idx))
                ).to_series(),
                "postcode": pl.select(
                    pl.when(moved).then(f["alt_postcode"].gather(idx)).otherwise(f["postcode"].gather(idx))
                ).to_series(),
                "lpa": pl.select(
                    pl.when(moved).then(f["alt_lpa"].gather(idx)).otherwise(f["lpa"].gather(idx))
                ).to_series(),
            }
        )

    def household_other(self, rng: np.random.Generator, pidx: np.ndarray) -> np.ndarray:
        """A random other member of each person's household, -1 when they live alone."""
        h = self.household[pidx]
        start = self.household_members[h]
        size = self.household_members[h + 1] - start
        j = (rng.random(pidx.size) * np.maximum(size - 1, 1)).astype(np.int64)
        m = self.members[np.minimum(start + j, self.members.size - 1)]
        m = np.where(m == pidx, self.members[start + size - 1], m)
        return np.where(size > 1, m, -1)


def random_addresses(rng: np.random.Generator, n: int) -> pl.DataFrame:
    lpa_idx = rng.choice(len(vocab.LPAS), n, p=np.array(vocab.LPA_WEIGHTS) / sum(vocab.LPA_WEIGHTS))
    lpa = np.array(vocab.LPAS)[lpa_idx]
    # Postcode district from the LPA's own list.
    u = rng.random(n)
    district = np.empty(n, dtype=object)
    for i, name in enumerate(vocab.LPAS):
        sel = lpa_idx == i
        ds = np.array(vocab.POSTCODE_DISTRICTS[name], dtype=object)
        district[sel] = ds[(u[sel] * len(ds)).astype(int)]
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    street = np.array(vocab.STREET_STEMS, dtype=object)[rng.integers(0, len(vocab.STREET_STEMS), n)]
    suffix = np.array(vocab.STREET_SUFFIXES, dtype=object)[rng.integers(0, len(vocab.STREET_SUFFIXES), n)]
    number = rng.integers(1, 240, n)
    flat = rng.random(n) < 0.12
    return pl.DataFrame(
        {
            "number": number,
            "flat": flat,
            "flatno": rng.integers(1, 30, n),
            "street": street.astype(str),
            "suffix": suffix.astype(str),
            "district": district.astype(str),
            "sector": rng.integers(0, 10, n),
            "unit": np.char.add(letters[rng.integers(0, 20, n)], letters[rng.integers(0, 20, n)]),
            "lpa": lpa,
        }
    ).select(
        address=pl.when(pl.col("flat"))
        .then(pl.format("Flat {}, {} {} {}", "flatno", "number", "street", "suffix"))
        .otherwise(pl.format("{} {} {}", "number", "street", "suffix")),
        postcode=pl.format("{} {}{}", "district", "sector", "unit"),
        lpa=pl.col("lpa"),
    )


def build_population(rng: np.random.Generator, scale: Scale, first_day: int, n_months: int) -> Population:
    """Households and identities for ``scale.population`` residents plus professionals."""
    n_res = scale.population
    # Households: sizes 1-6, members ordered head, partner, children.
    sizes = rng.choice(np.arange(1, 7), size=n_res // 2 + 10, p=[0.30, 0.30, 0.17, 0.14, 0.06, 0.03])
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_res) + 1]
    sizes[-1] -= sizes.sum() - n_res
    sizes = sizes[sizes > 0]
    n_hh = sizes.size
    household = np.repeat(np.arange(n_hh), sizes)
    pos = np.arange(n_res) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    has_partner = rng.random(n_hh) < 0.75
    hh_role = np.where(pos == 0, HEAD, np.where((pos == 1) & has_partner[household], PARTNER, CHILD))

    head_age = np.clip(rng.gamma(6.0, 7.5, n_hh) + 16, 18, 95)
    age = head_age[household].copy()
    part = hh_role == PARTNER
    age[part] = np.clip(age[part] + rng.normal(0, 4, part.sum()), 18, 95)
    ch = hh_role == CHILD
    gap = rng.uniform(18, 40, ch.sum())
    age[ch] = np.where(age[ch] - gap >= 0, age[ch] - gap, rng.uniform(0, 17, ch.sum()))

    n_pro = scale.professionals
    n = n_res + n_pro
    age = np.concatenate([age, rng.uniform(22, 62, n_pro)])
    household = np.concatenate([household, n_hh + np.arange(n_pro)])
    hh_role = np.concatenate([hh_role, np.full(n_pro, HEAD)])
    n_hh_all = n_hh + n_pro
    dob = (first_day - age * 365.25 - rng.uniform(0, 365, n)).astype(np.int64)
    age = (first_day - dob) / 365.25  # exact age on the first day of the run

    sex = (rng.random(n) < 0.5).astype(np.int8)
    head_of = (np.cumsum(sizes) - sizes)[household[:n_res]]
    pi = np.flatnonzero(hh_role[:n_res] == PARTNER)
    sex[pi] = np.where(rng.random(pi.size) < 0.9, 1 - sex[head_of[pi]], sex[pi])

    # Names: household surname, shared by most members; a few double-barrelled.
    surnames = np.array(vocab.SURNAMES, dtype=object)
    hh_surname = surnames[rng.choice(surnames.size, n_hh_all, p=_zipf_p(surnames.size))]
    double = rng.random(n_hh_all) < 0.04
    other = surnames[rng.choice(surnames.size, n_hh_all, p=_zipf_p(surnames.size))]
    hh_surname = np.where(double & (other != hh_surname), hh_surname + "-" + other, hh_surname)
    own_surname = surnames[rng.choice(surnames.size, n, p=_zipf_p(surnames.size))]
    keep = np.where(hh_role == PARTNER, rng.random(n) < 0.6, rng.random(n) < 0.88)
    surname = np.where(keep, hh_surname[household], own_surname)
    males = np.array(vocab.MALE_FORENAMES, dtype=object)
    females = np.array(vocab.FEMALE_FORENAMES, dtype=object)
    forename = np.where(
        sex == 0,
        males[rng.choice(males.size, n, p=_zipf_p(males.size, 0.8))],
        females[rng.choice(females.size, n, p=_zipf_p(females.size, 0.8))],
    )

    archetype = np.zeros(n, dtype=np.int8)
    archetype[n_res:] = A["professional"]
    has_connect = rng.random(n) < 0.88
    has_connect[n_res:] = rng.random(n_pro) < 0.1
    adult = age >= 18
    crim_p = np.where(
        (sex == 0) & adult & (age < 46), 0.42, np.where(adult & (age < 60), 0.2, np.where(age >= 12, 0.08, 0.0))
    )
    crim = (rng.random(n) < crim_p) & has_connect
    # Background activity: heavy tailed (Pareto), capped so no background person rivals a planted one.
    weight = np.minimum(rng.pareto(1.15, n) + 1.0, 60.0)
    weight[n_res:] = 0.0

    # ---- Planted frequent users -------------------------------------------------
    used = np.zeros(n, dtype=bool)
    used[n_res:] = True

    def pick(k: int, eligible: np.ndarray) -> np.ndarray:
        cand = np.flatnonzero(eligible & ~used)
        chosen = np.sort(rng.choice(cand, size=min(k, cand.size), replace=False))
        used[chosen] = True
        return chosen

    hh_size = np.bincount(household, minlength=n_hh_all)
    child_in_family = (hh_role == CHILD) & (age >= 12) & (age < 16.5) & (hh_size[household] >= 2)
    groups = {
        "missing_young_person": pick(scale.missing_young_people, child_in_family),
        "prolific_offender": pick(scale.prolific_offenders, adult & (age < 46) & ((sex == 0) | (rng.random(n) < 0.2))),
        "all_three": pick(scale.all_three, adult & (age < 55)),
        "repeat_victim": pick(scale.repeat_victims, adult & (age < 75) & ((sex == 1) | (rng.random(n) < 0.25))),
        "prolific_caller": pick(scale.prolific_callers, (age >= 25) & (age < 88)),
    }
    for name, idx in groups.items():
        archetype[idx] = A[name]
    planted = archetype > 0
    planted[n_res:] = False
    has_connect[planted] = True
    crim[groups["prolific_offender"]] = True
    crim[groups["all_three"]] = True
    weight[planted] = 1.0

    def lognorm(median: float, sigma: float, lo: float, hi: float, idx: np.ndarray) -> np.ndarray:
        return np.clip(np.exp(rng.normal(np.log(median), sigma, idx.size)), lo, hi)

    rates = {
        k: np.zeros(n)
        for k in (
            "orig",
            "victim_subj",
            "offender_subj",
            "missing_subj",
            "victim",
            "suspect",
            "custody",
            "missing",
            "witness",
        )
    }
    g = groups
    rates["orig"][g["prolific_caller"]] = lognorm(80, 0.5, 35, 400, g["prolific_caller"])
    rates["witness"][g["prolific_caller"]] = lognorm(3, 0.4, 1, 10, g["prolific_caller"])
    rates["victim"][g["prolific_caller"]] = lognorm(3, 0.5, 1, 12, g["prolific_caller"])
    rates["victim_subj"][g["repeat_victim"]] = lognorm(55, 0.4, 20, 200, g["repeat_victim"])
    rates["victim"][g["repeat_victim"]] = lognorm(20, 0.45, 8, 70, g["repeat_victim"])
    rates["offender_subj"][g["prolific_offender"]] = lognorm(12, 0.6, 3, 60, g["prolific_offender"])
    rates["suspect"][g["prolific_offender"]] = lognorm(16, 0.5, 6, 70, g["prolific_offender"])
    rates["custody"][g["prolific_offender"]] = lognorm(12, 0.5, 4, 50, g["prolific_offender"])
    rates["victim"][g["prolific_offender"]] = lognorm(2, 0.5, 0.5, 8, g["prolific_offender"])
    a3 = g["all_three"]
    rates["orig"][a3] = lognorm(50, 0.6, 20, 250, a3)
    rates["victim_subj"][a3] = lognorm(24, 0.5, 8, 120, a3)
    rates["offender_subj"][a3] = lognorm(10, 0.5, 3, 50, a3)
    rates["victim"][a3] = lognorm(11, 0.5, 5, 50, a3)
    rates["suspect"][a3] = lognorm(12, 0.5, 5, 50, a3)
    rates["custody"][a3] = lognorm(9, 0.5, 3, 40, a3)
    myp = g["missing_young_person"]
    rates["missing"][myp] = lognorm(18, 0.45, 8, 60, myp)
    rates["missing_subj"][myp] = rates["missing"][myp] * rng.uniform(1.6, 2.4, myp.size)
    rates["victim"][myp] = lognorm(3, 0.5, 1, 10, myp)
    rates["suspect"][myp] = lognorm(1.5, 0.6, 0, 8, myp)

    # Abusers of repeat victims: the household partner, or an ex-partner elsewhere
    # (often a planted prolific offender).
    abuser = np.full(n, -1, dtype=np.int64)
    abuser_rel = np.full(n, "", dtype=object)
    members_order = np.argsort(household, kind="stable")
    hh_start = np.concatenate([[0], np.cumsum(np.bincount(household, minlength=n_hh_all))])
    for v in np.concatenate([g["repeat_victim"], a3]):
        r = rng.random()
        h = household[v]
        mates = members_order[hh_start[h] : hh_start[h + 1]]
        partners = [m for m in mates if m != v and hh_role[m] in (HEAD, PARTNER) and hh_role[v] in (HEAD, PARTNER)]
        if r < 0.45 and partners:
            abuser[v], abuser_rel[v] = partners[0], "PARTNER"
        elif r < 0.80:
            pool = g["prolific_offender"] if rng.random() < 0.5 else None
            if pool is not None and pool.size:
                abuser[v] = int(rng.choice(pool))
            else:
                cand = int(rng.integers(0, n_res))
                while cand == v or age[cand] < 18 or household[cand] == h:
                    cand = int(rng.integers(0, n_res))
                abuser[v] = cand
            abuser_rel[v] = "EX-PARTNER"
    has_abuser = abuser >= 0
    has_connect[abuser[has_abuser]] = True
    crim[abuser[has_abuser]] = True

    # People who move house during the run use another address from that month on.
    move_month = np.where(rng.random(n) < 0.08, rng.integers(1, max(n_months, 2), n), 10_000)

    # ---- Strings -------------------------------------------------------------------
    hh_addr = random_addresses(rng, n_hh_all)
    alt_addr = random_addresses(rng, n)
    perm = rng.permutation(n) + 10_000_000 + rng.integers(0, 9_000_000)
    pnc_year = np.where(rng.random(n) < 0.7, rng.integers(0, 26, n), rng.integers(85, 100, n))
    pnc = format_pnc(pnc_year, rng.integers(1, 999_999, n))
    mobile = pl.Series("mobile", np.char.add("07", _digits(rng, n, 9)))
    prefix = np.array([vocab.LANDLINE_PREFIX[x] for x in vocab.LPAS])
    lpa_idx = (
        pl.Series(hh_addr["lpa"])
        .replace_strict({x: i for i, x in enumerate(vocab.LPAS)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    pfx = prefix[lpa_idx]
    landline_hh = np.where(
        np.char.str_len(pfx.astype(str)) == 4,
        np.char.add(pfx.astype(str), _digits(rng, n_hh_all, 7)),
        np.char.add(pfx.astype(str), _digits(rng, n_hh_all, 6)),
    )
    has_landline = rng.random(n_hh_all) < 0.45
    has_mobile = rng.random(n) < np.where(age >= 11, 0.93, 0.0)
    frame = pl.DataFrame(
        {
            "true_id": pl.select(
                pl.format("T{}", pl.Series(np.arange(n) + 1).cast(pl.String).str.zfill(7))
            ).to_series(),
            "person_id": pl.select(
                pl.when(pl.Series(has_connect)).then(pl.format("P{}", pl.Series(perm).cast(pl.String)))
            ).to_series(),
            "forename": forename.astype(str),
            "surname": surname.astype(str),
            "pnc_id": pl.select(pl.when(pl.Series(crim)).then(pnc)).to_series(),
            "mobile": pl.select(pl.when(pl.Series(has_mobile)).then(mobile)).to_series(),
            "landline": pl.select(
                pl.when(pl.Series(has_landline[household])).then(pl.Series(landline_hh[household]))
            ).to_series(),
            "address": hh_addr["address"].gather(household),
            "postcode": hh_addr["postcode"].gather(household),
            "lpa": hh_addr["lpa"].gather(household),
            "alt_address": alt_addr["address"],
            "alt_postcode": alt_addr["postcode"],
            "alt_lpa": alt_addr["lpa"],
        }
    ).with_columns(dob=pl.Series(dob).cast(pl.Int32).cast(pl.Date))

    versions, vstart, vcount = _versions(rng, frame, has_connect, planted, crim)

    pop = Population(
        n=n,
        sex=sex,
        household=household,
        hh_role=hh_role,
        dob=dob,
        has_connect=has_connect,
        crim=crim,
        weight=weight,
        archetype=archetype,
        move_month=move_month,
        abuser=abuser,
        abuser_rel=abuser_rel,
        household_members=hh_start,
        members=members_order,
        rates=rates,
        frame=frame,
        versions=versions,
        vstart=vstart,
        vcount=vcount,
    )
    pop.planted_relationships = _planted_relationships(pop)
    return pop


def _versions(rng, frame: pl.DataFrame, has_connect, planted, crim):
    """Connect versions: the canonical identity first, then other spellings, DOBs, PNC
    IDs and phone numbers. A handful of PNC IDs are wrongly shared by two person_ids."""
    n = frame.height
    nv = rng.choice([1, 2, 3, 4, 5], n, p=[0.52, 0.28, 0.12, 0.06, 0.02])
    nv = np.where(planted, 2 + np.minimum(rng.poisson(2.0, n), 5), nv)
    nv = np.where(has_connect, nv, 0)
    pidx = np.repeat(np.arange(n), nv)
    vno = np.arange(pidx.size) - np.repeat(np.cumsum(nv) - nv, nv)
    vstart = np.cumsum(nv) - nv
    base = frame.select("person_id", "forename", "surname", "dob", "pnc_id", "mobile", "landline")[pidx]
    kinds_pool = np.array(
        [
            K["exact"],
            K["nickname"],
            K["typo_sub"],
            K["typo_transpose"],
            K["typo_delete"],
            K["ascii"],
            K["surname_part"],
            K["dob_swap"],
            K["dob_typo"],
            K["dob_missing"],
            K["punct"],
        ]
    )
    kp = np.array([0.22, 0.16, 0.1, 0.08, 0.06, 0.05, 0.08, 0.08, 0.07, 0.04, 0.06])
    kinds = np.where(vno == 0, K["exact"], kinds_pool[rng.choice(kinds_pool.size, pidx.size, p=kp / kp.sum())])
    typed = apply_errors(base.select("forename", "surname", "dob"), kinds, rng)
    r = rng.random(pidx.size)
    old_mobile = pl.Series(np.char.add("07", _digits(rng, pidx.size, 9)))
    phone = pl.select(
        pl.when(pl.Series(vno == 0))
        .then(pl.coalesce(base["mobile"], base["landline"]))
        .when(pl.Series(r < 0.35))
        .then(base["landline"])
        .when(pl.Series(r < 0.6))
        .then(old_mobile)
        .when(pl.Series(r < 0.8))
        .then(base["mobile"])
        .otherwise(None)
    ).to_series()
    keep_pnc = (vno == 0) | (rng.random(pidx.size) < 0.7)
    pnc = pl.select(pl.when(pl.Series(keep_pnc)).then(base["pnc_id"])).to_series()
    versions = pl.DataFrame(
        {
            "pidx": pidx,
            "person_id": base["person_id"],
            "forename": typed["forename"],
            "surname": typed["surname"],
            "dob": typed["dob"],
            "pnc_id": pnc,
            "phone_number": phone.alias("phone_number"),
        }
    )
    # Data error kept on purpose: a few PNC IDs recorded against two different people.
    crim_versions = np.flatnonzero(crim[pidx] & (vno > 0) & keep_pnc)
    k = max(1, crim_versions.size // 2000) if crim_versions.size else 0
    if k:
        victims = rng.choice(crim_versions, k, replace=False)
        donors = rng.choice(np.flatnonzero(crim & has_connect), k)
        pnc_arr = versions["pnc_id"].to_list()
        for vi, d in zip(victims, donors, strict=True):
            if pidx[vi] != d:
                pnc_arr[vi] = frame["pnc_id"][int(d)]
        versions = versions.with_columns(pnc_id=pl.Series(pnc_arr, dtype=pl.String))
    return versions, vstart, nv


def relationship(pop: Population, a: np.ndarray, b: np.ndarray, default: np.ndarray | str) -> np.ndarray:
    """What ``b`` is to ``a`` (vectorised): SELF, household ties, planted abusers, else ``default``."""
    a = np.asarray(a)
    b = np.asarray(b)
    out = np.array(default, dtype=object) if not isinstance(default, str) else np.full(a.size, default, dtype=object)
    out = out.copy()
    ok = (a >= 0) & (b >= 0)
    aa, bb = np.where(ok, a, 0), np.where(ok, b, 0)
    same = ok & (pop.household[aa] == pop.household[bb])
    ra, rb = pop.hh_role[aa], pop.hh_role[bb]
    adult_a, adult_b = ra != CHILD, rb != CHILD
    out[same & adult_a & adult_b] = "PARTNER"
    out[same & ~adult_a & adult_b] = "PARENT"
    out[same & adult_a & ~adult_b] = "CHILD"
    out[same & ~adult_a & ~adult_b] = "SIBLING"
    ab = ok & (pop.abuser[aa] == bb)
    out[ab] = pop.abuser_rel[aa[ab]]
    ba = ok & (pop.abuser[bb] == aa)
    out[ba] = pop.abuser_rel[bb[ba]]
    out[ok & (aa == bb)] = "SELF"
    return out


def _planted_relationships(pop: Population) -> pl.DataFrame:
    """Truth: for every planted user, each household member and planted abuser, as
    ``person_id_a, person_id_b, relationship`` (what b is to a)."""
    planted = np.flatnonzero((pop.archetype > 0) & (pop.archetype < A["professional"]))
    rows_a, rows_b = [], []
    for p in planted:
        h = pop.household[p]
        for m in pop.members[pop.household_members[h] : pop.household_members[h + 1]]:
            if m != p:
                rows_a += [p, m]
                rows_b += [m, p]
        if pop.abuser[p] >= 0:
            rows_a += [p, pop.abuser[p]]
            rows_b += [pop.abuser[p], p]
    a = np.array(rows_a, dtype=np.int64)
    b = np.array(rows_b, dtype=np.int64)
    rel = relationship(pop, a, b, "UNKNOWN")
    df = pl.DataFrame({"a": a, "b": b, "relationship": rel.astype(str)})
    pid = pop.frame["person_id"]
    df = df.with_columns(person_id_a=pid.gather(df["a"]), person_id_b=pid.gather(df["b"]))
    return (
        df.filter(pl.col("person_id_a").is_not_null() & pl.col("person_id_b").is_not_null())
        .select("person_id_a", "person_id_b", "relationship")
        .unique(maintain_order=True)
        .sort("person_id_a", "person_id_b")
    )
