"""Parsing landing files (fsu_dagster.ingest): types, quarantine, DST, unreadable files.

Every rule here is in data-contract.md section 1 or docs/ingest.md; the column cases are
generated from contract.py so that a new column gets tested without retyping it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from fsu_dagster.contract import EXTRACTS, Column
from fsu_dagster.ingest import (
    PIPELINE_DTYPES,
    QUARANTINE_SCHEMA,
    REASON_DST_GAP,
    REASON_MISSING,
    REASON_NOT_ALLOWED,
    REASON_OUT_OF_RANGE,
    UNPARSEABLE,
    LandingFileError,
    find_landing_file,
    output_schema,
    parse_extract,
    parse_months,
)
from fsu_dagster_tests.sources.cases import MARCH, good_row, good_value, write_csv, write_extract

D = dt.datetime
OK, BAD = "ok", "bad"


# --------------------------------------------------------------------------- per column, every extract


def _cases_for(col: Column) -> list[tuple[str, str, object]]:
    """(landing text, OK|BAD, expected value or reason) for one contract column."""
    null_case = ("", BAD, REASON_MISSING) if col.required else ("", OK, None)
    blank_case = ("   ", BAD, REASON_MISSING) if col.required else ("   ", OK, None)
    cases = [null_case, blank_case]
    if col.type == "str" and col.allowed is not None:
        cases += [(f"  {v.lower()} ", OK, v) for v in sorted(col.allowed)]
        cases += [("NOT IN THE LIST", BAD, REASON_NOT_ALLOWED)]
    elif col.type == "str":
        cases += [("  Ab c ", OK, "Ab c"), ("007", OK, "007")]
    elif col.type == "int":
        lo = col.min_value if col.min_value is not None else 0
        cases += [(f" {lo} ", OK, lo), (f"+{lo + 1}", OK, lo + 1), (f"00{lo + 1}", OK, lo + 1)]
        cases += [(v, BAD, UNPARSEABLE["int"]) for v in ("12.5", "abc", "1e3", "1 000", "99999999999999999999")]
        if col.min_value is not None:
            cases.append((str(col.min_value - 1), BAD, REASON_OUT_OF_RANGE))
        if col.max_value is not None:
            cases.append((str(col.max_value), OK, col.max_value))
            cases.append((str(col.max_value + 1), BAD, REASON_OUT_OF_RANGE))
    elif col.type == "bool":
        cases += [("TRUE", OK, True), (" false ", OK, False), ("True", OK, True)]
        cases += [(v, BAD, UNPARSEABLE["bool"]) for v in ("yes", "1", "t")]
    elif col.type == "date":
        cases += [("2024-02-29", OK, dt.date(2024, 2, 29)), (" 1999-12-31 ", OK, dt.date(1999, 12, 31))]
        cases += [
            (v, BAD, UNPARSEABLE["date"])
            for v in ("2026-02-30", "2025-02-29", "29/02/2024", "2026-2-1", "2026-03-14T00:00:00")
        ]
    elif col.type == "timestamp":
        cases += [
            ("2026-03-14T21:07:00", OK, D(2026, 3, 14, 21, 7)),  # GMT = UTC
            ("2026-07-14 21:07", OK, D(2026, 7, 14, 20, 7)),  # BST, space, no seconds
            ("2026-07-14T21:07:05.25", OK, D(2026, 7, 14, 20, 7, 5, 250000)),
            ("2026-07-14T21:07:00Z", OK, D(2026, 7, 14, 21, 7)),
            ("2026-07-14T21:07:00+01:00", OK, D(2026, 7, 14, 20, 7)),
            ("2026-03-14T21:07:00-0500", OK, D(2026, 3, 15, 2, 7)),
            ("2026-03-29T01:30:00", BAD, REASON_DST_GAP),
            ("2026-03-29T01:30:00Z", OK, D(2026, 3, 29, 1, 30)),  # with an offset there is no gap
        ]
        cases += [
            (v, BAD, UNPARSEABLE["timestamp"])
            for v in (
                "2026-03-14",
                "14/03/2026 21:07",
                "2026-03-14T25:00:00",
                "2026-02-30T10:00:00",
                "2026-03-14T21:07:00+25:00",
                "soon",
            )
        ]
    return cases


def _column_params():
    for extract in EXTRACTS.values():
        for col in extract.columns:
            for raw, outcome, expected in _cases_for(col):
                yield pytest.param(
                    extract.name, col.name, raw, outcome, expected, id=f"{extract.name}.{col.name}={raw!r}"
                )


@pytest.mark.parametrize(("extract_name", "column", "raw", "outcome", "expected"), list(_column_params()))
def test_every_column_parses_good_values_and_quarantines_bad_ones(
    tmp_path, extract_name, column, raw, outcome, expected
):
    """Each contract column accepts its type's good values (typed as the pipeline expects) and
    records bad ones in quarantine with the right reason, so no bad value reaches a total.

    Contract section 1: a bad value in a required column is a data error and the row is
    quarantined; a bad value in an optional column is loaded as null, and the quarantine
    table says so (nothing is dropped silently)."""
    extract = EXTRACTS[extract_name]
    path = write_extract(tmp_path / "landing", extract_name, MARCH, [good_row(extract, **{column: raw})])
    result = parse_extract(path, extract, MARCH)
    if outcome == OK:
        assert result.quarantine.height == 0, result.quarantine.to_dicts()
        assert result.valid.height == 1
        assert result.valid.item(0, column) == expected
        assert result.valid.schema[column] == PIPELINE_DTYPES[extract.column(column).type]
    elif extract.column(column).required:
        assert result.valid.height == 0
        assert result.quarantine.select("row_number", "column", "reason", "action").to_dicts() == [
            {"row_number": 1, "column": column, "reason": expected, "action": "row quarantined"}
        ]
        assert result.stats["rows_quarantined"] == 1
    else:
        assert result.valid.height == 1
        assert result.valid.item(0, column) is None
        assert result.quarantine.select("row_number", "column", "reason", "action").to_dicts() == [
            {"row_number": 1, "column": column, "reason": expected, "action": "value set to null"}
        ]
        assert result.stats["rows_quarantined"] == 0 and result.stats["values_nulled"] == 1


@pytest.mark.parametrize("extract_name", sorted(EXTRACTS))
def test_valid_frame_has_month_first_then_contract_columns(tmp_path, extract_name):
    """Downstream layers and the IO manager rely on `month` first and the contract's order and dtypes."""
    extract = EXTRACTS[extract_name]
    path = write_extract(tmp_path / "landing", extract_name, MARCH, [good_row(extract)])
    result = parse_extract(path, extract, MARCH)
    assert result.valid.schema == pl.Schema(output_schema(extract))
    assert result.valid.columns == ["month", *extract.column_names]
    assert result.valid.get_column("month").to_list() == [MARCH]


