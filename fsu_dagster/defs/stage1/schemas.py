"""Pandera (polars) models of the Stage 1 tables (data contract sections 3 and 4).

One model per hop. Columns listed are required with these dtypes; extra columns are
allowed (``strict = False``) because the contract welcomes them. Row-wise
dataframe checks return a boolean per row, so a failure reports offending row
numbers and counts. Used by the Stage 1 asset checks.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from fsu_dagster.stage1.home_lpa import HOME_LPA_RULES

__all__ = [
    "Cohort",
    "CwLogs",
    "CwPersonLinks",
    "IdentityIndex",
    "PersonHarm",
    "PersonHomeLpa",
    "PersonMetrics",
    "PersonTotals",
    "STAGE1_SCHEMAS",
]


class _Monthly(pa.DataFrameModel):
    """A rolling output: ``month`` (window month M, first day) first."""

    month: pl.Date = pa.Field(nullable=False)

    class Config:
        strict = False
        coerce = False


class _PerPerson(_Monthly):
    """One row per person and month."""

    person_id: str = pa.Field(nullable=False)

    class Config:
        unique = ["month", "person_id"]


class IdentityIndex(_Monthly):
    """Distinct Connect person versions over the window."""

    person_id: str = pa.Field(nullable=False)
    forename: str = pa.Field(nullable=True)
    surname: str = pa.Field(nullable=True)
    dob: pl.Date = pa.Field(nullable=True)
    pnc_id: str = pa.Field(nullable=True)
    phone_number: str = pa.Field(nullable=True)

    class Config:
        unique = ["month", "person_id", "forename", "surname", "dob", "pnc_id", "phone_number"]


class CwLogs(_Monthly):
    """The window's non-pre-planned ControlWorks logs with their resource hours."""

    incident_id: str = pa.Field(nullable=False)
    is_preplanned: pl.Boolean = pa.Field(nullable=False, isin=[False])
    hours: pl.Float64 = pa.Field(nullable=False, ge=0)
    n_resources: pl.Int64 = pa.Field(nullable=False, ge=0)

    class Config:
        unique = ["month", "incident_id"]

    @pa.dataframe_check
    @classmethod
    def no_hours_without_resources(cls, data) -> pl.LazyFrame:
        """A log with no resource rows has 0 hours."""
        return data.lazyframe.select(((pl.col("n_resources") > 0) | (pl.col("hours") == 0)).alias("ok"))


class CwPersonLinks(pa.DataFrameModel):
    """ControlWorks originator / subject -> Connect person links."""

    month: pl.Date | None = pa.Field(nullable=False)
    incident_id: str = pa.Field(nullable=False)
    role: str = pa.Field(nullable=False, isin=["originator", "subject"])
    person_id: str = pa.Field(nullable=False)
    score: pl.Float64 = pa.Field(nullable=False, ge=0, le=1)
    reason: str = pa.Field(nullable=False)

    class Config:
        strict = False
        unique = ["incident_id", "role", "person_id"]


def _total():
    return pa.Field(nullable=False, ge=0)


class PersonTotals(_PerPerson):
    """The nine totals per person over the window; only the universe (a non-zero total)."""

    suspect_total: pl.Int64 = _total()
    offender_total: pl.Int64 = _total()
    victim_total: pl.Int64 = _total()
    custody_total: pl.Int64 = _total()
    custody_hours: pl.Float64 = _total()
    originator_calls: pl.Int64 = _total()
    originator_hours: pl.Float64 = _total()
    subject_calls: pl.Int64 = _total()
    subject_hours: pl.Float64 = _total()

    @pa.dataframe_check
    @classmethod
    def in_universe(cls, data) -> pl.LazyFrame:
        """Every row has at least one non-zero total."""
        cols = [
            "suspect_total",
            "offender_total",
            "victim_total",
            "custody_total",
            "custody_hours",
            "originator_calls",
            "originator_hours",
            "subject_calls",
            "subject_hours",
        ]
        return data.lazyframe.select(pl.any_horizontal(pl.col(c) != 0 for c in cols).alias("ok"))

    @pa.dataframe_check
    @classmethod
    def hours_need_records(cls, data) -> pl.LazyFrame:
        """Hours without a custody record or a linked log are impossible."""
        return data.lazyframe.select(
            (
                ((pl.col("custody_hours") == 0) | (pl.col("custody_total") > 0))
                & ((pl.col("originator_hours") == 0) | (pl.col("originator_calls") > 0))
                & ((pl.col("subject_hours") == 0) | (pl.col("subject_calls") > 0))
            ).alias("ok")
        )


