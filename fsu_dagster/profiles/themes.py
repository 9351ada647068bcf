"""Themes and priority crime types per person (method 6.1's filters).

An investigation has a theme when its ``flags`` (``;``-separated) include one of the
theme's configured flags, or its ``summary`` contains one of the theme's keywords
(case-insensitive, whole words: ``partner`` does not match ``partnership``). A person
has the theme when any investigation they have a role in (any role) has it. The
``MISSING`` theme is one or more Compact reports in the window.

An investigation is of a priority crime type when its offence code is in the type's
``offence_codes`` or its main group in ``main_groups`` (trimmed, upper case).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from fsu_dagster.profiles._common import in_cohort, regex_escape, resolve_month, with_month

__all__ = ["MISSING_THEME", "theme_expr", "investigation_themes", "person_themes", "person_priority_crimes"]

MISSING_THEME = "MISSING"


def _get(obj, name):
    return obj.get(name, []) if isinstance(obj, Mapping) else getattr(obj, name, [])


def _label(key, obj) -> str:
    v = obj.get("label") if isinstance(obj, Mapping) else getattr(obj, "label", None)
    return v or key


def theme_expr(flags: list[str], keywords: list[str]) -> pl.Expr:
    """True where the investigation carries one of ``flags`` or its summary has a keyword."""
    wanted = [f.strip().upper() for f in flags if f and f.strip()]
    has_flag = (
        pl.col("flags")
        .cast(pl.String)
        .fill_null("")
        .str.to_uppercase()
        .str.split(";")
        .list.eval(pl.element().str.strip_chars())
        .list.set_intersection(wanted)
        .list.len()
        > 0
        if wanted
        else pl.lit(False)
    )
    kws = [k.strip() for k in keywords if k and k.strip()]
    if kws:
        pattern = r"(?i)\b(?:" + "|".join(regex_escape(k) for k in kws) + r")\b"
        has_kw = pl.col("summary").cast(pl.String).fill_null("").str.contains(pattern)
    else:
        has_kw = pl.lit(False)
    return has_flag | has_kw


def _cohort_investigations(
    cohort: pl.DataFrame, connect_investigations: pl.DataFrame, connect_person_roles: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The cohort's ``person_id, investigation_id`` roles, and those investigations (latest version each)."""
    roles = (
        in_cohort(connect_person_roles, cohort)
        .select(pl.col("person_id").cast(pl.String), pl.col("investigation_id").cast(pl.String))
        .unique()
    )
    inv = (
        connect_investigations.with_columns(pl.col("investigation_id").cast(pl.String))
        .join(roles.select("investigation_id").unique(), on="investigation_id", how="semi")
        .unique("investigation_id", keep="last")
    )
    return roles, inv


def investigation_themes(connect_investigations: pl.DataFrame, themes: Mapping) -> pl.DataFrame:
    """Long: ``investigation_id, theme`` for every (investigation, theme) that applies."""
    parts = []
    for key, t in themes.items():
        parts.append(
            connect_investigations.filter(theme_expr(_get(t, "flags"), _get(t, "keywords"))).select(
                pl.col("investigation_id").cast(pl.String),
                pl.lit(key).alias("theme"),
                pl.lit(_label(key, t)).alias("label"),
            )
        )
    if not parts:
        return pl.DataFrame(schema={"investigation_id": pl.String, "theme": pl.String, "label": pl.String})
    return pl.concat(parts).unique()


def person_themes(
    cohort: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    themes: Mapping,
    *,
    missing_summary: pl.DataFrame | None = None,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """Long: ``month, person_id, theme, label, count`` for every theme a cohort member has
    (``count`` = distinct investigations with the theme, or for ``MISSING`` the missing
    reports, from ``missing_summary``'s ``missing_reports``). ``themes`` is
    ``settings.themes`` (key -> ``Theme`` with ``label, flags, keywords``)."""
    m = resolve_month(cohort, month)
    roles, inv = _cohort_investigations(cohort, connect_investigations, connect_person_roles)
    it = investigation_themes(inv, themes)
    out = (
        roles.join(it, on="investigation_id", how="inner")
        .group_by("person_id", "theme", "label")
        .agg(pl.col("investigation_id").n_unique().cast(pl.Int64).alias("count"))
    )
    if missing_summary is not None:
        miss = (
            in_cohort(missing_summary, cohort)
            .filter(pl.col("missing_reports") > 0)
            .select(
                pl.col("person_id").cast(pl.String),
                pl.lit(MISSING_THEME).alias("theme"),
                pl.lit("Missing persons").alias("label"),
                pl.col("missing_reports").cast(pl.Int64).alias("count"),
            )
        )
        out = pl.concat([out, miss])
    return with_month(out.sort("person_id", "theme"), m)


def person_priority_crimes(
    cohort: pl.DataFrame,
    connect_investigations: pl.DataFrame,
    connect_person_roles: pl.DataFrame,
    priority_crime_types: Mapping,
    *,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """Long: ``month, person_id, priority_crime_type, label, investigations`` (any role),
    for every configured type the person has at least one investigation of.
    ``priority_crime_types`` is ``settings.priority_crime_types``."""
    m = resolve_month(cohort, month)
    roles, inv = _cohort_investigations(cohort, connect_investigations, connect_person_roles)
    parts = []
    for key, t in priority_crime_types.items():
        codes = [c.strip().upper() for c in _get(t, "offence_codes")]
        groups = [g.strip().upper() for g in _get(t, "main_groups")]
        hit = pl.col("offence_code").cast(pl.String).str.strip_chars().str.to_uppercase().is_in(codes) | pl.col(
            "main_group"
        ).cast(pl.String).str.strip_chars().str.to_uppercase().is_in(groups)
        parts.append(
            inv.filter(hit).select(
                "investigation_id", pl.lit(key).alias("priority_crime_type"), pl.lit(_label(key, t)).alias("label")
            )
        )
    if not parts:
        out = pl.DataFrame(
            schema={
                "person_id": pl.String,
                "priority_crime_type": pl.String,
                "label": pl.String,
                "investigations": pl.Int64,
            }
        )
    else:
        out = (
            roles.join(pl.concat(parts).unique(), on="investigation_id", how="inner")
            .group_by("person_id", "priority_crime_type", "label")
            .agg(pl.col("investigation_id").n_unique().cast(pl.Int64).alias("investigations"))
        )
    return with_month(out.sort("person_id", "priority_crime_type"), m)
