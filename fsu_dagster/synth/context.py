"""Shared state of one generator run: the random generator, the population, samplers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fsu_dagster.synth import vocab
from fsu_dagster.synth.clock import Month, sample_instants
from fsu_dagster.synth.people import A, Population, random_addresses
from fsu_dagster.synth.scales import Scale

__all__ = ["Context", "choice", "pick_weighted"]


def choice(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    """``n`` draws from ``values`` (weights ``p``, normalised here)."""
    values = np.asarray(values, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return values[rng.choice(values.size, n, p=p)]


def pick_weighted(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").astype(np.int64)


@dataclass
class Context:
    rng: np.random.Generator
    scale: Scale
    pop: Population
    months: list[Month]
    #: Cumulative weights for weighted background draws.
    cdf_any: np.ndarray = field(init=False)
    cdf_adult: np.ndarray = field(init=False)
    cdf_connect: np.ndarray = field(init=False)
    cdf_crim: np.ndarray = field(init=False)
    cdf_young: np.ndarray = field(init=False)
    professionals: np.ndarray = field(init=False)
    next_call: int = 1
    seen: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        pop = self.pop
        age = pop.age_years(self.months[0].first_day)
        w = pop.weight.copy()
        self.cdf_any = np.cumsum(w)
        self.cdf_adult = np.cumsum(w * (age >= 14))
        self.cdf_connect = np.cumsum(w * pop.has_connect)
        self.cdf_crim = np.cumsum(w * pop.crim * (age >= 12))
        self.cdf_young = np.cumsum(w * ((age >= 11) & (age < 18)))
        self.professionals = np.flatnonzero(pop.archetype == A["professional"])
        self.seen = np.zeros(pop.n, dtype=bool)
        #: People whose person_id has appeared in a connect_persons file so far.
        self.in_connect = np.zeros(pop.n, dtype=bool)
        self._known = np.empty(0, dtype=np.int64)

    def known_or(self, drawn: np.ndarray, share: float, adult_day: int | None = None) -> np.ndarray:
        """Replace a share of ``drawn`` by people already on Connect: those who have met the
        police before are the likeliest to meet them again."""
        if self._known.size == 0 or drawn.size == 0:
            return drawn
        pool = self._known
        if adult_day is not None:
            pool = pool[self.pop.age_years(adult_day)[pool] >= 14]
        y = pool[pick_weighted(self.rng, np.cumsum(self.pop.weight[pool]), drawn.size)]
        return np.where(self.rng.random(drawn.size) < share, y, drawn)

    def mark_connect(self, pidx: np.ndarray) -> None:
        self.in_connect[pidx] = True
        self._known = np.flatnonzero(self.in_connect & (self.pop.archetype == 0))

    def planted_events(self, key: str, month: Month) -> np.ndarray:
        """Person indices, one per planted event of ``key`` this month (Poisson counts)."""
        rate = self.pop.rates[key]
        who = np.flatnonzero(rate > 0)
        counts = self.rng.poisson(rate[who] / 12.0 * month.season)
        return np.repeat(who, counts)

    def professional(self, n: int) -> np.ndarray:
        return self.professionals[self.rng.integers(0, self.professionals.size, n)]

    def instants(self, n: int, month: Month) -> np.ndarray:
        return sample_instants(self.rng, n, month.start, month.end)

    def random_places(self, n: int) -> pl.DataFrame:
        """Public places, for incidents that are not at anyone's home."""
        addr = random_addresses(self.rng, n)
        place = choice(self.rng, vocab.PUBLIC_PLACES, n)
        use_place = self.rng.random(n) < 0.5
        return addr.with_columns(
            address=pl.when(pl.Series(use_place))
            .then(pl.Series(place.astype(str)) + ", " + pl.col("address").str.replace(r"^(Flat \d+, )?\d+ ", ""))
            .otherwise(pl.col("address"))
        )

    def ids(self, prefix: str, n: int, width: int) -> pl.Series:
        return pl.select(
            pl.format(prefix + "{}", pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(width))
        ).to_series()
