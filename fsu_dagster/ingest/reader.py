"""Ingest: finding a month's landing file and reading it (CSV behind a vectorised structure check, or Parquet)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from fsu_dagster.ingest.common import (
    LandingFileError,
)

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


# --------------------------------------------------------------------------- reading

_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13
#: Bytes that may stand before an opening quote or after a closing one (a doubled quote
#: inside a quoted field is a closing quote immediately followed by an opening one).
_QUOTE_NEIGHBOURS = np.array([_QUOTE, _COMMA, _LF, _CR], dtype=np.uint8)


def _read_csv(
    path: Path,
    fallback_encoding: str | None = None,
    used: dict[str, str] | None = None,
    *,
    empty_as_null: bool = False,
) -> pl.DataFrame:
    """Read a CSV as all-string columns, strictly (RFC 4180), with line numbers in errors.

    The file is checked once by vectorised byte scans (quote placement, record ends, field
    counts; see :func:`_scan_csv`) and then read by polars' reader. A file the scan cannot
    prove plain (odd quoting, a lone CR, blank lines, NUL bytes, a record longer than the
    csv module's field limit) is read by :func:`_read_csv_strict`, the record-by-record reader,
    which either reads it the same way or raises the error naming the line.

    Text must be UTF-8 (a BOM is ignored). A file that is not is an error naming the line, the
    column and the fix, unless ``fallback_encoding`` is set: then it is decoded with that
    encoding, and ``used["encoding"]`` records it (it goes to ``fsu.data_quality``).

    An empty field is ``""``, as the csv module reads it; ``empty_as_null``: polars' reader may
    leave it null instead (for callers that treat both alike, as ``parse_extract`` does: it
    saves filling every column).
    """
    return _read_csv_bytes(path.read_bytes(), _display(path), fallback_encoding, used, empty_as_null=empty_as_null)


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


def _is_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8, without decoding the whole file.

    ASCII bytes are valid on their own and are never part of a multi-byte sequence, so a file is
    valid UTF-8 exactly when every maximal run of non-ASCII bytes is. The runs (a few percent of a
    file with accented names, none in most files) are decoded, each followed by a line feed: Python's
    decoder then judges each one as it judges it in place. Decoding the whole file built a str of it
    (a slow path for non-ASCII text) only to throw it away.
    """
    if raw.isascii():
        return True
    a = np.frombuffer(raw, dtype=np.uint8)
    high = np.flatnonzero(a >= 0x80)
    run_ends = np.flatnonzero(np.diff(high) > 1)  # a run ends at high[k] when the next one starts later
    # Each high byte moves right by the number of runs ended before it (one separator per run).
    shift = np.zeros(high.size, dtype=np.int64)
    shift[run_ends + 1] = 1
    at = np.arange(high.size) + np.cumsum(shift)
    packed = np.full(high.size + run_ends.size, _LF, dtype=np.uint8)
    packed[at] = a[high]
    try:
        packed.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_csv_bytes(
    raw: bytes,
    name: str,
    fallback_encoding: str | None = None,
    used: dict[str, str] | None = None,
    *,
    empty_as_null: bool = False,
) -> pl.DataFrame:
    encoding = "utf-8"
    try:
        if not _is_utf8(raw):
            raw.decode("utf-8-sig")  # raises, at the first invalid byte (the message names its line)
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
    frame = _read_csv_fast(data, name, empty_as_null=empty_as_null)
    return frame if frame is not None else _read_csv_strict(data.decode("utf-8"), name)


def _read_csv_fast(data: bytes, name: str, *, empty_as_null: bool = False) -> pl.DataFrame | None:
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
    return frame if empty_as_null else frame.with_columns(pl.all().fill_null(""))


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
    none = np.empty(0, dtype=np.intp)
    # Most files have no CR and many no quote: ``in`` (memchr) finds that without a pass of its own
    # over a mask of the file.
    quotes = np.flatnonzero(a == _QUOTE) if b'"' in data else none
    cr = np.flatnonzero(a == _CR) if b"\r" in data else none
    lf, commas = np.flatnonzero(a == _LF), np.flatnonzero(a == _COMMA)
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