def _metric():
    return pa.Field(nullable=False, ge=0, le=1)


def _rank():
    return pa.Field(nullable=False, ge=1)


_RANK_COLUMNS = ("rank_investigations_custody", "rank_originator", "rank_subject", "rank_overall")


class PersonMetrics(_PerPerson):
    """Four metrics in [0, 1] and four unique ranks 1..N per month."""

    metric_investigations_custody: pl.Float64 = _metric()
    metric_originator: pl.Float64 = _metric()
    metric_subject: pl.Float64 = _metric()
    metric_overall: pl.Float64 = _metric()
    rank_investigations_custody: pl.Int64 = _rank()
    rank_originator: pl.Int64 = _rank()
    rank_subject: pl.Int64 = _rank()
    rank_overall: pl.Int64 = _rank()

    @pa.dataframe_check
    @classmethod
    def ranks_unique_per_month(cls, data) -> pl.LazyFrame:
        """Within a month, each rank value is held by one person."""
        return data.lazyframe.select(
            pl.all_horizontal(~pl.col(r).is_duplicated().over("month") for r in _RANK_COLUMNS).alias("ok")
        )

    @pa.dataframe_check
    @classmethod
    def ranks_within_universe(cls, data) -> pl.LazyFrame:
        """Ranks run 1..N: none exceeds the month's universe size."""
        return data.lazyframe.select(
            pl.all_horizontal(pl.col(r) <= pl.len().over("month") for r in _RANK_COLUMNS).alias("ok")
        )

    @pa.dataframe_check
    @classmethod
    def rank_order_follows_metric(cls, data) -> pl.LazyFrame:
        """A better (lower) rank never has a lower metric."""
        pairs = zip(
            ("metric_investigations_custody", "metric_originator", "metric_subject", "metric_overall"),
            _RANK_COLUMNS,
            strict=True,
        )
        exprs = []
        for m, r in pairs:
            prev = pl.col(m).shift(1).over("month", order_by=r)
            exprs.append(prev.is_null() | (prev >= pl.col(m) - 1e-12))
        return data.lazyframe.select(pl.all_horizontal(exprs).alias("ok"))


class Cohort(_PerPerson):
    """Cohort members: on at least one top list."""

    in_top_investigations_custody: pl.Boolean = pa.Field(nullable=False)
    in_top_originator: pl.Boolean = pa.Field(nullable=False)
    in_top_subject: pl.Boolean = pa.Field(nullable=False)
    in_top_overall: pl.Boolean = pa.Field(nullable=False)

    @pa.dataframe_check
    @classmethod
    def on_some_list(cls, data) -> pl.LazyFrame:
        """One row per cohort member and no others."""
        return data.lazyframe.select(
            pl.any_horizontal(
                "in_top_investigations_custody", "in_top_originator", "in_top_subject", "in_top_overall"
            ).alias("ok")
        )


class PersonHarm(_PerPerson):
    """Harm caused and received (CCHI days), one row per universe person."""

    harm_caused: pl.Float64 = pa.Field(nullable=False, ge=0)
    harm_received: pl.Float64 = pa.Field(nullable=False, ge=0)


class PersonHomeLpa(_PerPerson):
    """Home LPA (null when unknown), one row per universe person."""

    home_lpa: str = pa.Field(nullable=True)
    home_lpa_rule: str = pa.Field(nullable=False, isin=list(HOME_LPA_RULES))


#: Table name -> model, for the asset checks.
STAGE1_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "identity_index": IdentityIndex,
    "cw_logs": CwLogs,
    "cw_person_links": CwPersonLinks,
    "person_totals": PersonTotals,
    "person_metrics": PersonMetrics,
    "cohort": Cohort,
    "person_harm": PersonHarm,
    "person_home_lpa": PersonHomeLpa,
}
