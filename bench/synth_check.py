"""Check a generated data set against the method: exact-link rate of ControlWorks
mentions, and the Stage 1 cohort (data contract section 3) versus the planted users.

A self-contained re-implementation of the contract's exact rules, used only to tune
the generator; the pipeline's own Stage 1 lives in ``fsu_dagster``.

    .venv/bin/python bench/synth_check.py data/          # after `fsu synth --out data ...`
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

TS = "%Y-%m-%dT%H:%M:%S"


def _read(root: Path, name: str) -> pl.DataFrame:
    files = sorted((root / "landing").glob(f"*/{name}.csv"))
    return pl.concat([pl.read_csv(f, infer_schema=False) for f in files], how="vertical")


def _norm(e: pl.Expr) -> pl.Expr:
    n = e.str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    return pl.when(n == "").then(None).otherwise(n)


def exact_links(root: Path) -> pl.DataFrame:
    persons = _read(root, "connect_persons").unique()
    logs = _read(root, "cw_incidents").filter(pl.col("is_preplanned") == "false")
    pnc_ix = (
        persons.filter(pl.col("pnc_id").is_not_null())
        .select(pnc=pl.col("pnc_id").str.to_uppercase().str.replace_all(" ", ""), person_id="person_id")
        .unique()
        .group_by("pnc")
        .agg(pl.col("person_id").unique())
    )
    name_ix = (
        persons.select(f=_norm(pl.col("forename")), s=_norm(pl.col("surname")), d=pl.col("dob"), person_id="person_id")
        .drop_nulls()
        .unique()
        .group_by("f", "s", "d")
        .agg(pl.col("person_id").unique())
    )
    out = []
    for role in ("originator", "subject"):
        m = logs.select(
            "incident_id",
            pnc=pl.col(f"{role}_pnc_id").str.to_uppercase().str.replace_all(" ", ""),
            f=_norm(pl.col(f"{role}_forename")),
            s=_norm(pl.col(f"{role}_surname")),
            d=pl.col(f"{role}_dob"),
        )
        by_pnc = m.join(pnc_ix, on="pnc", how="left").rename({"person_id": "p1"})
        by_name = by_pnc.join(name_ix, on=["f", "s", "d"], how="left").rename({"person_id": "p2"})
        linked = by_name.select(
            "incident_id",
            role=pl.lit(role),
            person_id=pl.when(pl.col("p1").is_not_null())
            .then(pl.when(pl.col("p1").list.len() == 1).then(pl.col("p1").list.first()))
            .when(pl.col("p2").list.len() == 1)
            .then(pl.col("p2").list.first()),
        ).filter(pl.col("person_id").is_not_null())
        out.append(linked)
    return pl.concat(out)


def stage1(
    root: Path, links: pl.DataFrame, top_n: int = 1000, cap: float = 200.0, list_size: int = 100
) -> pl.DataFrame:
    roles = _read(root, "connect_person_roles")
    custody = _read(root, "connect_custody")
    res = _read(root, "cw_resources")
    ts = lambda c: pl.col(c).str.strptime(pl.Datetime, TS)
    hours = (
        res.with_columns(
            start=pl.min_horizontal(ts("assigned_at"), ts("deployed_at"), ts("arrived_at")), end=ts("released_at")
        )
        .with_columns(h=((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600).clip(0, None).fill_null(0))
        .group_by("incident_id")
        .agg(hours=pl.col("h").sum())
    )
    lk = links.join(hours, on="incident_id", how="left").with_columns(pl.col("hours").fill_null(0))
    tot = []
    for role, name in (("SUSPECT", "suspect_total"), ("OFFENDER", "offender_total"), ("VICTIM", "victim_total")):
        tot.append(
            roles.filter(pl.col("role") == role)
            .group_by("person_id")
            .agg(pl.col("investigation_id").n_unique().alias(name))
        )
    tot.append(
        custody.with_columns(
            d=((ts("released_at") - ts("arrival_at")).dt.total_seconds() / 3600).clip(0, cap).fill_null(0)
        )
        .group_by("person_id")
        .agg(custody_total=pl.len(), custody_hours=pl.col("d").sum())
    )
    for role in ("originator", "subject"):
        tot.append(
            lk.filter(pl.col("role") == role)
            .unique(["incident_id", "person_id"])
            .group_by("person_id")
            .agg(pl.len().alias(f"{role}_calls"), pl.col("hours").sum().alias(f"{role}_hours"))
        )
    cols = [
        "suspect_total",
        "offender_total",
        "victim_total",
        "custody_total",
        "custody_hours",
        "originator_calls",
        "originator_hours",
        "subject_calls",
        "subject_hours",
    ]
    ids = pl.concat([t.select("person_id") for t in tot]).unique()
    df = ids
    for t in tot:
        df = df.join(t, on="person_id", how="left")
    df = df.with_columns([pl.col(c).fill_null(0).cast(pl.Float64) for c in cols])
    n = df.height
    k = min(top_n, n)
    for c in cols:
        scale = df[c].sort(descending=True).head(k).mean()
        df = df.with_columns((pl.col(c) / scale if scale else pl.lit(0.0)).alias(f"n_{c}"))
    metrics = {"inv": cols[:5], "orig": cols[5:7], "subj": cols[7:9], "overall": cols}
    for m, cs in metrics.items():
        df = df.with_columns(pl.mean_horizontal([pl.col(f"n_{c}") for c in cs]).alias(m))
        mx = df[m].max()
        df = df.with_columns((pl.col(m) / mx if mx else pl.lit(0.0)).alias(m))
        df = df.sort([m, "person_id"], descending=[True, False]).with_columns(pl.int_range(1, n + 1).alias(f"rank_{m}"))
    cohort = df.filter(pl.any_horizontal([(pl.col(f"rank_{m}") <= list_size) & (pl.col(m) > 0) for m in metrics]))
    return df, cohort


def main(root: Path) -> None:
    truth = pl.read_csv(root / "truth" / "cw_mentions.csv", infer_schema=False)
    persons = pl.read_csv(root / "truth" / "persons.csv", infer_schema=False)
    logs = _read(root, "cw_incidents").select("incident_id", "is_preplanned")
    links = exact_links(root)
    t = truth.join(logs, on="incident_id").filter(pl.col("is_preplanned") == "false")
    j = t.join(links, on=["incident_id", "role"], how="left", suffix="_linked")
    n = j.height
    correct = j.filter(pl.col("person_id_linked") == pl.col("person_id")).height
    wrong = j.filter(
        pl.col("person_id_linked").is_not_null() & (pl.col("person_id_linked") != pl.col("person_id"))
    ).height
    print(
        f"mentions {n}: exact-linked correctly {correct / n:.1%}, wrongly {wrong / n:.2%}, "
        f"without Connect record {t['person_id'].null_count() / n:.1%}"
    )
    per_person = t.group_by("true_id").len()
    top = per_person.sort("len", descending=True)
    k = max(1, per_person.height // 100)
    print(
        f"people mentioned {per_person.height}; top 1% ({k}) hold {top.head(k)['len'].sum() / top['len'].sum():.1%} of mentions"
    )
    df, cohort = stage1(root, links)
    planted = persons.filter(~pl.col("archetype").is_in(["background", "professional"])).select(
        "person_id", "archetype"
    )
    c = cohort.join(planted, on="person_id", how="left").with_columns(pl.col("archetype").fill_null("background"))
    print(f"universe {df.height}, cohort {cohort.height}")
    print(c.group_by("archetype").len().sort("archetype"))
    print("planted in cohort:", planted.join(cohort, on="person_id", how="semi").height, "of", planted.height)
    miss = planted.join(cohort, on="person_id", how="anti").group_by("archetype").len()
    print("planted missing from cohort:", miss.sort("archetype").to_dicts())


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data"))
