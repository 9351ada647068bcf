"""Landing files -> typed polars frames, with a quarantine for rows that break the contract.

Pure step (no Dagster import). ``docs/ingest.md`` documents every rule implemented here;
the column names, types, keys and allowed values all come from :mod:`fsu_dagster.contract`.

* :func:`find_landing_file` locates ``landing/YYYY-MM/<extract>.csv`` (or ``.parquet``).
* :func:`parse_extract` reads one month's file (or an in-memory frame) and returns a
  :class:`ParsedExtract`: the valid rows in the pipeline's types (``month`` first, then the
  contract columns in contract order), one quarantine row per problem found, and
  aggregate-only statistics.
* A file that cannot be read at all, or that lacks a required column, raises
  :class:`LandingFileError` naming the file, the line and what was expected. Messages never
  contain a field's value: landing files hold personal data.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from fsu_dagster.contract import LOCAL_TZ, MONTH_COLUMN, Column, ColumnType, Extract

__all__ = [
    "ACTION_FLAG",
    "ACTION_ROW",
    "ACTION_VALUE",
    "LandingFileError",
    "ORDER_RULES",
    "ParsedExtract",
    "Plausibility",
    "PIPELINE_DTYPES",
    "QUARANTINE_SCHEMA",
    "REASON_DUPLICATE_KEY",
    "REASON_DST_GAP",
    "REASON_MISSING",
    "REASON_NOT_ALLOWED",
    "REASON_OUT_OF_RANGE",
    "UNPARSEABLE",
    "empty_frame",
    "find_landing_file",
    "month_folder",
    "output_schema",
    "parse_extract",
]

#: Contract type -> the dtype the pipeline carries (timestamps are naive UTC instants).
PIPELINE_DTYPES: dict[ColumnType, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
}

QUARANTINE_SCHEMA: pl.Schema = pl.Schema(
    {
        "extract": pl.String(),
        MONTH_COLUMN: pl.Date(),
        "row_number": pl.Int64(),
        "column": pl.String(),
        "reason": pl.String(),
        #: ``row quarantined`` (the row is not loaded) or ``value set to null`` (the row is loaded
        #: without that optional value).
        "action": pl.String(),
        "source_file": pl.String(),
    }
)

ACTION_ROW = "row quarantined"
ACTION_VALUE = "value set to null"
#: A plausibility finding on a value the contract accepts: the row and the value are loaded as
#: they are (Stage 1's numbers do not change) and the finding is reported.
ACTION_FLAG = "value flagged"

# Quarantine reasons. They describe the problem, never the offending value.
REASON_MISSING = "missing required value"
REASON_OUT_OF_RANGE = "value out of range"
REASON_NOT_ALLOWED = "value not allowed"
REASON_DST_GAP = "nonexistent local time (spring DST gap)"
REASON_DUPLICATE_KEY = "duplicate primary key"  # + " (first seen at row N)"
# Plausibility (see Plausibility): the value parses but cannot be right.
REASON_FUTURE = "implausible: in the future"  # + " (over N days after the landing month)"
REASON_DOB = "implausible date of birth"  # + " (in the future or over N years ago)"
REASON_BEFORE = "implausible: before"  # + " <earlier column>"
REASON_OVER_CAP = "custody over the cap"  # + " (N h; clipped to the cap in Stage 1)"
UNPARSEABLE: dict[ColumnType, str] = {
    "int": "unparseable int: expected a whole number",
    "bool": "unparseable bool: expected true or false",
    "date": "unparseable date: expected YYYY-MM-DD",
    "timestamp": "unparseable timestamp: expected ISO 8601",
    "str": "unparseable str",  # only reachable for typed (Parquet) input that cannot become text
}

_ROW = "__row_number"
_INT_RE = r"^[+-]?[0-9]+$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Date, 'T' or a space, HH:MM, optional :SS and fraction, optional offset (Z, +HH, +HHMM, +HH:MM).
_TS_RE = (
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<hm>[0-9]{2}:[0-9]{2})"
    r"(?::(?P<sec>[0-9]{2})(?:[.,](?P<frac>[0-9]{1,9}))?)?"
    r"(?P<off>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
# A timestamp already in canonical form (or an empty field): no groups to extract, no offset.
_PLAIN_TS_RE = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})?$"


class LandingFileError(ValueError):
    """A landing file that cannot be read at all (message names the file and the line)."""


# No hidden field-size limit: the csv module's default (131,072 characters) would stop a file
# with one long free-text field with a misleading message. Fields are bounded by memory only.
_FIELD_LIMIT = sys.maxsize
while True:
    try:
        csv.field_size_limit(_FIELD_LIMIT)
        break
    except OverflowError:  # pragma: no cover - platforms whose C long is 32 bits
        _FIELD_LIMIT //= 2


#: (later column, earlier column) pairs per extract: the later one must not come first.
ORDER_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "avaya_calls": (("answered_at", "started_at"), ("ended_at", "started_at"), ("ended_at", "answered_at")),
    "cw_incidents": (("closed_at", "created_at"),),
    "cw_resources": (("arrived_at", "assigned_at"), ("released_at", "assigned_at"), ("released_at", "arrived_at")),
    "connect_investigations": (("outcome_at", "recorded_at"),),
    "connect_custody": (("arrival_at", "arrested_at"), ("released_at", "arrival_at")),
    "compact_missing": (("found_at", "reported_at"),),
}


@dataclass(frozen=True)
class Plausibility:
    """Rules for values that parse but cannot be right (``docs/ingest.md``, Plausibility).

    * a timestamp more than ``future_days`` days after the end of its landing month;
    * a date of birth after the end of its landing month or more than ``max_age_years`` before it;
    * an end before its start (``ORDER_RULES``: released before arrival, closed before created...);
    * a custody record (``released_at - arrival_at``) longer than ``custody_cap_hours``.

    ``action``: ``flag`` loads the value as it is and records a ``value flagged`` note (the
    contract accepts these values, so Stage 1's numbers do not change); ``null`` sets an optional
    value to null instead (``value set to null``). Required values and the custody cap, which the
    contract defines (clipped in Stage 1), are always flagged, never changed.
    """

    future_days: int = 366
    max_age_years: int = 120
    custody_cap_hours: float = 200.0
    action: Literal["flag", "null"] = "flag"


@dataclass
class ParsedExtract:
    """One month of one extract after parsing."""

    extract: str
    month: dt.date
    #: Display name of the file read (``landing/YYYY-MM/<extract>.csv``), or None when missing.
    source_file: str | None
    #: ``month`` then the contract columns, in contract order and pipeline dtypes.
    valid: pl.DataFrame
    #: One row per problem: ``extract, month, row_number, column, reason, source_file``.
    quarantine: pl.DataFrame
    #: Aggregates only (counts and column names), safe for asset metadata and logs.
    stats: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- locating files


def month_folder(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def find_landing_file(landing_dir: Path | str, extract_name: str, month: dt.date) -> Path | None:
    """``landing_dir/YYYY-MM/<extract>.csv`` or ``.parquet``; None when neither exists."""
    folder = Path(landing_dir) / month_folder(month)
    found = [p for p in (folder / f"{extract_name}.csv", folder / f"{extract_name}.parquet") if p.is_file()]
    if len(found) > 1:
        raise LandingFileError(
            f"{_display(found[0])} and {_display(found[1])} both exist: "
            "expected one file per extract and month (remove one of them)"
        )
    return found[0] if found else None


def _display(path: Path) -> str:
    """``landing/2026-03/cw_incidents.csv`` for files in a landing area, else the path as given."""
    parts = path.parts
    if len(parts) >= 3 and parts[-3] == "landing":
        return "/".join(parts[-3:])
    return str(path)


# --------------------------------------------------------------------------- schemas


def output_schema(extract: Extract) -> dict[str, pl.DataType]:
    """``month`` then the contract columns with their pipeline dtypes."""
    return {MONTH_COLUMN: pl.Date(), **{c.name: PIPELINE_DTYPES[c.type] for c in extract.columns}}


def empty_frame(extract: Extract) -> pl.DataFrame:
    return pl.DataFrame(schema=output_schema(extract))


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


# --------------------------------------------------------------------------- reading

_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13
#: Bytes that may stand before an opening quote or after a closing one (a doubled quote
#: inside a quoted field is a closing quote immediately followed by an opening one).
_QUOTE_NEIGHBOURS = np.array([_QUOTE, _COMMA, _LF, _CR], dtype=np.uint8)


def _read_csv(path: Path, fallback_encoding: str | None = None, used: dict[str, str] | None = None) -> pl.DataFrame:
    """Read a CSV as all-string columns, strictly (RFC 4180), with line numbers in errors.

    The file is checked once by vectorised byte scans (quote placement, record ends, field
    counts; see :func:`_scan_csv`) and then read by polars' reader. A file the scan cannot
    prove plain (odd quoting, a lone CR, blank lines, NUL bytes, a record longer than the
    csv module's field limit) is read by :func:`_read_csv_strict`, the record-by-record reader,
    which either reads it the same way or raises the error naming the line.

    Text must be UTF-8 (a BOM is ignored). A file that is not is an error naming the line, the
    column and the fix, unless ``fallback_encoding`` is set: then it is decoded with that
    encoding, and ``used["encoding"]`` records it (it goes to ``fsu.data_quality``).
    """
    return _read_csv_bytes(path.read_bytes(), _display(path), fallback_encoding, used)


def _bad_byte_position(raw: bytes, start: int) -> tuple[int, int, str | None]:
    """(line, 1-based field number, header name) of byte ``start`` (quotes on that line respected)."""
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw[:start].count(b"\n") + 1
    prefix = raw[line_start:start]
    field_no, quoted = 1, False
    for byte in prefix:
        if byte == _QUOTE:
            quoted = not quoted
        elif byte == _COMMA and not quoted:
            field_no += 1
    header_end = raw.find(b"\n")
    header_bytes = raw[: header_end if header_end >= 0 else len(raw)].removeprefix(codecs.BOM_UTF8)
    try:
        header = next(csv.reader([header_bytes.decode("utf-8").rstrip("\r")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        header = []
    name = header[field_no - 1].strip().lower() if 0 < field_no <= len(header) and line > 1 else None
    return line, field_no, name


def _read_csv_bytes(
    raw: bytes, name: str, fallback_encoding: str | None = None, used: dict[str, str] | None = None
) -> pl.DataFrame:
    encoding = "utf-8"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not fallback_encoding:
            line, field_no, column = _bad_byte_position(raw, exc.start)
            where = f"column {field_no}" + (f" ({column})" if column else "")
            raise LandingFileError(
                f"{name} line {line} {where}: expected UTF-8 text, found an invalid byte sequence; "
                "re-export the file as UTF-8, or set FSU_LANDING_ENCODING to its encoding (e.g. cp1252)"
            ) from None
        try:
            text = raw.decode(fallback_encoding)
        except (UnicodeDecodeError, LookupError) as exc2:
            raise LandingFileError(
                f"{name}: neither UTF-8 nor the configured landing_encoding {fallback_encoding!r} "
                f"reads this file ({type(exc2).__name__}); re-export it as UTF-8"
            ) from None
        raw = text.removeprefix("\ufeff").encode("utf-8")
        encoding = fallback_encoding
    if used is not None:
        used["encoding"] = encoding
    data = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    frame = _read_csv_fast(data, name)
    return frame if frame is not None else _read_csv_strict(data.decode("utf-8"), name)


def _read_csv_fast(data: bytes, name: str) -> pl.DataFrame | None:
    """polars' reader behind a vectorised structure check; None when the file needs the strict reader."""
    scan = _scan_csv(data)
    if scan is None:
        return None
    starts, content_ends, counts = scan
    header_text = data[starts[0] : content_ends[0]].decode("utf-8")
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(header_text, newline=""), strict=True))]
    if len(header) != counts[0]:  # pragma: no cover - the scan and the csv module agree on plain files
        return None
    dupes = sorted(h for h, n in Counter(header).items() if n > 1)
    if dupes:
        raise LandingFileError(f"{name} line 1: header names {dupes} more than once")
    ragged = np.flatnonzero(counts != counts[0])
    if ragged.size:
        k = int(ragged[0])
        line = _lines_before(data, int(starts[k])) + 1
        raise LandingFileError(f"{name} line {line}: expected {len(header)} fields, found {int(counts[k])}")
    frame = pl.read_csv(
        data,
        has_header=True,
        infer_schema=False,
        quote_char='"',
        separator=",",
        raise_if_empty=False,
    )
    if frame.width != len(header) or frame.height != len(starts) - 1:  # pragma: no cover - defensive
        return None
    frame.columns = header
    # polars reads an empty field as null; the csv module (and so the strict reader) as "".
    return frame.with_columns(pl.all().fill_null(""))


