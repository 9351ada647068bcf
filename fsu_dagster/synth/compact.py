"""Compact missing person reports: the planted missing young people go missing again and
again; the rest are mostly teenagers and some adults. Connect's person_id is on most
reports; without it the report carries the name and DOB as typed."""

from __future__ import annotations

import numpy as np
import polars as pl

from fsu_dagster.synth.clock import Month
from fsu_dagster.synth.context import Context, choice, pick_weighted
from fsu_dagster.synth.controlworks import type_people
from fsu_dagster.synth.errors import K
from fsu_dagster.synth.people import A

__all__ = ["compact_month"]


def compact_month(ctx: Context, month: Month) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """(``compact_missing`` rows, truth ``report_id, pidx``, person indices whose person_id is on a report)."""
    rng, pop = ctx.rng, ctx.pop
    n_target = round(ctx.scale.missing / 12 * month.season)
    planted = ctx.planted_events("missing", month)
    n_bg = max(n_target - planted.size, int(0.3 * n_target))
    young = pick_weighted(rng, ctx.cdf_young, n_bg)
    adult = pick_weighted(rng, ctx.cdf_adult, n_bg)
    bg = np.where(rng.random(n_bg) < 0.65, young, adult)
    person = np.concatenate([planted, bg]).astype(np.int64)
    n = person.size
    reported = ctx.instants(n, month)
    order = np.argsort(reported, kind="stable")
    person, reported = person[order], reported[order]
    with_id = pop.has_connect[person] & (rng.random(n) >= 0.12)
    kinds = np.where(
        rng.random(n) < 0.75,
        K["exact"],
        choice(
            rng, [K["nickname"], K["typo_sub"], K["dob_swap"], K["dob_missing"], K["ascii"]], n, [3, 3, 2, 2, 1]
        ).astype(np.int64),
    )
    kinds = np.where(with_id, K["exact"], kinds)
    typed = type_people(ctx, person, kinds, p_version=0.0)
    found = reported + np.exp(rng.normal(np.log(14 * 3600), 1.1, n)).astype(np.int64)
    is_myp = pop.archetype[person] == A["missing_young_person"]
    risk = np.where(
        is_myp,
        choice(rng, ["HIGH", "MEDIUM", "LOW"], n, [20, 60, 20]),
        choice(rng, ["HIGH", "MEDIUM", "LOW", "NO APPARENT RISK"], n, [10, 55, 30, 5]),
    )
    # numpy's stubs reject None as a branch of np.where; numpy accepts it (an object array).
    risk = np.where(rng.random(n) < 0.02, None, risk)  # type: ignore[call-overload]
    lpa = pop.home(person, month.index)["lpa"]
    report_id = ctx.ids(f"MP{month.compact}", n, 5)
    df = pl.DataFrame(
        {
            "report_id": report_id,
            "person_id": pl.select(pl.when(pl.Series(with_id)).then(pop.frame["person_id"].gather(person))).to_series(),
            "forename": typed["forename"],
            "surname": typed["surname"],
            "dob": typed["dob"],
            "reported_at": reported,
            "found_at": pl.select(
                pl.when(pl.Series(rng.random(n) < 0.03)).then(None).otherwise(pl.Series(found))
            ).to_series(),
            "risk_level": pl.Series(risk.tolist(), dtype=pl.String),
            "location_lpa": pl.select(pl.when(pl.Series(rng.random(n) < 0.02)).then(None).otherwise(lpa)).to_series(),
        }
    )
    ctx.seen[person] = True
    truth = pl.DataFrame({"report_id": report_id, "pidx": person})
    return df, truth, person[with_id]