# --------------------------------------------------------------------------- DST and instants


AVAYA = EXTRACTS["avaya_calls"]


def _avaya(tmp_path: Path, rows: list[dict[str, str]], month: dt.date = MARCH):
    path = write_extract(tmp_path / "landing", "avaya_calls", month, rows)
    return parse_extract(path, AVAYA, month)


def test_autumn_repeated_hour_takes_the_earlier_instant(tmp_path):
    """01:30 on 2025-10-26 happens twice in London; the contract picks the first (BST, 00:30 UTC).
    An explicit offset can still name the second one."""
    result = _avaya(
        tmp_path,
        [
            good_row(AVAYA, "A", started_at="2025-10-26T01:30:00"),
            good_row(AVAYA, "B", started_at="2025-10-26T01:30:00+00:00"),
        ],
        month=dt.date(2025, 10, 1),
    )
    assert result.valid.get_column("started_at").to_list() == [D(2025, 10, 26, 0, 30), D(2025, 10, 26, 1, 30)]


def test_spring_gap_local_time_is_quarantined(tmp_path):
    """01:30 on 2026-03-29 never happened in London: a data error, not a guess."""
    result = _avaya(tmp_path, [good_row(AVAYA, "A", started_at="2026-03-29T01:30:00")])
    assert result.valid.height == 0
    assert result.quarantine.get_column("reason").to_list() == [REASON_DST_GAP]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-29T00:30:00", "2026-03-29T03:30:00", 2.0),  # clocks go forward: 3 wall-clock hours, 2 real
        ("2025-10-26T00:30:00", "2025-10-26T02:30:00", 3.0),  # clocks go back: 2 wall-clock hours, 3 real
        ("2026-03-14T21:00:00", "2026-03-14T22:30:00+00:00", 1.5),
    ],
)
def test_durations_across_dst_changes_use_real_instants(tmp_path, start, end, hours):
    """Resource and custody hours are differences of instants; wall-clock arithmetic would be an hour out."""
    result = _avaya(
        tmp_path,
        [good_row(AVAYA, "A", started_at=start, ended_at=end)],
        month=dt.date(int(start[:4]), int(start[5:7]), 1),
    )
    got = result.valid.select((pl.col("ended_at") - pl.col("started_at")).dt.total_seconds() / 3600).item()
    assert got == hours


