"""Ingest: each contract column parsed by vectorised stages, every intermediate computed once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from fsu_dagster.contract import LOCAL_TZ, Column, ColumnType, Extract
from fsu_dagster.ingest.common import (
    _DATE_RE,
    _INT_RE,
    _PLAIN_TS_RE,
    _TS_RE,
    PIPELINE_DTYPES,
    REASON_DST_GAP,
    REASON_MISSING,
    REASON_NOT_ALLOWED,
    REASON_OUT_OF_RANGE,
    UNPARSEABLE,
)

# --------------------------------------------------------------------------- parsing columns


def _as_text(expr: pl.Expr) -> pl.Expr:
    """Trim, and turn empty or whitespace-only text into null."""
    # ``replace`` is a hash lookup of the one value "" (3x cheaper than a when/then/otherwise,
    # which copied every string); the same result.
    return expr.cast(pl.String).str.strip_chars().replace("", None)


def _local_to_utc(naive: pl.Expr) -> pl.Expr:
    """Europe/London wall-clock -> naive UTC; earlier instant when ambiguous, null in the gap."""
    return (
        naive.dt.replace_time_zone(LOCAL_TZ, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )


# Every column is parsed by a short list of *stages*. An expression in a stage reads only the
# landing columns and the columns made by earlier stages, so each intermediate (the trimmed
# text, the regex groups of a timestamp, the local time...) is computed once, and one
# ``with_columns`` per stage evaluates all columns in parallel. Each plan ends with three
# columns per contract column: the value, whether the source was null, and the parse reason.
Stages = list[list[pl.Expr]]


def _tmp(name: str, part: str) -> str:
    return f"__{part}:{name}"


def _value(name: str) -> str:
    return _tmp(name, "value")


def _missing(name: str) -> str:
    return _tmp(name, "missing")


def _parse_reason(name: str) -> str:
    return _tmp(name, "parse")


def _reason(name: str) -> str:
    return _tmp(name, "reason")


def _unparseable_when_lost(name: str, kind: ColumnType) -> pl.Expr:
    """The parse reason when a value was present but did not parse."""
    lost = ~pl.col(_missing(name)) & pl.col(_value(name)).is_null()
    return pl.when(lost).then(pl.lit(UNPARSEABLE[kind])).alias(_parse_reason(name))


def _no_reason(name: str) -> pl.Expr:
    return pl.lit(None, dtype=pl.String).alias(_parse_reason(name))


def _timestamp_text_stages(name: str, t: pl.Expr, *, plain: bool = False) -> Stages:
    """Stages for ISO 8601 text (``t`` already trimmed, null when empty).

    ``plain``: every landing value of the column is empty or exactly ``YYYY-MM-DDTHH:MM:SS``
    (checked by :func:`_plain_timestamp_columns`), the shape nearly every export uses. Then the
    regex groups are not needed: the text is already the canonical form and has no offset.
    """
    g, naive, off, digits = (pl.col(_tmp(name, p)) for p in ("groups", "naive", "off", "digits"))
    off_h, off_m, sign, local = (pl.col(_tmp(name, p)) for p in ("off_h", "off_m", "sign", "local"))
    off_minutes, bad_offset = pl.col(_tmp(name, "off_minutes")), pl.col(_tmp(name, "bad_offset"))
    # Whole seconds through polars' fast fixed-format parser, then the fraction (kept to the
    # microsecond) added as a duration: the same instants as parsing "...%S%.f", 5x faster.
    whole = pl.concat_str(
        [g.struct.field("date"), pl.lit("T"), g.struct.field("hm"), pl.lit(":"), g.struct.field("sec").fill_null("00")]
    ).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    micros = (g.struct.field("frac").fill_null("") + "000000").str.slice(0, 6).cast(pl.Int64)
    if plain:
        first: Stages = [
            [
                t.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us").alias(_tmp(name, "naive")),
                pl.lit(None, dtype=pl.String).alias(_tmp(name, "off")),
            ]
        ]
    else:
        first = [
            [t.str.extract_groups(_TS_RE).alias(_tmp(name, "groups"))],
            [
                (whole + pl.duration(microseconds=micros)).alias(_tmp(name, "naive")),
                g.struct.field("off").str.to_uppercase().alias(_tmp(name, "off")),
            ],
        ]
    return first + [
        [off.str.replace_all(":", "").alias(_tmp(name, "digits")), _local_to_utc(naive).alias(_tmp(name, "local"))],
        [
            pl.when(digits.str.slice(0, 1) == "-").then(-1).otherwise(1).alias(_tmp(name, "sign")),
            digits.str.slice(1, 2).cast(pl.Int64, strict=False).alias(_tmp(name, "off_h")),
            pl.when(digits.str.len_chars() > 3)
            .then(digits.str.slice(3, 2).cast(pl.Int64, strict=False))
            .otherwise(0)
            .alias(_tmp(name, "off_m")),
        ],
        [
            pl.when(off == "Z").then(0).otherwise(sign * (off_h * 60 + off_m)).alias(_tmp(name, "off_minutes")),
            (off.is_not_null() & (off != "Z") & ((off_h > 18) | (off_m > 59))).alias(_tmp(name, "bad_offset")),
        ],
        [
            pl.when(bad_offset)
            .then(None)
            .when(off.is_null())
            .then(local)
            .otherwise(naive - pl.duration(minutes=off_minutes))
            .alias(_value(name)),
            t.is_null().alias(_missing(name)),
            pl.when(t.is_null())
            .then(None)
            .when(naive.is_null() | bad_offset)
            .then(pl.lit(UNPARSEABLE["timestamp"]))
            .when(off.is_null() & local.is_null())
            .then(pl.lit(REASON_DST_GAP))
            .alias(_parse_reason(name)),
        ],
    ]


def _column_stages(col: Column, dtype: pl.DataType, *, plain_timestamp: bool = False) -> Stages:
    """The stages that turn landing column ``col`` into its value, missing flag and parse reason.

    ``dtype`` is the column's dtype as read: String for CSV, anything for Parquet.
    Typed values are used as they are where they fit the contract type; anything else is
    turned into text and parsed by the text rules.
    """
    kind, name, src = col.type, col.name, pl.col(col.name)
    value, missing = _value(name), _missing(name)
    if kind == "timestamp" and isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            first = [_local_to_utc(src.cast(pl.Datetime("us"))).alias(value), src.is_null().alias(missing)]
            dst = pl.when(~pl.col(missing) & pl.col(value).is_null()).then(pl.lit(REASON_DST_GAP))
            return [first, [dst.alias(_parse_reason(name))]]
        utc = src.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us"))
        return [[utc.alias(value), src.is_null().alias(missing), _no_reason(name)]]
    if (kind == "date" and dtype == pl.Date) or (kind == "bool" and dtype == pl.Boolean):
        return [[src.alias(value), src.is_null().alias(missing), _no_reason(name)]]
    if kind == "int" and dtype.is_integer():
        typed = src.cast(pl.Int64, strict=False)
        return [[typed.alias(value), src.is_null().alias(missing)], [_unparseable_when_lost(name, "int")]]
    if kind == "int" and dtype.is_float():
        whole = src.is_finite() & (src == src.floor())
        typed = pl.when(whole).then(src).cast(pl.Int64, strict=False)
        return [[typed.alias(value), src.is_null().alias(missing)], [_unparseable_when_lost(name, "int")]]

    text = _tmp(name, "text")
    t = pl.col(text)
    stages: Stages = [[_as_text(src).alias(text)]]
    if kind == "str":
        stages.append(
            [
                (t.str.to_uppercase() if col.allowed is not None else t).alias(value),
                t.is_null().alias(missing),
                _no_reason(name),
            ]
        )
    elif kind == "int":
        typed = pl.when(t.str.contains(_INT_RE)).then(t).cast(pl.Int64, strict=False)
        stages += [[typed.alias(value), t.is_null().alias(missing)], [_unparseable_when_lost(name, "int")]]
    elif kind == "bool":
        low = pl.col(_tmp(name, "lower"))
        typed = pl.when(low == "true").then(True).when(low == "false").then(False).otherwise(None)
        stages += [
            [t.str.to_lowercase().alias(_tmp(name, "lower")), t.is_null().alias(missing)],
            [typed.alias(value)],
            [_unparseable_when_lost(name, "bool")],
        ]
    elif kind == "date":
        typed = pl.when(t.str.contains(_DATE_RE)).then(t).str.to_date("%Y-%m-%d", strict=False)
        stages += [[typed.alias(value), t.is_null().alias(missing)], [_unparseable_when_lost(name, "date")]]
    elif kind == "timestamp":
        stages += _timestamp_text_stages(name, t, plain=plain_timestamp)
    else:  # pragma: no cover - ColumnType is closed
        raise ValueError(f"unknown contract type {kind!r}")
    return stages


def _plain_timestamp_columns(frame: pl.DataFrame, extract: Extract) -> set[str]:
    """Text timestamp columns whose every value is empty or exactly ``YYYY-MM-DDTHH:MM:SS``."""
    text = [c.name for c in extract.columns if c.type == "timestamp" and frame.schema[c.name] == pl.String]
    if not text:
        return set()
    plain = frame.select(pl.col(c).str.contains(_PLAIN_TS_RE).all() for c in text).row(0)
    return {c for c, ok in zip(text, plain, strict=True) if ok}


def _run_stages(frame: pl.DataFrame, stages: tuple[tuple[pl.Expr, ...], ...]) -> pl.DataFrame:
    """Evaluate a plan's stages in order: one ``with_columns`` per stage, across all columns."""
    for stage in stages:
        frame = frame.with_columns(stage)
    return frame


