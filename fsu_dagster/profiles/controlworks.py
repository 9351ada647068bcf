"""ControlWorks (method 5.1.4 step 4, a-j): every log where a cohort member is the
originator or the subject, and what those logs cost.

Inputs: ``links`` (Stage 1's ``incident_id, role, person_id, score, reason``) and
``cw_logs`` (the window's non-pre-planned logs with ``hours`` and ``n_resources``).
A person's logs are the distinct logs linked to them in either role that appear in
``cw_logs`` (so pre-planned logs never count). A log where the person is both
originator and subject counts once.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fsu_dagster.identity.normal_forms import normalise_name, phone_key, postcode_key
from fsu_dagster.profiles._common import in_cohort, label, norm_address, resolve_month, with_month
from fsu_dagster.profiles.relationships import RELATIONSHIP_UNKNOWN, SELF

__all__ = [
    "CALLER_RULES",
    "CW_LOG_COLUMNS",
    "person_logs",
    "cw_log_list",
    "cw_summary",
    "caller_relationships",
    "cw_caller_relationship_counts",
    "cw_log_types",
    "cw_incident_types",
    "cw_response_grades",
    "cw_locations",
    "cw_resource_groups",
    "resource_hours",
]

#: ``rule`` values of ``caller_relationships``, in the order they are tried.
CALLER_RULES = (
    "ORIGINATOR",  # the person is the log's originator: the caller is the person (SELF)
    "PHONE",  # the originator phone belongs to a Connect person whose name and DOB match the log
    "NAME_DOB_SELF",  # the originator's name and DOB are the person's own
    "NAME_DOB_RELATED",  # the originator's name and DOB are those of someone in the person's relationship table
    "NONE",  # nothing matched: RELATIONSHIP UNKNOWN
)

_LOG_COLS = (
    "incident_id",
    "log_type",
    "created_at",
    "closed_at",
    "call_id",
    "incident_type",
    "response_grade",
    "location_address",
    "location_postcode",
    "location_lpa",
    "hours",
    "n_resources",
)
#: The caller's and subject's details that ``caller_relationships`` compares.
_CALLER_COLS = (
    "originator_forename",
    "originator_surname",
    "originator_dob",
    "originator_phone",
    "subject_forename",
    "subject_surname",
    "subject_dob",
)
#: The columns of ``cw_logs`` the ControlWorks profiles read (what their hop loads).
CW_LOG_COLUMNS = ("month", *_LOG_COLS, *_CALLER_COLS)


def person_logs(cohort: pl.DataFrame, links: pl.DataFrame, cw_logs: pl.DataFrame) -> pl.DataFrame:
    """One row per (cohort person, log): ``person_id, incident_id, is_originator, is_subject``
    plus the log's columns (those of ``cw_logs``). Internal building block, also public."""
    lk = in_cohort(
        links.select(pl.col("incident_id").cast(pl.String), "role", pl.col("person_id").cast(pl.String)), cohort
    )
    lk = (
        lk.drop_nulls(["person_id", "incident_id"])
        .group_by("person_id", "incident_id")
        .agg(
            (pl.col("role").str.to_lowercase() == "originator").any().alias("is_originator"),
            (pl.col("role").str.to_lowercase() == "subject").any().alias("is_subject"),
        )
    )
    logs = cw_logs.with_columns(pl.col("incident_id").cast(pl.String)).join(
        lk.select("incident_id").unique(), on="incident_id", how="semi"
    )
    logs = logs.unique("incident_id", keep="last")
    return lk.join(logs, on="incident_id", how="inner")


def resource_hours(cw_resources: pl.DataFrame) -> pl.DataFrame:
    """Per resource row, Stage 1's rule (``fsu_dagster.stage1.resource_hours``), plus
    ``attended`` (the resource has an arrival time)."""
    from fsu_dagster.stage1.controlworks import resource_hours as stage1_resource_hours

    return stage1_resource_hours(cw_resources.with_columns(pl.col("incident_id").cast(pl.String))).with_columns(
        pl.col("arrived_at").is_not_null().alias("attended")
    )


def cw_log_list(cohort, links, cw_logs, *, month: dt.date | None = None) -> pl.DataFrame:
    """Method 4a, one row per (cohort person, log): the details page's incident list.

    Columns: ``month, person_id, incident_id, is_originator, is_subject, log_type,
    created_at, closed_at, call_id, incident_type, response_grade, location_address,
    location_postcode, location_lpa, hours, n_resources``.
    """
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs)
    cols = ["person_id", "incident_id", "is_originator", "is_subject"] + [
        c for c in _LOG_COLS if c != "incident_id" and c in pl_.columns
    ]
    return with_month(pl_.select(cols).sort("person_id", "created_at", "incident_id"), m)


