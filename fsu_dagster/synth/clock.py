"""Months and instants.

Inside the generator every timestamp is an instant held as int64 seconds since the
Unix epoch (UTC). Only the writer turns instants into Europe/London wall-clock
values without offset, so no value can fall inside the skipped spring hour, and each
record's month is the month of its local time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from fsu_dagster.contract import LOCAL_TZ

__all__ = ["Month", "months_between", "sample_instants", "to_local"]

_TZ = ZoneInfo(LOCAL_TZ)
_UTC = dt.UTC

#: Relative demand per UTC hour of day (quiet small hours, busy evenings).
HOUR_PROFILE = np.array(
    [
        0.55,
        0.45,
        0.35,
        0.28,
        0.24,
        0.25,
        0.35,
        0.55,
        0.75,
        0.9,
        0.95,
        1.0,
        1.0,
        1.0,
        1.0,
        1.05,
        1.1,
        1.15,
        1.2,
        1.2,
        1.15,
        1.05,
        0.9,
        0.7,
    ]
)
#: Relative demand per calendar month (summer peak, February trough).
SEASON = np.array([0.95, 0.88, 0.96, 0.98, 1.04, 1.06, 1.1, 1.07, 1.0, 1.0, 0.97, 0.99])


class Month:
    """A landing month: its key and the UTC instants bounding its local-time span."""

    def __init__(self, year: int, month: int, index: int) -> None:
        self.year, self.month, self.index = year, month, index
        self.key = f"{year:04d}-{month:02d}"
        self.compact = f"{year:04d}{month:02d}"
        nxt = (year + (month == 12), month % 12 + 1)
        self.start = int(dt.datetime(year, month, 1, tzinfo=_TZ).astimezone(_UTC).timestamp())
        self.end = int(dt.datetime(nxt[0], nxt[1], 1, tzinfo=_TZ).astimezone(_UTC).timestamp())
        self.season = float(SEASON[month - 1])
        #: Days since epoch of the first day of the month (for ages).
        self.first_day = (dt.date(year, month, 1) - dt.date(1970, 1, 1)).days

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Month({self.key})"


def months_between(start: str, end: str) -> list[Month]:
    """``"2025-11", "2026-10"`` -> twelve Months, in order; both ends included."""
    try:
        y0, m0 = (int(x) for x in start.split("-")[:2])
        y1, m1 = (int(x) for x in end.split("-")[:2])
        dt.date(y0, m0, 1), dt.date(y1, m1, 1)
    except (ValueError, TypeError):
        raise ValueError(f"months must be YYYY-MM, got start={start!r} end={end!r}") from None
    if (y1, m1) < (y0, m0):
        raise ValueError(f"end {end} is before start {start}")
    out: list[Month] = []
    y, m = y0, m0
    while (y, m) <= (y1, m1):
        out.append(Month(y, m, len(out)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def sample_instants(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """``n`` instants in ``[lo, hi)`` (seconds), following the hour-of-day profile."""
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    out = np.empty(0, dtype=np.int64)
    peak = HOUR_PROFILE.max()
    while out.size < n:
        k = int((n - out.size) * 1.6) + 16
        t = rng.integers(lo, hi, size=k, dtype=np.int64)
        keep = rng.random(k) * peak < HOUR_PROFILE[(t // 3600) % 24]
        out = np.concatenate([out, t[keep]])
    return out[:n]


def to_local(col: str | pl.Expr) -> pl.Expr:
    """Epoch seconds (Int64) -> naive Europe/London wall-clock Datetime."""
    e = pl.col(col) if isinstance(col, str) else col
    return (
        pl.from_epoch(e, time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(LOCAL_TZ)
        .dt.replace_time_zone(None)
    )