def test_anchor_outside_month_is_kept_and_counted(tmp_path):
    """The folder defines the month; a record anchored elsewhere (by London local time) is kept and reported."""
    rows = [
        good_row(AVAYA, "A", started_at="2026-02-28T23:30:00"),  # February
        good_row(AVAYA, "B", started_at="2026-03-31T23:30:00"),  # March local (22:30 UTC)
        good_row(AVAYA, "C", started_at="2026-03-31T23:30:00Z"),  # 00:30 BST on 1 April
        good_row(AVAYA, "D", started_at="2026-03-01T00:00:00"),
    ]
    result = _avaya(tmp_path, rows)
    assert result.valid.height == 4
    assert result.stats["anchor_outside_month"] == 2


# --------------------------------------------------------------------------- rows, keys and reasons


def test_duplicate_primary_key_keeps_first_and_quarantines_later(tmp_path):
    """A key seen twice is ambiguous: the first occurrence stays, later ones say where the first was."""
    rows = [good_row(AVAYA, "K1"), good_row(AVAYA, "K2"), good_row(AVAYA, " K1 "), good_row(AVAYA, "K1")]
    result = _avaya(tmp_path, rows)
    assert result.valid.get_column("call_id").to_list() == ["K1", "K2"]
    assert result.quarantine.select("row_number", "column", "reason").rows() == [
        (3, "call_id", "duplicate primary key (first seen at row 1)"),
        (4, "call_id", "duplicate primary key (first seen at row 1)"),
    ]
    assert result.stats["reasons"] == {"duplicate primary key": 2}


def test_keyless_extract_keeps_repeated_rows(tmp_path):
    """cw_resources has no key: a resource assigned twice to a log counts twice (contract 1.3)."""
    extract = EXTRACTS["cw_resources"]
    path = write_extract(tmp_path / "landing", "cw_resources", MARCH, [good_row(extract)] * 3)
    assert parse_extract(path, extract, MARCH).valid.height == 3


def test_one_quarantine_row_per_problem_and_row_numbers_count_records(tmp_path):
    """Analysts fix the file from row numbers: 1-based data records, header excluded, a quoted
    line break does not shift later rows; every problem in a row is listed."""
    header = list(AVAYA.column_names)
    rows = [
        good_row(AVAYA, "A", caller_number="line one\nline two"),
        good_row(AVAYA, "B", started_at="never", duration_seconds="-3", line="fax"),
        good_row(AVAYA, "C"),
    ]
    path = write_csv(tmp_path / "landing" / "2026-03" / "avaya_calls.csv", header, rows)
    result = parse_extract(path, AVAYA, MARCH)
    assert result.valid.get_column("call_id").to_list() == ["A", "C"]
    assert result.valid.item(0, "caller_number") == "line one\nline two"
    assert result.quarantine.select("row_number", "column", "reason", "action").rows() == [
        (2, "started_at", UNPARSEABLE["timestamp"], "row quarantined"),
        (2, "duration_seconds", REASON_OUT_OF_RANGE, "value set to null"),
        (2, "line", REASON_NOT_ALLOWED, "row quarantined"),
    ]
    assert result.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert set(result.quarantine.get_column("source_file")) == {"landing/2026-03/avaya_calls.csv"}
    assert result.stats | {"reasons": None, "problems_by_column": None} == {
        "rows_read": 3,
        "rows_valid": 2,
        "rows_quarantined": 1,
        "values_nulled": 1,
        "problems": 3,
        "reasons": None,
        "problems_by_column": None,
        "missing_optional_columns": [],
        "extra_columns_ignored": [],
        "anchor_outside_month": 0,
        "values_flagged": 0,
        "encoding": "utf-8",
    }


