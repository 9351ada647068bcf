"""Link quality: per link mode and log month, how many logs have their people linked.

Aggregates only (counts and shares), no personal values.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from fsu_dagster.frames import CW_ROLES

#: A log's detail columns for a role, as ``controlworks_mentions`` reads them (phone where the log has one).
_DETAILS = ("forename", "surname", "dob", "pnc_id", "phone")

__all__ = ["link_quality"]


def link_quality(
    links: pl.DataFrame | Mapping[str, pl.DataFrame],
    cw_logs: pl.DataFrame,
    *,
    mode: str | None = None,
) -> pl.DataFrame:
    """Aggregate link quality: per mode and log month, how many logs have their
    originator / subject linked.

    ``links``: a link frame (``incident_id, role, person_id``; a ``mode`` column, or
    pass ``mode=``) or a mapping ``{mode: link frame}``. ``cw_logs``: the window's logs
    (``incident_id, created_at`` and the identity columns).

    Returns ``mode, log_month, n_logs`` and, for ``originator`` and ``subject``:
    ``n_<role>_given`` (logs with any identity field for that role),
    ``n_<role>_linked`` (linked to anyone), ``n_<role>_connect`` (to a Connect person),
    ``n_<role>_provisional`` (to a ``CW:`` individual), ``share_<role>_linked``
    (linked / logs) and ``share_<role>_given_linked`` (linked / given). No personal
    values, only counts.
    """
    if isinstance(links, Mapping):
        frames = [
            f.select("incident_id", "role", "person_id").with_columns(pl.lit(m).alias("mode")) for m, f in links.items()
        ]
        all_links = (
            pl.concat(frames)
            if frames
            else pl.DataFrame(
                schema={"incident_id": pl.String, "role": pl.String, "person_id": pl.String, "mode": pl.String}
            )
        )
    else:
        all_links = links if "mode" in links.columns else links.with_columns(pl.lit(mode or "unknown").alias("mode"))
        all_links = all_links.select("incident_id", "role", "person_id", "mode")
    all_links = all_links.with_columns(pl.col("incident_id").cast(pl.String), pl.col("person_id").cast(pl.String))

    logs = cw_logs.select(
        pl.col("incident_id").cast(pl.String), pl.col("created_at").dt.truncate("1mo").cast(pl.Date).alias("log_month")
    ).unique("incident_id")
    modes = all_links.select("mode").unique().sort("mode")
    if modes.height == 0 and mode is not None:
        modes = pl.DataFrame({"mode": [mode]})

    per_log = logs.join(modes, how="cross")
    for role in ("originator", "subject"):
        given = _given(cw_logs, role)
        linked = (
            all_links.filter(pl.col("role") == role)
            .group_by("mode", "incident_id")
            .agg(
                pl.lit(True).alias(f"{role}_linked"),
                pl.col("person_id").str.starts_with("CW:").all().alias(f"{role}_provisional"),
            )
        )
        per_log = per_log.join(given, on="incident_id", how="left").join(linked, on=["mode", "incident_id"], how="left")
    agg = []
    for role in ("originator", "subject"):
        lk = pl.col(f"{role}_linked").fill_null(False)
        prov = pl.col(f"{role}_provisional").fill_null(False)
        agg += [
            pl.col(f"{role}_given").fill_null(False).sum().alias(f"n_{role}_given"),
            lk.sum().alias(f"n_{role}_linked"),
            (lk & ~prov).sum().alias(f"n_{role}_connect"),
            (lk & prov).sum().alias(f"n_{role}_provisional"),
        ]
    out = per_log.group_by("mode", "log_month").agg(pl.len().alias("n_logs"), *agg)
    shares = []
    for role in ("originator", "subject"):
        shares += [
            (pl.col(f"n_{role}_linked") / pl.col("n_logs")).alias(f"share_{role}_linked"),
            pl.when(pl.col(f"n_{role}_given") > 0)
            .then(pl.col(f"n_{role}_linked") / pl.col(f"n_{role}_given"))
            .otherwise(None)
            .alias(f"share_{role}_given_linked"),
        ]
    return (
        out.with_columns(shares)
        .with_columns(pl.col(c).cast(pl.Int64) for c in out.columns if c.startswith("n_"))
        .sort("mode", "log_month")
    )


def _given(cw_logs: pl.DataFrame, role: str) -> pl.DataFrame:
    """``incident_id, <role>_given``: the logs with any detail of ``role`` (the logs that have a
    mention of that role in ``controlworks_mentions``), read from the log's own columns."""
    if role not in CW_ROLES:
        raise ValueError(f"unknown ControlWorks role {role!r}")
    details = [f"{role}_{d}" for d in _DETAILS if d != "phone" or f"{role}_phone" in cw_logs.columns]
    return (
        cw_logs.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in details))
        .select(pl.col("incident_id").cast(pl.String))
        .unique()
        .with_columns(pl.lit(True).alias(f"{role}_given"))
    )
