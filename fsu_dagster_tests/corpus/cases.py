"""The bad-input corpus: one small landing file per kind of problem, with what must happen to it.

Every case is built here from the contract (hand-written minimal files, a few rows each), so the
corpus cannot drift from the contract and needs no data files in the repository. A case says
either which :class:`~fsu_dagster.ingest.LandingFileError` message the file must raise (a file
that cannot be read at all), or which quarantine findings (column, reason, action) it must give,
plus any statistics (ignored columns, records outside their month...). ``shrunk`` marks the cases
that the volume guard must refuse when earlier months held rows (an empty month is never silent).

``write_corpus(folder)`` writes every case to ``folder/<case id>/landing/2026-03/<extract>.csv``
for inspection or for trying the whole pipeline on them by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.ingest import (
    ACTION_FLAG,
    ACTION_ROW,
    ACTION_VALUE,
    REASON_DST_GAP,
    REASON_DUPLICATE_KEY,
    REASON_MISSING,
    REASON_NOT_ALLOWED,
    REASON_OUT_OF_RANGE,
    UNPARSEABLE,
)
from fsu_dagster_tests.sources.cases import good_row

MONTH = dt.date(2026, 3, 1)
#: A marker put into bad values: it must never appear in a message or a quarantine row.
SECRET = "Zyxwv"


@dataclass(frozen=True)
class Case:
    id: str
    extract: str
    #: The file's bytes; None = no file for the month.
    content: bytes | None
    #: Regex the LandingFileError message must match (the file cannot be read at all).
    error: str | None = None
    #: Quarantine findings, exactly: (row_number, column, reason prefix, action).
    findings: tuple[tuple[int, str, str, str], ...] = ()
    rows_read: int | None = None
    #: Expected values of ParsedExtract.stats entries.
    stats: dict[str, Any] = field(default_factory=dict)
    #: The month is empty: the volume guard must fail it against a normal history.
    shrunk: bool = False
    #: Settings-like options for parse_extract (``encoding``).
    options: dict[str, Any] = field(default_factory=dict)
    #: The landing file's suffix.
    suffix: str = ".csv"


def header(extract: str) -> list[str]:
    return list(EXTRACTS[extract].column_names)


def csv_bytes(
    extract: str,
    rows: list[dict[str, str]],
    *,
    columns: list[str] | None = None,
    eol: str = "\n",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    """A CSV with ``columns`` (default: the contract's), every field quoted only when needed."""
    cols = columns or header(extract)

    def field_text(v: str) -> str:
        return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(ch in v for ch in ',"\r\n') else v

    lines = [",".join(cols)] + [",".join(field_text(r.get(c, "")) for c in cols) for r in rows]
    text = eol.join(lines) + eol
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def _calls(n: int = 3, **overrides: str) -> list[dict[str, str]]:
    """``n`` good avaya_calls rows in March 2026; ``overrides`` apply to the last one."""
    rows = [
        good_row(
            EXTRACTS["avaya_calls"],
            f"C{i}",
            started_at=f"2026-03-{i + 2:02d}T10:00:00",
            answered_at=f"2026-03-{i + 2:02d}T10:01:00",
            ended_at=f"2026-03-{i + 2:02d}T10:09:00",
        )
        for i in range(n)
    ]
    rows[-1].update(overrides)
    return rows


def _custody(**overrides: str) -> list[dict[str, str]]:
    rows = [
        good_row(
            EXTRACTS["connect_custody"],
            f"K{i}",
            arrested_at=f"2026-03-{i + 2:02d}T09:00:00",
            arrival_at=f"2026-03-{i + 2:02d}T10:00:00",
            released_at=f"2026-03-{i + 2:02d}T18:00:00",
        )
        for i in range(3)
    ]
    rows[-1].update(overrides)
    return rows


A, K = "avaya_calls", "connect_custody"
AV_COLS = header(A)
TS = UNPARSEABLE["timestamp"]

CASES: list[Case] = [
    # ---- columns
    Case(
        "missing-required-column",
        A,
        csv_bytes(A, _calls(), columns=[c for c in AV_COLS if c != "started_at"]),
        error=r"avaya_calls\.csv line 1: missing required column\(s\) started_at",
    ),
    Case(
        "missing-optional-column",
        A,
        csv_bytes(A, _calls(), columns=[c for c in AV_COLS if c != "caller_number"]),
        rows_read=3,
        stats={"missing_optional_columns": ["caller_number"]},
    ),
    Case(
        "extra-column",
        A,
        csv_bytes(A, [r | {"notes": SECRET} for r in _calls()], columns=AV_COLS + ["notes"]),
        rows_read=3,
        stats={"extra_columns_ignored": ["notes"]},
    ),
    Case(
        "renamed-required-column",
        A,
        csv_bytes(
            A,
            [{("start_time" if k == "started_at" else k): v for k, v in r.items()} for r in _calls()],
            columns=[("start_time" if c == "started_at" else c) for c in AV_COLS],
        ),
        error=r"line 1: missing required column\(s\) started_at",
    ),
    Case(
        "renamed-optional-column",
        A,
        csv_bytes(
            A,
            [{("caller_no" if k == "caller_number" else k): v for k, v in r.items()} for r in _calls()],
            columns=[("caller_no" if c == "caller_number" else c) for c in AV_COLS],
        ),
        rows_read=3,
        stats={"missing_optional_columns": ["caller_number"], "extra_columns_ignored": ["caller_no"]},
    ),
    Case(
        "header-case-and-spaces",
        A,
        csv_bytes(A, _calls(), columns=AV_COLS).replace(b"call_id", b" Call_ID ", 1),
        rows_read=3,
    ),
    Case(
        "duplicate-header",
        A,
        csv_bytes(A, _calls(), columns=AV_COLS + ["line"]),
        error=r"line 1: header names \['line'\] more than once",
    ),
    # ---- encoding and line endings
    Case("bom", A, csv_bytes(A, _calls(), bom=True), rows_read=3, stats={"encoding": "utf-8"}),
    Case("crlf", A, csv_bytes(A, _calls(), eol="\r\n"), rows_read=3),
    Case("bom-and-crlf", A, csv_bytes(A, _calls(), eol="\r\n", bom=True), rows_read=3),
    Case(
        "non-utf8",
        A,
        csv_bytes(A, _calls(caller_number=f"{SECRET}é"), encoding="cp1252"),
        error=r"line 4 column 6 \(caller_number\): expected UTF-8 text.*re-export the file as UTF-8, "
        r"or set FSU_LANDING_ENCODING",
    ),
    Case(
        "non-utf8-with-fallback",
        A,
        csv_bytes(A, _calls(caller_number="Zoé"), encoding="cp1252"),
        rows_read=3,
        stats={"encoding": "cp1252"},
        options={"encoding": "cp1252"},
    ),
    Case("utf16", A, csv_bytes(A, _calls(), encoding="utf-16"), error=r"line 1 column 1: expected UTF-8 text"),
    # ---- structure
    Case(
        "ragged-short-row",
        A,
        csv_bytes(A, _calls()).replace(b",101\n", b"\n", 1),
        error=r"avaya_calls\.csv line 2: expected 7 fields, found 6",
    ),
    Case(
        "ragged-long-row",
        A,
        csv_bytes(A, _calls()).replace(b",101\n", b",101,extra\n", 1),
        error=r"line 2: expected 7 fields, found 8",
    ),
    Case(
        "unclosed-quote",
        A,
        csv_bytes(A, _calls(caller_number="OPEN")).replace(b"OPEN", b'"' + SECRET.encode()),
        error=r"line 4: expected RFC 4180 CSV",
    ),
    Case(
        "quote-after-closing-quote",
        A,
        csv_bytes(A, _calls()).replace(b",101\n", b',"10"1\n', 1),
        error=r"line 2: expected RFC 4180 CSV \(',' expected after '\"'\)",
    ),
    Case("blank-lines", A, csv_bytes(A, _calls()).replace(b"\n", b"\n\n", 2), rows_read=3),
    Case("quoted-line-break", A, csv_bytes(A, _calls(caller_number="a\nb")), rows_read=3),
    Case("empty-file", A, b"", error=r"avaya_calls\.csv line 1: expected a header row, found an empty file"),
    Case("header-only", A, csv_bytes(A, []), rows_read=0, shrunk=True),
    Case("header-only-no-newline", A, csv_bytes(A, []).rstrip(b"\n"), rows_read=0, shrunk=True),
    Case("missing-file", A, None, rows_read=0, shrunk=True),
    Case("huge-field", A, csv_bytes(A, _calls(caller_number="9" * 300_000)), rows_read=3),
    Case("huge-quoted-field", A, csv_bytes(A, _calls(caller_number="9,\n" * 100_000)), rows_read=3),
    # ---- values
    Case(
        "duplicate-key",
        A,
        csv_bytes(A, _calls() + [_calls()[0]]),
        rows_read=4,
        findings=((4, "call_id", REASON_DUPLICATE_KEY + " (first seen at row 1)", ACTION_ROW),),
    ),
    Case(
        "missing-required-value",
        A,
        csv_bytes(A, _calls(call_id="  ")),
        rows_read=3,
        findings=((3, "call_id", REASON_MISSING, ACTION_ROW),),
    ),
    Case(
        "value-not-allowed",
        A,
        csv_bytes(A, _calls(line=SECRET)),
        rows_read=3,
        findings=((3, "line", REASON_NOT_ALLOWED, ACTION_ROW),),
    ),
    Case(
        "impossible-date",
        A,
        csv_bytes(A, _calls(started_at="2026-02-30T10:00:00")),
        rows_read=3,
        findings=((3, "started_at", TS, ACTION_ROW),),
    ),
    Case(
        "impossible-time",
        A,
        csv_bytes(A, _calls(answered_at="2026-03-10T25:61:00")),
        rows_read=3,
        findings=((3, "answered_at", TS, ACTION_VALUE),),
    ),
    Case(
        "unparseable-timestamp",
        A,
        csv_bytes(A, _calls(started_at=SECRET)),
        rows_read=3,
        findings=((3, "started_at", TS, ACTION_ROW),),
    ),
    Case(
        "dst-gap-required",
        A,
        csv_bytes(A, _calls(started_at="2026-03-29T01:30:00")),
        rows_read=3,
        findings=((3, "started_at", REASON_DST_GAP, ACTION_ROW),),
    ),
    Case(
        "dst-gap-optional",
        A,
        csv_bytes(A, _calls(ended_at="2026-03-29T01:15:00", started_at="2026-03-29T00:30:00", answered_at="")),
        rows_read=3,
        findings=((3, "ended_at", REASON_DST_GAP, ACTION_VALUE),),
    ),
    Case(
        "wrong-month-anchor",
        A,
        csv_bytes(A, _calls(started_at="2026-05-02T10:00:00", answered_at="", ended_at="")),
        rows_read=3,
        stats={"anchor_outside_month": 1},
    ),
    Case(
        "future-timestamp",
        A,
        csv_bytes(A, _calls(ended_at="2099-01-01T00:00:00")),
        rows_read=3,
        findings=((3, "ended_at", "implausible: in the future", ACTION_FLAG),),
    ),
    Case(
        "future-anchor",
        A,
        csv_bytes(A, _calls(started_at="2099-03-02T10:00:00", answered_at="", ended_at="")),
        rows_read=3,
        stats={"anchor_outside_month": 1},
        findings=((3, "started_at", "implausible: in the future", ACTION_FLAG),),
    ),
    Case(
        "negative-duration-value",
        A,
        csv_bytes(A, _calls(duration_seconds="-5")),
        rows_read=3,
        findings=((3, "duration_seconds", REASON_OUT_OF_RANGE, ACTION_VALUE),),
    ),
    Case(
        "unparseable-int",
        A,
        csv_bytes(A, _calls(duration_seconds="12.5")),
        rows_read=3,
        findings=((3, "duration_seconds", UNPARSEABLE["int"], ACTION_VALUE),),
    ),
    Case(
        "ends-before-it-starts",
        A,
        csv_bytes(A, _calls(ended_at="2026-03-04T09:59:00", answered_at="")),
        rows_read=3,
        findings=((3, "ended_at", "implausible: before started_at", ACTION_FLAG),),
    ),
    Case(
        "release-before-arrival",
        K,
        csv_bytes(K, _custody(released_at="2026-03-04T09:00:00")),
        rows_read=3,
        findings=((3, "released_at", "implausible: before arrival_at", ACTION_FLAG),),
    ),
    Case(
        "custody-over-cap",
        K,
        csv_bytes(K, _custody(released_at="2026-03-30T10:00:00")),
        rows_read=3,
        findings=((3, "released_at", "custody over the cap (200 h", ACTION_FLAG),),
    ),
    Case(
        "custody-extreme-and-future",
        K,
        csv_bytes(K, _custody(released_at="2099-01-01T00:00:00")),
        rows_read=3,
        findings=(
            (3, "released_at", "implausible: in the future", ACTION_FLAG),
            (3, "released_at", "custody over the cap (200 h", ACTION_FLAG),
        ),
    ),
    Case(
        "dob-in-the-future",
        "connect_persons",
        csv_bytes("connect_persons", [good_row(EXTRACTS["connect_persons"], dob="2099-01-01")]),
        rows_read=1,
        findings=((1, "dob", "implausible date of birth", ACTION_FLAG),),
    ),
    Case(
        "dob-over-120-years-ago",
        "connect_persons",
        csv_bytes("connect_persons", [good_row(EXTRACTS["connect_persons"], dob="1850-06-01")]),
        rows_read=1,
        findings=((1, "dob", "implausible date of birth", ACTION_FLAG),),
    ),
    Case(
        "unreadable-parquet",
        A,
        b"PAR1 this is not parquet",
        suffix=".parquet",
        error=r"avaya_calls\.parquet: expected a readable Parquet file",
    ),
    Case(
        "parquet-future-and-dup",
        A,
        None,
        suffix=".parquet",
        rows_read=3,
        findings=(
            (3, "call_id", REASON_DUPLICATE_KEY + " (first seen at row 1)", ACTION_ROW),
            (2, "ended_at", "implausible: in the future", ACTION_FLAG),
        ),
    ),
    Case(
        "bad-required-bool",
        "cw_incidents",
        csv_bytes("cw_incidents", [good_row(EXTRACTS["cw_incidents"], "I1", is_preplanned="yes")]),
        rows_read=1,
        findings=((1, "is_preplanned", UNPARSEABLE["bool"], ACTION_ROW),),
    ),
]


def write_corpus(folder: Path) -> list[Path]:
    """Write every case's file to ``folder/<id>/landing/2026-03/<extract>.csv``; returns the files."""
    written = []
    for case in CASES:
        content = case_bytes(case)
        if content is None:
            continue
        path = Path(folder) / case.id / "landing" / f"{MONTH:%Y-%m}" / f"{case.extract}{case.suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def case_bytes(case: Case) -> bytes | None:
    """The file's bytes (typed Parquet cases are built here, from the contract's dtypes)."""
    if case.id != "parquet-future-and-dup":
        return case.content
    import io

    import polars as pl

    from fsu_dagster.ingest import PIPELINE_DTYPES

    extract = EXTRACTS[case.extract]
    t = dt.datetime(2026, 3, 2, 10)
    rows = [
        {"call_id": "C0", "started_at": t, "line": "999"},
        {"call_id": "C1", "started_at": t, "ended_at": dt.datetime(2099, 1, 1), "line": "101"},
        {"call_id": "C0", "started_at": t, "line": "999"},
    ]
    schema = {c.name: PIPELINE_DTYPES[c.type] for c in extract.columns}
    frame = pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