def test_reasons_and_errors_never_contain_the_value(tmp_path):
    """Quarantine reasons and error messages reach Dagster's UI: they must not carry personal data."""
    secret = "SMITH-07/123456X"
    extract = EXTRACTS["compact_missing"]
    rows = [good_row(extract, "R1", dob=secret, reported_at=secret, risk_level=secret)]
    result = parse_extract(write_extract(tmp_path / "landing", "compact_missing", MARCH, rows), extract, MARCH)
    assert result.quarantine.height == 3
    assert not any(secret in str(v) for row in result.quarantine.rows() for v in row)
    assert secret not in repr(result.stats)
    bad = write_csv(tmp_path / "x" / "compact_missing.csv", list(extract.column_names), [[secret]])
    with pytest.raises(LandingFileError) as err:
        parse_extract(bad, extract, MARCH)
    assert secret not in str(err.value)


def test_leading_zeros_and_header_spelling(tmp_path):
    """IDs are text (0012 stays 0012); header names are matched trimmed and case-insensitively."""
    header = [f" {c.upper()} " for c in AVAYA.column_names]
    row = [good_value(c) for c in AVAYA.columns]
    row[0] = "0012"
    path = write_csv(tmp_path / "avaya_calls.csv", header, [row])
    assert parse_extract(path, AVAYA, MARCH).valid.item(0, "call_id") == "0012"


# --------------------------------------------------------------------------- columns and files


def test_missing_file_is_an_empty_extract(tmp_path):
    """A force may not send every optional extract every month: that is an empty month, not a failure."""
    assert find_landing_file(tmp_path / "landing", "compact_missing", MARCH) is None
    result = parse_extract(None, EXTRACTS["compact_missing"], MARCH)
    assert result.valid.height == 0
    assert result.valid.schema == pl.Schema(output_schema(EXTRACTS["compact_missing"]))
    assert result.quarantine.height == 0 and result.source_file is None
    assert result.stats["rows_read"] == 0


def test_find_landing_file_prefers_nothing_when_both_formats_exist(tmp_path):
    """Two files for one extract-month would be loaded twice or arbitrarily: refuse, naming both."""
    folder = tmp_path / "landing" / "2026-03"
    folder.mkdir(parents=True)
    (folder / "avaya_calls.csv").write_text("call_id\n")
    assert find_landing_file(tmp_path / "landing", "avaya_calls", MARCH) == folder / "avaya_calls.csv"
    (folder / "avaya_calls.parquet").write_bytes(b"")
    with pytest.raises(
        LandingFileError, match=r"landing/2026-03/avaya_calls\.csv and landing/2026-03/avaya_calls\.parquet"
    ):
        find_landing_file(tmp_path / "landing", "avaya_calls", MARCH)


def test_missing_required_column_names_file_and_column(tmp_path):
    """Without a required column no row can be loaded: stop, and say which column."""
    header = [c for c in AVAYA.column_names if c != "line"]
    path = write_csv(tmp_path / "landing" / "2026-03" / "avaya_calls.csv", header, [])
    with pytest.raises(LandingFileError, match=r"landing/2026-03/avaya_calls\.csv .*missing required column\(s\) line"):
        parse_extract(path, AVAYA, MARCH)


