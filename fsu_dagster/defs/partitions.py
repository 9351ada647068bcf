"""Partitions, named once.

``landing_month``: one partition per calendar month of landing data (key ``YYYY-MM-01``).
Every later hop uses the same definition, where partition ``M`` means "the twelve
months ending ``M``"; ``window_mapping`` maps it to the source months ``M-11 … M``.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from fsu_dagster.window import WINDOW_MONTHS

__all__ = ["FIRST_MONTH", "WINDOW_MONTHS", "landing_month", "month_of", "window_mapping"]

#: First landing month the pipeline knows about; override with FSU_FIRST_MONTH=YYYY-MM.
FIRST_MONTH = os.environ.get("FSU_FIRST_MONTH", "2020-01")

landing_month = dg.MonthlyPartitionsDefinition(
    start_date=f"{FIRST_MONTH}-01",
    end_offset=1,  # the current, still-open month can be loaded too
)

window_mapping = dg.TimeWindowPartitionMapping(
    start_offset=-(WINDOW_MONTHS - 1),
    end_offset=0,
    allow_nonexistent_upstream_partitions=True,
)


def month_of(partition_key: str) -> dt.date:
    """``"2026-10-01"`` (or ``"2026-10"``) -> ``date(2026, 10, 1)``."""
    return dt.date.fromisoformat(partition_key[:7] + "-01")
