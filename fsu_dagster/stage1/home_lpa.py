"""Home LPA of each person (table ``fsu.person_home_lpa``, data contract section 4).

Rules (``rule``):

* ``most_investigations`` (the contract's rule, default): the ``home_lpa`` recorded on
  the most of the person's distinct investigations (any role) in the window. A tie goes
  to the tied value seen on the most recently recorded investigation (``recorded_at``);
  a remaining tie (both values on the same investigation, or investigations recorded at
  the same instant) goes to the alphabetically first value. Null when none is known.
* ``most_recent_investigation``: the ``home_lpa`` on the person's most recently recorded
  investigation with a known LPA (ties: alphabetically first).
* ``most_recent_missing``: ``location_lpa`` of the person's most recent missing report
  (``compact_missing``, by ``reported_at``; ties: alphabetically first), falling back to
  ``most_investigations`` for persons with none.

Null ``home_lpa`` values (and empty or blank strings) never count. ``home_lpa_rule``
says which rule produced each row's value; rows without a value carry the last rule
consulted.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

__all__ = ["HOME_LPA_RULES", "person_home_lpa"]

HomeLpaRule = Literal["most_investigations", "most_recent_investigation", "most_recent_missing"]
HOME_LPA_RULES: tuple[str, ...] = ("most_investigations", "most_recent_investigation", "most_recent_missing")


def _known(col: str) -> pl.Expr:
    v = pl.col(col).cast(pl.String)
    return pl.when(v.str.strip_chars().str.len_chars() > 0).then(v).otherwise(None)


def _person_lpas(person_roles: pl.DataFrame, investigations: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Distinct (person, investigation, home_lpa) with a known LPA, plus the investigation's recorded_at."""
    recorded = investigations.group_by(pl.col("investigation_id").cast(pl.String)).agg(pl.col("recorded_at").max())
    return (
        person_roles.select(
            pl.col("person_id").cast(pl.String),
            pl.col("investigation_id").cast(pl.String),
            _known("home_lpa").alias("home_lpa"),
        )
        .filter(pl.col("home_lpa").is_not_null())
        .join(persons.select("person_id"), on="person_id", how="semi")
        .unique()
        .join(recorded, on="investigation_id", how="left")
    )


def _most_investigations(lpas: pl.DataFrame) -> pl.DataFrame:
    return (
        lpas.group_by("person_id", "home_lpa")
        .agg(pl.len().alias("_n"), pl.col("recorded_at").max().alias("_last"))
        .sort(["person_id", "_n", "_last", "home_lpa"], descending=[False, True, True, False], nulls_last=True)
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", "home_lpa")
    )


def _most_recent_investigation(lpas: pl.DataFrame) -> pl.DataFrame:
    return (
        lpas.sort(["person_id", "recorded_at", "home_lpa"], descending=[False, True, False], nulls_last=True)
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", "home_lpa")
    )


def _most_recent_missing(missing: pl.DataFrame) -> pl.DataFrame:
    return (
        missing.select(pl.col("person_id").cast(pl.String), _known("location_lpa").alias("home_lpa"), "reported_at")
        .filter(pl.col("person_id").is_not_null() & pl.col("home_lpa").is_not_null())
        .sort(["person_id", "reported_at", "home_lpa"], descending=[False, True, False], nulls_last=True)
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", "home_lpa")
    )


def person_home_lpa(
    person_roles: pl.DataFrame,
    investigations: pl.DataFrame,
    universe: pl.DataFrame,
    rule: HomeLpaRule = "most_investigations",
    missing: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``month, person_id, home_lpa, home_lpa_rule``: one row per universe person.

    ``universe`` is ``person_totals`` (its ``month, person_id`` are carried over);
    ``person_roles`` and ``investigations`` are the window's Connect extracts;
    ``missing`` (``compact_missing``) is needed only for ``most_recent_missing``.
    """
    if rule not in HOME_LPA_RULES:
        raise ValueError(f"unknown home LPA rule {rule!r}; expected one of {HOME_LPA_RULES}")
    lead = [c for c in ("month", "person_id") if c in universe.columns]
    persons = universe.select(lead)
    lpas = _person_lpas(person_roles, investigations, persons)

    def attach(base: pl.DataFrame, chosen: pl.DataFrame, label: str) -> pl.DataFrame:
        return base.join(chosen, on="person_id", how="left").with_columns(
            pl.when(pl.col("home_lpa").is_not_null()).then(pl.lit(label)).alias("home_lpa_rule")
        )

    if rule == "most_recent_investigation":
        out = attach(persons, _most_recent_investigation(lpas), rule)
    elif rule == "most_investigations":
        out = attach(persons, _most_investigations(lpas), rule)
    else:
        if missing is None:
            raise ValueError("rule 'most_recent_missing' needs the compact_missing frame")
        first = attach(persons, _most_recent_missing(missing), rule)
        fallback = attach(persons.select("person_id"), _most_investigations(lpas), "most_investigations").rename(
            {"home_lpa": "_fb_lpa", "home_lpa_rule": "_fb_rule"}
        )
        out = (
            first.join(fallback, on="person_id", how="left")
            .with_columns(
                pl.coalesce("home_lpa", "_fb_lpa").alias("home_lpa"),
                pl.coalesce("home_lpa_rule", "_fb_rule").alias("home_lpa_rule"),
            )
            .drop("_fb_lpa", "_fb_rule")
        )
    last_rule = "most_investigations" if rule == "most_recent_missing" else rule
    return (
        out.with_columns(
            pl.col("home_lpa").cast(pl.String),
            pl.col("home_lpa_rule").fill_null(last_rule).cast(pl.String),
        )
        .select(*lead, "home_lpa", "home_lpa_rule")
        .sort("person_id")
    )