def _scan_csv(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Record starts, record content ends (before CR/LF) and field counts, by vectorised scans.

    Returns None unless the file is plain RFC 4180 as Python's strict csv module reads it:
    every quote opens a field (at its start) or closes one (before a comma, a line end, the
    end of the file or a doubled quote), quotes balance, every CR outside quotes is part of
    a CRLF, no record is blank, there is no NUL byte, and no record is longer than the csv
    module's field limit. Under those conditions quote parity alone tells which commas and
    line feeds separate fields and records.
    """
    n = len(data)
    if n == 0 or b"\x00" in data:
        return None
    a = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(a == _QUOTE)
    lf, cr, commas = np.flatnonzero(a == _LF), np.flatnonzero(a == _CR), np.flatnonzero(a == _COMMA)
    if quotes.size:
        if quotes.size % 2:
            return None
        opens, closes = quotes[0::2], quotes[1::2]
        before = np.isin(a[opens - 1], _QUOTE_NEIGHBOURS) | (opens == 0)
        after = np.isin(a[np.minimum(closes + 1, n - 1)], _QUOTE_NEIGHBOURS) | (closes == n - 1)
        if not (before.all() and after.all()):
            return None
        # Bytes strictly between an opening quote and its closing quote are field content
        # (work proportional to the quoted bytes, not to the file).
        inside = np.zeros(n, dtype=bool)
        lengths = closes - opens - 1
        firsts = np.repeat(opens + 1 - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        inside[firsts + np.arange(int(lengths.sum()))] = True
        lf, cr, commas = (pos[~inside[pos]] for pos in (lf, cr, commas))
    if cr.size and (cr[-1] == n - 1 or not (a[cr + 1] == _LF).all()):
        return None  # a lone CR ends a line for the csv module, not for polars
    starts = np.concatenate(([0], lf + 1))
    ends = lf
    if starts[-1] == n:
        starts = starts[:-1]
    else:
        ends = np.concatenate((lf, [n]))
    length = ends - starts
    content_ends = ends - ((length > 0) & (a[np.maximum(ends - 1, 0)] == _CR))
    if ((content_ends - starts) == 0).any() or length.max() > csv.field_size_limit():
        return None  # blank lines are skipped by the strict reader; over-long fields fail there
    counts = np.searchsorted(commas, content_ends) - np.searchsorted(commas, starts) + 1
    return starts, content_ends, counts


def _lines_before(data: bytes, pos: int) -> int:
    """Line breaks before byte ``pos`` as the csv module counts them (LF, CRLF or a lone CR)."""
    head = data[:pos]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")


def _read_csv_strict(text: str, name: str) -> pl.DataFrame:
    """Python's csv module, record by record: the reference reader and the error path."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    columns: list[list[str]] = []
    start_line = 1
    try:
        for record in reader:
            if not record:  # a blank line
                start_line = reader.line_num + 1
                continue
            if header is None:
                header = [h.strip().lower() for h in record]
                dupes = sorted(h for h, n in Counter(header).items() if n > 1)
                if dupes:
                    raise LandingFileError(f"{name} line {start_line}: header names {dupes} more than once")
                columns = [[] for _ in header]
            elif len(record) != len(header):
                raise LandingFileError(f"{name} line {start_line}: expected {len(header)} fields, found {len(record)}")
            else:
                for values, value in zip(columns, record, strict=True):
                    values.append(value)
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise LandingFileError(f"{name} line {start_line}: expected RFC 4180 CSV ({exc})") from None
    if header is None:
        raise LandingFileError(f"{name} line 1: expected a header row, found an empty file")
    return pl.DataFrame({h: pl.Series(h, v, dtype=pl.String) for h, v in zip(header, columns, strict=True)})


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure means the file is unreadable
        raise LandingFileError(f"{_display(path)}: expected a readable Parquet file ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- parsing columns


def _as_text(expr: pl.Expr) -> pl.Expr:
    """Trim, and turn empty or whitespace-only text into null."""
    t = expr.cast(pl.String).str.strip_chars()
    return pl.when(t.str.len_bytes() == 0).then(None).otherwise(t)


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


def _run_stages(frame: pl.DataFrame, plans: list[Stages]) -> pl.DataFrame:
    """Evaluate the plans stage by stage: one ``with_columns`` per stage, across all columns."""
    for k in range(max((len(p) for p in plans), default=0)):
        frame = frame.with_columns([e for p in plans if k < len(p) for e in p[k]])
    return frame


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


# --------------------------------------------------------------------------- the step


def parse_extract(
    source: Path | str | pl.DataFrame | None,
    extract: Extract,
    month: dt.date,
    *,
    source_name: str | None = None,
    encoding: str | None = None,
    plausibility: Plausibility | None = None,
) -> ParsedExtract:
    """Parse one month of one extract; see ``docs/ingest.md`` for the rules.

    ``source`` is a landing file (CSV or Parquet), an in-memory frame (typed or text
    columns, treated like Parquet), or None for a missing file (an empty extract).
    ``encoding``: the fallback for CSV files that are not UTF-8 (None: such a file is an error).
    ``plausibility``: the rules for values that parse but cannot be right (None: not checked).
    """
    month = dt.date(month.year, month.month, 1)
    if source is None:
        return ParsedExtract(
            extract.name,
            month,
            None,
            empty_frame(extract),
            _empty_quarantine(),
            _stats(extract, 0, 0, 0, [], [], [], 0),
        )
    used = {"encoding": "utf-8"}
    if isinstance(source, pl.DataFrame):
        raw, name = source, source_name or "<frame>"
    else:
        path = Path(source)
        name = source_name or _display(path)
        if path.suffix.lower() == ".parquet":
            raw = _read_parquet(path)
            used["encoding"] = "parquet"
        else:
            raw = _read_csv(path, encoding, used)
    names = [c.strip().lower() for c in raw.columns]
    dupes = sorted(h for h, k in Counter(names).items() if k > 1)
    if dupes:
        raise LandingFileError(f"{name} line 1: header names {dupes} more than once")
    raw = raw.rename(dict(zip(raw.columns, names, strict=True)))

    present = set(raw.columns)
    missing_required = [c.name for c in extract.columns if c.required and c.name not in present]
    if missing_required:
        raise LandingFileError(f"{name} line 1: missing required column(s) {', '.join(missing_required)}")
    missing_optional = [c.name for c in extract.columns if c.name not in present]
    extra = sorted(present - set(extract.column_names))

    n = raw.height
    frame = raw.select([c for c in extract.column_names if c in present]).with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in missing_optional]
    )
    frame = frame.with_row_index(_ROW, offset=1).with_columns(pl.col(_ROW).cast(pl.Int64))

    # Contract section 1: a bad value in a *required* column (or a duplicate key) is a data error and
    # the row is quarantined; a bad value in an optional column is loaded as null, and recorded.
    plain = _plain_timestamp_columns(frame, extract)
    plans = [_column_stages(c, frame.schema[c.name], plain_timestamp=c.name in plain) for c in extract.columns]
    work = _run_stages(frame, plans)
    work = work.with_columns(
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
    parsed = work.select(pl.col(_ROW), *values)
    reasons = [pl.col(_reason(c)).alias(c) for c in extract.column_names]
    problems = (
        work.filter(pl.any_horizontal(pl.col(_reason(c)).is_not_null() for c in extract.column_names))
        .select(pl.col(_ROW), *reasons)
        .unpivot(index=_ROW, variable_name="column", value_name="reason")
        .drop_nulls("reason")
    )
    del work

    if extract.primary_key is not None:
        pk = extract.primary_key
        keyed = parsed.select(_ROW, pk).drop_nulls(pk)
        duplicate_keys = (
            keyed.with_columns(pl.col(_ROW).min().over(pk).alias("__first"))
            .filter(pl.col(_ROW) != pl.col("__first"))
            .select(
                pl.col(_ROW),
                pl.lit(pk).alias("column"),
                pl.format(REASON_DUPLICATE_KEY + " (first seen at row {})", pl.col("__first")).alias("reason"),
            )
        )
        problems = pl.concat([problems, duplicate_keys])

    order = {c: i for i, c in enumerate(extract.column_names)}
    problems = problems.sort(_ROW, pl.col("column").replace_strict(order, return_dtype=pl.Int64))
    row_level = pl.col("column").is_in([c.name for c in extract.columns if c.required]) | pl.col(
        "reason"
    ).str.starts_with(REASON_DUPLICATE_KEY)
    problems = problems.with_columns(
        pl.when(row_level).then(pl.lit(ACTION_ROW)).otherwise(pl.lit(ACTION_VALUE)).alias("action")
    )
    bad_rows = problems.filter(pl.col("action") == ACTION_ROW).get_column(_ROW).unique()
    kept = parsed.filter(~pl.col(_ROW).is_in(bad_rows.implode()))
    if plausibility is not None and kept.height:
        kept, implausible = _plausibility(kept, extract, month, plausibility)
        if implausible.height:
            problems = pl.concat([problems, implausible]).sort(
                _ROW, pl.col("column").replace_strict(order, return_dtype=pl.Int64), maintain_order=True
            )
    valid = kept.drop(_ROW).select(pl.lit(month).alias(MONTH_COLUMN), *extract.column_names)
    quarantine = problems.select(
        pl.lit(extract.name).alias("extract"),
        pl.lit(month).alias(MONTH_COLUMN),
        pl.col(_ROW).alias("row_number"),
        pl.col("column"),
        pl.col("reason"),
        pl.col("action"),
        pl.lit(name).alias("source_file"),
    ).cast(QUARANTINE_SCHEMA)

    outside = 0
    if extract.anchor is not None and valid.height:
        local = pl.col(extract.anchor).dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ)
        outside = valid.select(((local.dt.year() != month.year) | (local.dt.month() != month.month)).sum()).item()
    stats = _stats(
        extract,
        n,
        valid.height,
        bad_rows.len(),
        quarantine.get_column("reason"),
        missing_optional,
        extra,
        int(outside),
        problems.get_column("column"),
        values_nulled=int((problems.get_column("action") == ACTION_VALUE).sum()),
        values_flagged=int((problems.get_column("action") == ACTION_FLAG).sum()),
        encoding=used["encoding"],
    )
    return ParsedExtract(extract.name, month, name, valid, quarantine, stats)