def test_missing_optional_columns_are_null_and_extra_columns_dropped(tmp_path):
    """Older exports lack newer optional columns and may carry columns we do not use: load, and report both."""
    header = ["call_id", "started_at", "line", "agent_name", "queue"]
    path = write_csv(tmp_path / "avaya_calls.csv", header, [["A", "2026-03-02T10:00:00", "999", "x", "y"]])
    result = parse_extract(path, AVAYA, MARCH)
    assert result.valid.columns == ["month", *AVAYA.column_names]
    assert result.valid.select("answered_at", "ended_at", "duration_seconds", "caller_number").row(0) == (None,) * 4
    assert result.stats["missing_optional_columns"] == ["answered_at", "ended_at", "duration_seconds", "caller_number"]
    assert result.stats["extra_columns_ignored"] == ["agent_name", "queue"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"call_id,started_at,answered_at,ended_at,duration_seconds,caller_number,line\n"
            b'A,2026-03-02T10:00:00,,,,"two\nlines",999\n'
            b"B,2026-03-02T10:00:00,,,,999\n",
            r"landing/2026-03/avaya_calls\.csv line 4: expected 7 fields, found 6",
        ),
        (
            b"call_id,started_at,answered_at,ended_at,duration_seconds,caller_number,line\n"
            b"A,2026-03-02T10:00:00,,,,,999,extra\n",
            r"landing/2026-03/avaya_calls\.csv line 2: expected 7 fields, found 8",
        ),
        (
            b"call_id,started_at,answered_at,ended_at,duration_seconds,caller_number,line\n"
            b"A,2026-03-02T10:00:00,,,,,999\n"
            b'B,2026-03-02T10:00:00,,,,"unterminated,999\n',
            r"landing/2026-03/avaya_calls\.csv line 3: expected RFC 4180 CSV",
        ),
        (
            b"call_id,started_at,answered_at,ended_at,duration_seconds,caller_number,line\n"
            b"A,2026-03-02T10:00:00,,,,,999\n"
            b"B,2026-03-02T10:00:00,,,,\xe9t\xe9,999\n",
            r"landing/2026-03/avaya_calls\.csv line 3 column 6 \(caller_number\): expected UTF-8 text, .*"
            r"re-export the file as UTF-8, or set FSU_LANDING_ENCODING",
        ),
        (b"", r"landing/2026-03/avaya_calls\.csv line 1: expected a header row"),
    ],
    ids=["short-row-after-quoted-newline", "long-row", "unterminated-quote", "bad-utf8", "empty-file"],
)
def test_unreadable_file_error_names_file_and_line(tmp_path, content, message):
    """A broken export must fail loudly with where to look, not load a shifted or partial month."""
    path = tmp_path / "landing" / "2026-03" / "avaya_calls.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(LandingFileError, match=message):
        parse_extract(path, AVAYA, MARCH)


def test_utf8_bom_and_crlf_are_accepted(tmp_path):
    """Excel-made exports start with a BOM and end lines with CRLF; both are still RFC 4180 UTF-8."""
    path = tmp_path / "avaya_calls.csv"
    path.write_bytes(
        "\ufeffcall_id,started_at,answered_at,ended_at,duration_seconds,caller_number,line\r\n"
        "A,2026-03-02T10:00:00,,,,Zoë,999\r\n".encode()
    )
    result = parse_extract(path, AVAYA, MARCH)
    assert result.valid.select("call_id", "caller_number").row(0) == ("A", "Zoë")


# --------------------------------------------------------------------------- typed input (Parquet)


def test_parquet_with_typed_columns(tmp_path):
    """Parquet exports carry real types: naive datetimes are London wall-clock, tz-aware ones are instants."""
    extract = EXTRACTS["connect_custody"]
    frame = pl.DataFrame(
        {
            "custody_id": ["C1", "C2", "C3"],
            "person_id": ["P1", "P2", "P3"],
            "arrival_at": [D(2026, 7, 1, 12), D(2026, 3, 29, 1, 30), D(2026, 1, 5, 9)],
            "released_at": pl.Series([D(2026, 7, 1, 15), None, None]).dt.replace_time_zone("Europe/London"),
            "custody_outcome": [" charged ", None, "NFA"],
        }
    )
    path = tmp_path / "connect_custody.parquet"
    frame.write_parquet(path)
    result = parse_extract(path, extract, MARCH)
    assert result.valid.select("custody_id", "arrival_at", "released_at").rows() == [
        ("C1", D(2026, 7, 1, 11), D(2026, 7, 1, 14)),
        ("C3", D(2026, 1, 5, 9), None),
    ]
    assert result.valid.get_column("custody_outcome").to_list() == ["charged", "NFA"]  # free text, kept as given
    assert result.quarantine.select("row_number", "column", "reason").rows() == [(2, "arrival_at", REASON_DST_GAP)]
    assert result.stats["missing_optional_columns"] == [
        "investigation_id",
        "arrested_at",
        "arrest_reason",
        "file_type",
        "custody_suite",
    ]


