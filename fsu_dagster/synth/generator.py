"""The month loop: generate each month's extracts, write them, then the truth files."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import polars as pl

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.synth.avaya import avaya_calls
from fsu_dagster.synth.clock import Month, months_between
from fsu_dagster.synth.compact import compact_month
from fsu_dagster.synth.connect import connect_month
from fsu_dagster.synth.context import Context
from fsu_dagster.synth.controlworks import cw_month
from fsu_dagster.synth.people import ARCHETYPES, build_population
from fsu_dagster.synth.scales import get_scale
from fsu_dagster.synth.writer import write_extract, write_truth

__all__ = ["generate"]

EXTRACT_ORDER = tuple(EXTRACTS)


def _progress(enabled: bool, total: int):
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} months"),
        TimeElapsedColumn(),
        transient=False,
    )


def generate(
    out: Path | str,
    start: str,
    end: str,
    scale: str = "small",
    seed: int = 42,
    fmt: str = "csv",
    progress: bool = False,
) -> str:
    """Write synthetic landing extracts for months ``start``..``end`` (``YYYY-MM``) and the
    truth files; return a one-paragraph summary. The same arguments give the same bytes."""
    t0 = time.perf_counter()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    months = months_between(start, end)
    sc = get_scale(scale)
    out = Path(out)
    landing, truth_dir = out / "landing", out / "truth"
    rng = np.random.default_rng(seed)
    pop = build_population(rng, sc, months[0].first_day, len(months))
    ctx = Context(rng, sc, pop, months)

    counts: Counter[str] = Counter()
    per_month: dict[str, dict[str, int]] = {}
    mentions, missing_truth = [], []
    pending: tuple[Month, pl.DataFrame] | None = None

    run_end = months[-1].end

    def write(month: Month, name: str, df: pl.DataFrame) -> None:
        # The extract is taken when the last month ends: nothing has happened after that
        # (an outcome, a release or a closure still to come is null).
        ex = EXTRACTS[name]
        later = [c.name for c in ex.columns if c.type == "timestamp" and c.name != ex.anchor]
        df = df.with_columns([pl.when(pl.col(c) < run_end).then(pl.col(c)).alias(c) for c in later])
        rows = write_extract(df, ex, landing / month.key, fmt)
        counts[name] += rows
        per_month.setdefault(month.key, {})[name] = rows

    def flush_calls(month: Month, log_calls: pl.DataFrame) -> None:
        write(month, "avaya_calls", avaya_calls(ctx, month, log_calls))

    with _progress(progress, len(months)) as bar:
        task = bar.add_task("Generating", total=len(months)) if bar else None
        for month in months:
            if bar:
                bar.update(task, description=f"Generating {month.key}")
            cw = cw_month(ctx, month, months[0])
            early = cw.calls.filter(pl.col("started_at") < month.start)
            if pending is not None:
                flush_calls(pending[0], pl.concat([pending[1], early]))
            pending = (month, cw.calls.filter(pl.col("started_at") >= month.start))
            write(month, "cw_incidents", cw.incidents)
            write(month, "cw_resources", cw.resources)
            mentions.append(cw.mentions)

            con = connect_month(ctx, month, cw.mentions["pidx"].to_numpy())
            missing, mtruth, missing_ids = compact_month(ctx, month)
            missing_truth.append(mtruth)
            referenced = np.union1d(con.referenced, missing_ids)
            ctx.mark_connect(referenced)
            persons = (
                pop.versions.filter(pl.col("pidx").is_in(pl.Series(referenced)))
                .sort("person_id", maintain_order=True)
                .drop("pidx")
            )
            write(month, "connect_persons", persons)
            write(month, "connect_investigations", con.investigations)
            write(month, "connect_person_roles", con.roles)
            write(month, "connect_relationships", con.relationships)
            write(month, "connect_custody", con.custody)
            write(month, "compact_missing", missing)
            if bar:
                bar.advance(task)
        assert pending is not None
        flush_calls(*pending)

    # ---- Truth -------------------------------------------------------------------
    # A person whose Connect record appears in no month of the run has no Connect record
    # as far as this data set goes: the truth says so.
    f = pop.frame.with_columns(person_id=pl.when(pl.Series(ctx.in_connect)).then(pl.col("person_id")))
    arche = pl.Series(np.array(ARCHETYPES, dtype=object)[pop.archetype].astype(str))
    m = pl.concat(mentions)
    cw_truth = m.select(
        "incident_id",
        "role",
        f["true_id"].gather(m["pidx"]).alias("true_id"),
        f["person_id"].gather(m["pidx"]).alias("person_id"),
        "relationship_to_subject",
        "variant",
    )
    mt = pl.concat(missing_truth)
    miss_truth = mt.select(
        "report_id",
        f["true_id"].gather(mt["pidx"]).alias("true_id"),
        f["person_id"].gather(mt["pidx"]).alias("person_id"),
    )
    seen = np.flatnonzero(ctx.seen | ((pop.archetype > 0) & (pop.archetype < ARCHETYPES.index("professional"))))
    persons_truth = pl.DataFrame(
        {
            "true_id": f["true_id"].gather(seen),
            "person_id": f["person_id"].gather(seen),
            "forename": f["forename"].gather(seen),
            "surname": f["surname"].gather(seen),
            "dob": f["dob"].gather(seen),
            "archetype": arche.gather(seen),
        }
    )
    write_truth(persons_truth, truth_dir / "persons.csv")
    write_truth(cw_truth, truth_dir / "cw_mentions.csv")
    write_truth(miss_truth, truth_dir / "missing_reports.csv")
    known = f["person_id"].drop_nulls().implode()
    relationships = pop.planted_relationships.filter(
        pl.col("person_id_a").is_in(known) & pl.col("person_id_b").is_in(known)
    )
    write_truth(relationships, truth_dir / "relationships.csv")

    archetype_counts = persons_truth["archetype"].value_counts(sort=True).sort("archetype")
    variants = cw_truth["variant"].value_counts().sort("variant")
    summary = {
        "scale": scale,
        "seed": seed,
        "format": fmt,
        "months": [mo.key for mo in months],
        "rows": {name: counts[name] for name in EXTRACT_ORDER},
        "rows_per_month": per_month,
        "archetypes": dict(
            zip(archetype_counts["archetype"].to_list(), archetype_counts["count"].to_list(), strict=True)
        ),
        "cw_mentions": cw_truth.height,
        "cw_mention_variants": dict(zip(variants["variant"].to_list(), variants["count"].to_list(), strict=True)),
        "cw_mentions_without_connect_record": int(cw_truth["person_id"].null_count()),
        "missing_reports": miss_truth.height,
        "planted_relationships": relationships.height,
        "offence_code_without_harm_value": "99X",
    }
    truth_dir.mkdir(parents=True, exist_ok=True)
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    elapsed = time.perf_counter() - t0
    rows = ", ".join(f"{name} {counts[name]:,}" for name in EXTRACT_ORDER)
    planted = int(((pop.archetype > 0) & (pop.archetype < ARCHETYPES.index("professional"))).sum())
    return (
        f"Wrote {len(months)} month(s) {months[0].key}..{months[-1].key} of {scale}-scale synthetic data "
        f"(seed {seed}, {fmt}) to {landing} in {elapsed:.1f} s. Rows: {rows}. "
        f"Truth in {truth_dir}: {persons_truth.height:,} people ({planted} planted frequent users), "
        f"{cw_truth.height:,} ControlWorks mentions, {miss_truth.height:,} missing reports."
    )