@dataclass(frozen=True)
class ParsePlan:
    """The expressions that parse one extract's columns, as read with given dtypes (see :func:`_parse_plan`).

    ``stages``: one tuple of expressions per ``with_columns``, across all columns (stage *k* of every
    column together); ``reasons``: each column's first problem, named :func:`_reason`; ``values``:
    each column's pipeline value (null where an optional column's value has a reason), in contract order;
    ``any_problem``: the row has a reason in some column; ``problems``: each reason, named by its column.
    """

    stages: tuple[tuple[pl.Expr, ...], ...]
    reasons: tuple[pl.Expr, ...]
    values: tuple[pl.Expr, ...]
    any_problem: pl.Expr
    problems: tuple[pl.Expr, ...]


@lru_cache(maxsize=256)
def _parse_plan(extract: Extract, dtypes: tuple[pl.DataType, ...], plain: frozenset[str]) -> ParsePlan:
    """The parse expressions of ``extract`` read with ``dtypes`` (one per contract column, in order).

    ``plain``: the text timestamp columns whose values are all plain (:func:`_plain_timestamp_columns`).
    Built once per (extract, dtypes, plain columns) and shared: a landing area's months are read
    with the same dtypes, and building the expressions cost about a third of a tiny month's parse.
    The plan is immutable (tuples of polars expressions, which are themselves immutable).
    """
    plans = [
        _column_stages(c, dtype, plain_timestamp=c.name in plain)
        for c, dtype in zip(extract.columns, dtypes, strict=True)
    ]
    stages = tuple(
        tuple(e for p in plans if k < len(p) for e in p[k]) for k in range(max((len(p) for p in plans), default=0))
    )
    reasons = tuple(
        _column_reason(
            col, pl.col(_value(col.name)), pl.col(_missing(col.name)), pl.col(_parse_reason(col.name))
        ).alias(_reason(col.name))
        for col in extract.columns
    )
    values = []
    for col in extract.columns:
        typed = pl.col(_value(col.name)).cast(PIPELINE_DTYPES[col.type])
        values.append(
            (typed if col.required else pl.when(pl.col(_reason(col.name)).is_null()).then(typed)).alias(col.name)
        )
    names = extract.column_names
    any_problem = pl.any_horizontal(pl.col(_reason(c)).is_not_null() for c in names)
    problems = tuple(pl.col(_reason(c)).alias(c) for c in names)
    return ParsePlan(stages, reasons, tuple(values), any_problem, problems)


def _column_reason(col: Column, value: pl.Expr, missing: pl.Expr, parse_reason: pl.Expr) -> pl.Expr:
    """The first problem with a value, in order: missing, unparseable/DST, range, allowed set."""
    out = (
        pl.when(missing & pl.lit(col.required))
        .then(pl.lit(REASON_MISSING))
        .when(parse_reason.is_not_null())
        .then(parse_reason)
    )
    if col.min_value is not None:
        out = out.when(value < col.min_value).then(pl.lit(REASON_OUT_OF_RANGE))
    if col.max_value is not None:
        out = out.when(value > col.max_value).then(pl.lit(REASON_OUT_OF_RANGE))
    if col.allowed is not None:
        out = out.when(value.is_not_null() & ~value.is_in(sorted(col.allowed))).then(pl.lit(REASON_NOT_ALLOWED))
    return out.otherwise(pl.lit(None, dtype=pl.String))