def _month_end(month: dt.date) -> dt.date:
    """First day of the month after ``month``."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _plausibility(
    kept: pl.DataFrame, extract: Extract, month: dt.date, rules: Plausibility
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the plausibility rules to the loaded rows: (rows, possibly with values nulled; findings).

    Findings have the problem columns (row number, column, reason, action). Only aggregates and
    column names appear in reasons, never a value.
    """
    end = _month_end(month)
    horizon = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=rules.future_days)
    oldest = dt.date(end.year - rules.max_age_years, end.month, end.day)
    found: list[tuple[str, pl.Expr, str, bool]] = []  # (column, condition, reason, may null)
    future = f"{REASON_FUTURE} (over {rules.future_days} days after the landing month)"
    dob = f"{REASON_DOB} (in the future or over {rules.max_age_years} years ago)"
    for col in extract.columns:
        c = pl.col(col.name)
        if col.type == "timestamp":
            found.append((col.name, c > horizon, future, not col.required))
        elif col.type == "date" and col.name.endswith("dob"):
            found.append((col.name, (c >= end) | (c < oldest), dob, not col.required))
    for later, earlier in ORDER_RULES.get(extract.name, ()):
        col = extract.column(later)
        found.append((later, pl.col(later) < pl.col(earlier), f"{REASON_BEFORE} {earlier}", not col.required))
    if extract.name == "connect_custody":
        over = (pl.col("released_at") - pl.col("arrival_at")) > dt.timedelta(hours=rules.custody_cap_hours)
        cap = f"{REASON_OVER_CAP} ({rules.custody_cap_hours:g} h; clipped to the cap in Stage 1)"
        found.append(("released_at", over, cap, False))
    flags = kept.select(
        pl.col(_ROW), *[cond.fill_null(False).alias(f"__rule{i}") for i, (_, cond, _, _) in enumerate(found)]
    )
    frames = []
    null_masks: dict[str, pl.Series] = {}
    for i, (column, _, reason, may_null) in enumerate(found):
        hit = flags.get_column(f"__rule{i}")
        if not hit.any():
            continue
        action = ACTION_VALUE if (rules.action == "null" and may_null) else ACTION_FLAG
        frames.append(
            flags.filter(hit).select(
                pl.col(_ROW),
                pl.lit(column).alias("column"),
                pl.lit(reason).alias("reason"),
                pl.lit(action).alias("action"),
            )
        )
        if action == ACTION_VALUE:
            null_masks[column] = null_masks[column] | hit if column in null_masks else hit
    if null_masks:
        kept = kept.with_columns(
            pl.when(pl.lit(mask)).then(None).otherwise(pl.col(column)).alias(column)
            for column, mask in null_masks.items()
        )
    schema = {_ROW: pl.Int64, "column": pl.String, "reason": pl.String, "action": pl.String}
    return kept, (pl.concat(frames) if frames else pl.DataFrame(schema=schema))