def cw_summary(cohort, links, cw_logs, cw_resources, avaya_calls, *, month: dt.date | None = None) -> pl.DataFrame:
    """Methods 4a, 4c, 4d, 4h: one row per cohort member (zeros when none).

    Columns: ``month, person_id, logs, originator_logs, subject_logs, incidents, rocs,
    logs_with_resources`` (a resource was assigned), ``logs_attended`` (a resource has an
    arrival time), ``resource_hours`` (Σ the logs' hours), ``calls`` (distinct Avaya calls
    that raised the logs), ``handling_seconds`` (Σ their ``duration_seconds``; null counts
    0), ``handling_hours``.
    """
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs)
    res = resource_hours(cw_resources.join(pl_.select("incident_id").unique(), on="incident_id", how="semi"))
    attended = res.group_by("incident_id").agg(pl.col("attended").any())
    pl_ = pl_.join(attended, on="incident_id", how="left").with_columns(pl.col("attended").fill_null(False))
    agg = pl_.group_by("person_id").agg(
        pl.len().cast(pl.Int64).alias("logs"),
        pl.col("is_originator").sum().cast(pl.Int64).alias("originator_logs"),
        pl.col("is_subject").sum().cast(pl.Int64).alias("subject_logs"),
        (pl.col("log_type").str.to_uppercase() == "INCIDENT").sum().cast(pl.Int64).alias("incidents"),
        (pl.col("log_type").str.to_uppercase() == "ROC").sum().cast(pl.Int64).alias("rocs"),
        (pl.col("n_resources").fill_null(0) > 0).sum().cast(pl.Int64).alias("logs_with_resources"),
        pl.col("attended").sum().cast(pl.Int64).alias("logs_attended"),
        pl.col("hours").fill_null(0.0).sum().alias("resource_hours"),
    )
    calls = (
        pl_.select("person_id", pl.col("call_id").cast(pl.String))
        .drop_nulls("call_id")
        .unique()
        .join(
            avaya_calls.select(pl.col("call_id").cast(pl.String), pl.col("duration_seconds").cast(pl.Int64))
            .join(pl_.select(pl.col("call_id").cast(pl.String)).drop_nulls().unique(), on="call_id", how="semi")
            .unique("call_id", keep="last"),
            on="call_id",
            how="inner",
        )
        .group_by("person_id")
        .agg(
            pl.len().cast(pl.Int64).alias("calls"),
            pl.col("duration_seconds").fill_null(0).sum().cast(pl.Int64).alias("handling_seconds"),
        )
    )
    out = (
        cohort.select(pl.col("person_id").cast(pl.String))
        .unique()
        .join(agg, on="person_id", how="left")
        .join(calls, on="person_id", how="left")
        .with_columns(
            pl.col(
                "logs",
                "originator_logs",
                "subject_logs",
                "incidents",
                "rocs",
                "logs_with_resources",
                "logs_attended",
                "calls",
                "handling_seconds",
            ).fill_null(0),
            pl.col("resource_hours").fill_null(0.0),
        )
        .with_columns((pl.col("handling_seconds").cast(pl.Float64) / 3600.0).alias("handling_hours"))
        .sort("person_id")
    )
    return with_month(out, m)


def _count_logs(pl_: pl.DataFrame, by: list[str], month: dt.date) -> pl.DataFrame:
    out = pl_.group_by("person_id", *by).agg(
        pl.col("incident_id").n_unique().cast(pl.Int64).alias("logs"),
        (pl.col("log_type").str.to_uppercase() == "INCIDENT").sum().cast(pl.Int64).alias("incidents"),
        (pl.col("log_type").str.to_uppercase() == "ROC").sum().cast(pl.Int64).alias("rocs"),
    )
    return with_month(out.sort("person_id", *by), month)


def cw_log_types(cohort, links, cw_logs, *, month: dt.date | None = None) -> pl.DataFrame:
    """Method 4d, long: ``month, person_id, log_type, logs`` (INCIDENT / ROC)."""
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs).with_columns(label("log_type"))
    out = pl_.group_by("person_id", "log_type").agg(pl.col("incident_id").n_unique().cast(pl.Int64).alias("logs"))
    return with_month(out.sort("person_id", "log_type"), m)


