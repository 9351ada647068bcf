"""Avaya calls: the calls that raised ControlWorks logs plus every other call offered to
the contact centre (repeat calls, abandoned calls, enquiries). Prolific callers'
numbers ring far more often than they raise a log."""

from __future__ import annotations

import numpy as np
import polars as pl

from fsu_dagster.synth.clock import Month
from fsu_dagster.synth.context import Context, choice, pick_weighted
from fsu_dagster.synth.people import A

__all__ = ["avaya_calls"]


def avaya_calls(ctx: Context, month: Month, log_calls: pl.DataFrame) -> pl.DataFrame:
    """All calls started in ``month``: ``log_calls`` (already in this month) plus filler."""
    rng, pop = ctx.rng, ctx.pop
    n_target = round(ctx.scale.calls / 12 * month.season)
    k = max(n_target - log_calls.height, 0)
    started = ctx.instants(k, month)
    r = rng.random(k)
    callers_planted = np.flatnonzero(np.isin(pop.archetype, [A["prolific_caller"], A["all_three"]]))
    planted_who = (
        callers_planted[rng.integers(0, max(callers_planted.size, 1), k)]
        if callers_planted.size
        else np.zeros(k, np.int64)
    )
    bg_who = pick_weighted(rng, ctx.cdf_adult, k)
    who = np.where(r < 0.06, planted_who, bg_who)
    f = pop.frame
    number = pl.select(pl.coalesce(f["mobile"].gather(who), f["landline"].gather(who))).to_series()
    withheld = pl.Series(rng.random(k) < 0.07)
    filler = pl.DataFrame(
        {
            "call_id": pl.select(
                pl.format("AV{}", pl.Series(np.arange(ctx.next_call, ctx.next_call + k)).cast(pl.String).str.zfill(9))
            ).to_series(),
            "started_at": started,
            "line": choice(rng, ["999", "101", "OTHER"], k, [0.3, 0.55, 0.15]).astype(str),
            "caller_number": pl.select(pl.when(withheld).then(None).otherwise(number)).to_series(),
        }
    )
    ctx.next_call += k
    calls = pl.concat([log_calls.select(filler.columns), filler])
    n = calls.height
    line = calls["line"].to_numpy()
    is999 = line == "999"
    wait = np.where(is999, rng.exponential(12, n), rng.exponential(150, n)).astype(np.int64)
    abandoned = rng.random(n) < np.where(is999, 0.03, 0.11)
    talk = np.exp(rng.normal(np.log(np.where(is999, 240, 420)), 0.6)).astype(np.int64)
    wrap = rng.integers(20, 180, n)
    started = calls["started_at"].to_numpy()
    answered = started + wait
    duration = talk + wrap
    ended = np.where(abandoned, answered, answered + duration)
    return (
        calls.with_columns(
            answered_at=pl.select(pl.when(pl.Series(abandoned)).then(None).otherwise(pl.Series(answered))).to_series(),
            ended_at=pl.select(
                pl.when(pl.Series(rng.random(n) < 0.005)).then(None).otherwise(pl.Series(ended))
            ).to_series(),
            duration_seconds=pl.select(
                pl.when(pl.Series(abandoned))
                .then(0)
                .when(pl.Series(rng.random(n) < 0.01))
                .then(None)
                .otherwise(pl.Series(duration))
            ).to_series(),
        )
        .sort("started_at", "call_id")
        .select("call_id", "started_at", "answered_at", "ended_at", "duration_seconds", "caller_number", "line")
    )