def test_typed_frame_ints_bools_dates_and_string_columns(tmp_path):
    """Typed ints, bools and dates pass through; float ints must be whole; string columns follow the CSV rules."""
    extract = EXTRACTS["connect_investigations"]
    frame = pl.DataFrame(
        {
            "investigation_id": ["I1", "I2", "I3"],
            "recorded_at": ["2026-03-02T10:00:00", "2026-03-02T10:00:00", "2026-03-02T10:00:00"],
            "offence_code": ["8N", "8N", "8N"],
            "offence_description": ["x", "x", "x"],
            "main_group": ["V", "V", "V"],
            "is_crime": [True, False, None],
            "outcome_code": [1.0, 2.5, 22.0],
        }
    )
    result = parse_extract(frame, extract, MARCH, source_name="test-frame")
    # outcome_code is optional: 2.5 is loaded as null (and recorded); is_crime is required.
    assert result.valid.select("investigation_id", "is_crime", "outcome_code").rows() == [
        ("I1", True, 1),
        ("I2", False, None),
    ]
    assert result.quarantine.select("row_number", "column", "reason", "action", "source_file").rows() == [
        (2, "outcome_code", UNPARSEABLE["int"], "value set to null", "test-frame"),
        (3, "is_crime", REASON_MISSING, "row quarantined", "test-frame"),
    ]


@pytest.mark.parametrize(
    "header",
    [["call_id", "started_at", "line", "CALL_ID"], ["call_id", "started_at", "line", "line"]],
    ids=["case-variant", "exact"],
)
def test_repeated_header_name_is_an_error(tmp_path, header):
    """Two columns for one contract column: which one is meant is unknowable, so stop."""
    path = write_csv(tmp_path / "landing" / "2026-03" / "avaya_calls.csv", header, [])
    with pytest.raises(
        LandingFileError, match=r"avaya_calls\.csv line 1: header names \['(call_id|line)'\] more than once"
    ):
        parse_extract(path, AVAYA, MARCH)


# --------------------------------------------------------------------------- several months at once


def _months_of_avaya(landing: Path) -> list[tuple[Path | None, dt.date]]:
    """Five months of avaya_calls: good rows, bad rows, a duplicate key, a missing file."""
    files: list[tuple[Path | None, dt.date]] = []
    for i in range(5):
        month = dt.date(2026, 1 + i, 1)
        if i == 3:
            files.append((None, month))
            continue
        rows = [good_row(AVAYA, f"M{i}K{k}", started_at=f"2026-{1 + i:02d}-1{k}T10:00:00") for k in range(4)]
        rows += [good_row(AVAYA, f"M{i}K0"), good_row(AVAYA, f"M{i}X", started_at="never", line="fax")]
        files.append((write_extract(landing, "avaya_calls", month, rows), month))
    return files


@pytest.mark.parametrize("threads", [None, 1, 2, 3])
def test_parse_months_gives_each_months_parse_in_order(tmp_path, threads):
    """Months parsed side by side give exactly what parsing them one after another gives."""
    files = _months_of_avaya(tmp_path / "landing")
    one_by_one = [parse_extract(path, AVAYA, month) for path, month in files]
    together = parse_months(files, AVAYA, threads=threads)
    assert [p.month for p in together] == [month for _, month in files]
    for a, b in zip(together, one_by_one, strict=True):
        assert (a.extract, a.month, a.source_file, a.stats) == (b.extract, b.month, b.source_file, b.stats)
        assert a.valid.equals(b.valid) and a.quarantine.equals(b.quarantine)
    assert together[3].source_file is None and together[3].valid.height == 0
    assert together[0].quarantine.height > 0


def test_parse_months_raises_the_first_broken_months_error(tmp_path):
    """Two broken months: the error is the earlier month's, as when parsing one after another."""
    files = _months_of_avaya(tmp_path / "landing")
    for path, _ in (files[1], files[4]):
        assert path is not None
        path.write_text(path.read_text() + "A,B\n", encoding="utf-8")
    with pytest.raises(LandingFileError, match=r"landing/2026-02/avaya_calls\.csv line 8: expected 7 fields, found 2"):
        parse_months(files, AVAYA, threads=3)