def cw_incident_types(cohort, links, cw_logs, *, month: dt.date | None = None) -> pl.DataFrame:
    """Method 4e, long: ``month, person_id, incident_type, logs, incidents, rocs``
    (``logs`` = incidents + RoCs of that opening type)."""
    m = resolve_month(cohort, month)
    return _count_logs(person_logs(cohort, links, cw_logs).with_columns(label("incident_type")), ["incident_type"], m)


def cw_response_grades(cohort, links, cw_logs, *, month: dt.date | None = None) -> pl.DataFrame:
    """Method 4f, long: ``month, person_id, response_grade`` (null = ``NOT RECORDED``),
    ``logs, incidents, rocs``."""
    m = resolve_month(cohort, month)
    return _count_logs(person_logs(cohort, links, cw_logs).with_columns(label("response_grade")), ["response_grade"], m)


def cw_locations(cohort, links, cw_logs, *, month: dt.date | None = None) -> pl.DataFrame:
    """Method 4g, long: ``month, person_id, location_address, location_postcode,
    location_lpa, logs, incidents, rocs``. Locations group on the normalised address and
    postcode (as for investigations); the shown spelling is the most common one."""
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs).with_columns(
        norm_address("location_address").alias("addr_key"), postcode_key("location_postcode").alias("pc_key")
    )
    out = pl_.group_by("person_id", "addr_key", "pc_key").agg(
        pl.col("location_address").drop_nulls().mode().sort().first(),
        pl.col("location_postcode").drop_nulls().mode().sort().first(),
        pl.col("location_lpa").drop_nulls().mode().sort().first(),
        pl.col("incident_id").n_unique().cast(pl.Int64).alias("logs"),
        (pl.col("log_type").str.to_uppercase() == "INCIDENT").sum().cast(pl.Int64).alias("incidents"),
        (pl.col("log_type").str.to_uppercase() == "ROC").sum().cast(pl.Int64).alias("rocs"),
    )
    out = out.drop("addr_key", "pc_key").sort(
        ["person_id", "logs", "location_address"], descending=[False, True, False], nulls_last=True
    )
    return with_month(out, m)


def cw_resource_groups(cohort, links, cw_logs, cw_resources, *, month: dt.date | None = None) -> pl.DataFrame:
    """Methods 4h-4j, long: ``month, person_id, resource_group, logs`` (the person's logs
    that group was assigned to), ``logs_attended`` (... and arrived at), ``units`` (resource
    assignment rows: every row counts, as in Stage 1), ``distinct_resources`` (call signs),
    ``hours`` (Σ resource hours, Stage 1's rule)."""
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs).select("person_id", "incident_id")
    res = resource_hours(
        cw_resources.with_columns(pl.col("incident_id").cast(pl.String)).join(
            pl_.select("incident_id").unique(), on="incident_id", how="semi"
        )
    )
    res = res.with_columns(label("resource_group"))
    out = (
        pl_.join(res, on="incident_id", how="inner")
        .group_by("person_id", "resource_group")
        .agg(
            pl.col("incident_id").n_unique().cast(pl.Int64).alias("logs"),
            pl.col("incident_id").filter(pl.col("attended")).n_unique().cast(pl.Int64).alias("logs_attended"),
            pl.len().cast(pl.Int64).alias("units"),
            pl.col("resource_id").n_unique().cast(pl.Int64).alias("distinct_resources"),
            pl.col("hours").sum().alias("hours"),
        )
    )
    return with_month(out.sort("person_id", "resource_group"), m)


def _name_index(connect_persons: pl.DataFrame) -> pl.DataFrame:
    return (
        connect_persons.select(
            pl.col("person_id").cast(pl.String),
            normalise_name("forename").alias("fn"),
            normalise_name("surname").alias("sn"),
            pl.col("dob").cast(pl.Date),
        )
        .drop_nulls()
        .unique()
    )


