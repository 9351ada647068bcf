"""The one place that maps a link mode (``"exact"`` / ``"fuzzy"``) to a linking function.

* ``record_linker(mode)``: ``link(queries, index) -> record_id, person_id, score, reason``
  for records without a person ID (the profiles' missing reports);
* ``controlworks_linker(mode)``: ``link(cw_logs, index, person_roles) -> cw_person_links``
  for the people on ControlWorks logs.

Exact mode is always ``link_records(mode="exact")``, the contract's rule
(``exact.link_exact``), whichever route asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal, Protocol

import polars as pl

from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.controlworks import link_controlworks
from fsu_dagster.identity.linker import link_records

__all__ = ["LINK_MODES", "LinkFunction", "LinkMode", "controlworks_linker", "record_linker"]

LinkMode = Literal["exact", "fuzzy"]
#: The link modes, the contract's exact rule first.
LINK_MODES: tuple[LinkMode, ...] = ("exact", "fuzzy")
#: ``link(queries, index)`` -> ``record_id, person_id, score, reason`` (one row per linked query).
LinkFunction = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]


class ControlWorksLinkFunction(Protocol):
    """``link(cw_logs, index, person_roles=None)`` -> ``incident_id, role, person_id, score, reason``."""

    def __call__(
        self, cw_logs: pl.DataFrame, index: pl.DataFrame, person_roles: pl.DataFrame | None = None
    ) -> pl.DataFrame: ...


def _check_mode(mode: str) -> LinkMode:
    for known in LINK_MODES:
        if mode == known:
            return known
    raise ValueError(f"link mode must be one of {', '.join(LINK_MODES)}, not {mode!r}")


def record_linker(mode: str, threshold: float | None = None, config: LinkConfig = LINK_CONFIG) -> LinkFunction:
    """The record-linking function of ``mode`` (fuzzy: at ``threshold``, default the config's)."""
    checked = _check_mode(mode)
    if checked == "exact":
        return partial(link_records, mode="exact", config=config)
    return partial(link_records, mode="fuzzy", threshold=threshold, config=config)


def controlworks_linker(
    mode: str, threshold: float | None = None, config: LinkConfig = LINK_CONFIG
) -> ControlWorksLinkFunction:
    """The ControlWorks linking function of ``mode``: exact never uses addresses or
    creates ``CW:`` individuals; fuzzy uses the home postcodes in ``person_roles``."""
    checked = _check_mode(mode)

    def link(cw_logs: pl.DataFrame, index: pl.DataFrame, person_roles: pl.DataFrame | None = None) -> pl.DataFrame:
        return link_controlworks(
            cw_logs, index, mode=checked, threshold=threshold, person_roles=person_roles, config=config
        )

    return link