def _stats(
    extract: Extract,
    rows_read: int,
    rows_valid: int,
    rows_quarantined: int,
    reasons: pl.Series | list[str],
    missing_optional: list[str],
    extra: list[str],
    outside: int,
    columns: pl.Series | list[str] | None = None,
    values_nulled: int = 0,
    values_flagged: int = 0,
    encoding: str | None = None,
) -> dict[str, Any]:
    reasons = pl.Series("reason", reasons, dtype=pl.String)
    kinds = reasons.str.split(" (first seen").list.first()
    return {
        "rows_read": rows_read,
        "rows_valid": rows_valid,
        "rows_quarantined": rows_quarantined,
        "values_nulled": values_nulled,
        "problems": reasons.len(),
        "reasons": _counts(kinds),
        "problems_by_column": _counts(pl.Series("column", [] if columns is None else columns, dtype=pl.String)),
        "missing_optional_columns": list(missing_optional),
        "extra_columns_ignored": list(extra),
        "anchor_outside_month": outside,
        "values_flagged": values_flagged,
        "encoding": encoding,
    }


def _counts(values: pl.Series) -> dict[str, int]:
    """``{value: count}`` sorted by value (one entry per distinct value, never per row)."""
    counted = values.value_counts(name="n").sort(values.name)
    return {str(k): int(v) for k, v in counted.iter_rows()}