def caller_relationships(
    cohort,
    links,
    cw_logs,
    connect_persons,
    relationships,
    *,
    month: dt.date | None = None,
) -> pl.DataFrame:
    """Method 4b: who called, relative to the cohort person, for every one of their logs.

    ``relationships`` is the cohort's relationship table (``person_relationships`` output:
    ``person_id, related_person_id, relationship`` = what the related person is to the
    person). Names compare normalised (upper case, A-Z only), DOBs exactly, phone numbers
    as digits (``identity.normal_forms.phone_key``); a missing name, DOB or phone never matches.
    Rules, first that applies wins (``rule`` column):

    1. ``ORIGINATOR``: the person is the log's originator -> ``SELF``.
    2. ``PHONE``: the originator phone is on the Connect versions of exactly one person
       who also has a version with the originator's name and DOB. That person is the
       caller: the person themself -> ``SELF``; someone in the relationship table -> that
       relationship; anyone else -> ``RELATIONSHIP UNKNOWN`` (the caller is known,
       ``caller_person_id`` says who, but no relationship to the person is recorded).
       More than one such person: ambiguous, fall through.
    3. ``NAME_DOB_SELF``: the originator's name and DOB equal one of the person's own
       Connect versions, or the subject's name and DOB typed on the same log -> ``SELF``.
       (Before rule 4: a related person with the person's exact name and DOB is almost
       surely a duplicate record of the person; the log-subject comparison lets
       ControlWorks-only people, who have no Connect versions, be found calling about
       themselves.)
    4. ``NAME_DOB_RELATED``: the originator's name and DOB equal a Connect version of
       someone in the person's relationship table -> that relationship (if several related
       people match with different relationships: ambiguous, fall through).
    5. ``NONE``: ``RELATIONSHIP UNKNOWN``.

    Columns: ``month, person_id, incident_id, is_originator, is_subject,
    caller_person_id`` (null when the caller is not identified), ``caller_relationship,
    rule``.
    """
    m = resolve_month(cohort, month)
    pl_ = person_logs(cohort, links, cw_logs)
    base = pl_.select(
        "person_id",
        "incident_id",
        "is_originator",
        "is_subject",
        normalise_name("originator_forename").alias("ofn"),
        normalise_name("originator_surname").alias("osn"),
        pl.col("originator_dob").cast(pl.Date).alias("odob"),
        phone_key("originator_phone").alias("ophone"),
        normalise_name("subject_forename").alias("sfn"),
        normalise_name("subject_surname").alias("ssn"),
        pl.col("subject_dob").cast(pl.Date).alias("sdob"),
    )
    out_cols = ["person_id", "incident_id", "caller_person_id", "caller_relationship", "rule"]
    key = ["person_id", "incident_id"]
    rel = relationships.select(
        pl.col("person_id").cast(pl.String),
        pl.col("related_person_id").cast(pl.String),
        pl.col("relationship").cast(pl.String),
    ).unique(["person_id", "related_person_id"], keep="first")

    # 1. originator
    r1 = base.filter(pl.col("is_originator")).select(
        "person_id",
        "incident_id",
        pl.col("person_id").alias("caller_person_id"),
        pl.lit(SELF).alias("caller_relationship"),
        pl.lit("ORIGINATOR").alias("rule"),
    )
    rest = base.filter(~pl.col("is_originator"))

    # 2. phone, confirmed by name and DOB
    has_orig = rest.drop_nulls(["ofn", "osn", "odob", "ophone"])
    # Cheap prefilter on the raw digits before normalising the whole person table.
    log_digits = has_orig.select(pl.col("ophone").str.slice(-6).alias("_tail")).unique()
    phones = (
        connect_persons.filter(pl.col("phone_number").is_not_null())
        .with_columns(
            pl.col("phone_number").cast(pl.String).str.replace_all(r"[^0-9]", "").str.slice(-6).alias("_tail")
        )
        .join(log_digits, on="_tail", how="semi")
        .select(
            pl.col("person_id").cast(pl.String).alias("caller_person_id"), phone_key("phone_number").alias("ophone")
        )
        .drop_nulls()
        .join(has_orig.select("ophone").unique(), on="ophone", how="semi")
        .unique()
    )
    # Only the versions that can matter: phone candidates, the cohort, related people.
    wanted = pl.concat(
        [
            phones.select(pl.col("caller_person_id").alias("person_id")),
            base.select("person_id"),
            rel.select(pl.col("related_person_id").alias("person_id")),
        ]
    ).unique()
    names = _name_index(
        connect_persons.with_columns(pl.col("person_id").cast(pl.String)).join(wanted, on="person_id", how="semi")
    )
    cand = (
        has_orig.select(*key, "ofn", "osn", "odob", "ophone")
        .join(phones, on="ophone", how="inner")
        .join(
            names.rename({"person_id": "caller_person_id", "fn": "ofn", "sn": "osn", "dob": "odob"}),
            on=["caller_person_id", "ofn", "osn", "odob"],
            how="semi",
        )
        .group_by(key)
        .agg(pl.col("caller_person_id").unique())
        .filter(pl.col("caller_person_id").list.len() == 1)
        .with_columns(pl.col("caller_person_id").list.first())
    )
    r2 = (
        cand.join(
            rel.rename({"related_person_id": "caller_person_id"}), on=["person_id", "caller_person_id"], how="left"
        )
        .with_columns(
            pl.when(pl.col("caller_person_id") == pl.col("person_id"))
            .then(pl.lit(SELF))
            .otherwise(pl.col("relationship").fill_null(RELATIONSHIP_UNKNOWN))
            .alias("caller_relationship"),
            pl.lit("PHONE").alias("rule"),
        )
        .select(out_cols)
    )
    rest = rest.join(r2.select(key), on=key, how="anti")

    # 3. the person themself, by name and DOB
    has_name = rest.drop_nulls(["ofn", "osn", "odob"])
    own = has_name.join(
        names, left_on=["person_id", "ofn", "osn", "odob"], right_on=["person_id", "fn", "sn", "dob"], how="semi"
    ).select(key)
    same_as_subject = has_name.filter(
        (pl.col("ofn") == pl.col("sfn")) & (pl.col("osn") == pl.col("ssn")) & (pl.col("odob") == pl.col("sdob"))
    ).select(key)
    r3 = (
        pl.concat([own, same_as_subject])
        .unique()
        .with_columns(
            pl.col("person_id").alias("caller_person_id"),
            pl.lit(SELF).alias("caller_relationship"),
            pl.lit("NAME_DOB_SELF").alias("rule"),
        )
        .select(out_cols)
    )
    rest = rest.join(r3.select(key), on=key, how="anti")

    # 4. someone in the person's relationship table, by name and DOB
    related_versions = rel.join(
        names.join(
            rel.select(pl.col("related_person_id").alias("person_id")).unique(), on="person_id", how="semi"
        ).rename({"person_id": "related_person_id"}),
        on="related_person_id",
        how="inner",
    )
    r4 = (
        rest.drop_nulls(["ofn", "osn", "odob"])
        .select(*key, "ofn", "osn", "odob")
        .join(
            related_versions,
            left_on=["person_id", "ofn", "osn", "odob"],
            right_on=["person_id", "fn", "sn", "dob"],
            how="inner",
        )
        .group_by(key)
        .agg(pl.col("related_person_id").unique().sort(), pl.col("relationship").unique())
        .filter(pl.col("relationship").list.len() == 1)
        .select(
            *key,
            pl.when(pl.col("related_person_id").list.len() == 1)
            .then(pl.col("related_person_id").list.first())
            .otherwise(None)
            .alias("caller_person_id"),
            pl.col("relationship").list.first().alias("caller_relationship"),
            pl.lit("NAME_DOB_RELATED").alias("rule"),
        )
    )
    rest = rest.join(r4.select(key), on=key, how="anti")

    # 5. nothing matched
    r5 = rest.select(
        *key,
        pl.lit(None, dtype=pl.String).alias("caller_person_id"),
        pl.lit(RELATIONSHIP_UNKNOWN).alias("caller_relationship"),
        pl.lit("NONE").alias("rule"),
    )

    schema = {
        "person_id": pl.String,
        "incident_id": pl.String,
        "caller_person_id": pl.String,
        "caller_relationship": pl.String,
        "rule": pl.String,
    }
    allr = pl.concat([r.select([pl.col(c).cast(t) for c, t in schema.items()]) for r in (r1, r2, r3, r4, r5)])
    out = (
        pl_.select("person_id", "incident_id", "is_originator", "is_subject")
        .join(allr, on=key, how="left")
        .select(
            "person_id", "incident_id", "is_originator", "is_subject", "caller_person_id", "caller_relationship", "rule"
        )
        .sort("person_id", "incident_id")
    )
    return with_month(out, m)


def cw_caller_relationship_counts(caller_relationships_frame: pl.DataFrame) -> pl.DataFrame:
    """Long summary of ``caller_relationships``: ``month, person_id, caller_relationship, logs``."""
    out = caller_relationships_frame.group_by("month", "person_id", "caller_relationship").agg(
        pl.col("incident_id").n_unique().cast(pl.Int64).alias("logs")
    )
    return out.sort("person_id", "caller_relationship").select("month", "person_id", "caller_relationship", "logs")
