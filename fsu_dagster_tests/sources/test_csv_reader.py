"""The fast paths of ingest against the reference ones: CSV reader, canonical timestamps.

``ingest._read_csv_strict`` is Python's csv module record by record, the reference for what a
landing CSV means; ``ingest._read_csv_bytes`` takes the fast path whenever its byte scan proves
the file plain. On any input both must give the same frame or the same error message.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fsu_dagster import ingest
from fsu_dagster.ingest import LandingFileError

NAME = "landing/2026-03/avaya_calls.csv"


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except LandingFileError as exc:
        return "error", str(exc)


def _assert_same(raw: bytes) -> None:
    fast = _outcome(ingest._read_csv_bytes, raw, NAME)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        assert fast[0] == "error" and "expected UTF-8 text" in fast[1]
        return
    strict = _outcome(ingest._read_csv_strict, text, NAME)
    assert fast[0] == strict[0], (raw, fast, strict)
    if fast[0] == "ok":
        assert_frame_equal(fast[1], strict[1])
    else:
        assert fast[1] == strict[1], raw


# Pieces that exercise quoting, line ends, blank lines and ragged rows.
_PIECES = ["a", "b7", " x ", ",", ",", '"', '""', '"q,1"', '"two\nlines"', "\n", "\n", "\r\n", "\r", "é", "\n\n"]


def _random_csv(rng: random.Random) -> bytes:
    width = rng.randint(1, 4)
    lines = [",".join(f"c{i}" for i in range(width))]
    for _ in range(rng.randint(0, 6)):
        if rng.random() < 0.7:  # a well-formed row, fields sometimes quoted
            fields = [rng.choice(["v", "", '"v,w"', '"say ""hi"""', '"l1\nl2"', " s "]) for _ in range(width)]
            lines.append(",".join(fields))
        else:
            lines.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6))))
    eol = rng.choice(["\n", "\r\n"])
    text = eol.join(lines) + rng.choice(["", eol])
    return (rng.choice(["", "\ufeff"]) + text).encode()


@pytest.mark.parametrize("seed", range(20))
def test_fast_reader_matches_strict_reader_on_random_files(seed):
    rng = random.Random(seed)
    for _ in range(100):
        _assert_same(_random_csv(rng))


@pytest.mark.parametrize(
    "raw",
    [
        b"a,b\n1,2\n",
        b"a,b\n1,2",
        b"a,b\r\n1,2\r\n",
        b'a,b\n"1\r\n2",3\n',
        b'a,b\n"1\r2",3\n',  # a lone CR inside quotes counts as a line for the csv module
        b'a,b\n"1\r2",3\n4\n',
        b'a,b\n"x""y",3\n',
        b'a,b\n"",""\n',
        b'a,b\nx"y,3\n',  # a quote inside an unquoted field is text
        b'a,b\n"x"y,3\n',  # text after a closing quote is an error
        b'a,b\n"x,3\n',  # unterminated
        b"a,b\n\n1,2\n",  # blank line
        b"a,b\n1,2\n\n",
        b"a,b\n1,2\n3\n",
        b"a,b\n1,2,3\n",
        b"a\n\n",
        b'a\n""\n',
        b"a,a\n1,2\n",
        b"",
        b"\xef\xbb\xbf",
        b"a,b\n1,\x002\n",
        b"a,b\n1,2\r",
        b"a,b\n1,2\r3,4\n",
        b"a,b\n1,\xe92\n",
        b'"a\nb",c\n1,2\n3\n',  # header spanning lines: the ragged row is on line 4
    ],
)
def test_fast_reader_matches_strict_reader_on_edge_cases(raw):
    _assert_same(raw)


def test_field_longer_than_the_csv_modules_default_limit_is_read():
    """No hidden field-size limit (issue 12): a 200,000-character field, over the csv module's
    default 131,072, is read whole by the fast reader and by the strict one."""
    big = "x" * 200_000
    raw = f'a,b\n1,{big}\n2,"{big}\n{big}"\n'.encode()
    _assert_same(raw)
    frame = ingest._read_csv_bytes(raw, "t.csv")
    assert frame.get_column("b").str.len_chars().to_list() == [200_000, 400_001]
    strict = ingest._read_csv_strict(raw.decode(), "t.csv")
    assert strict.get_column("b").str.len_chars().to_list() == [200_000, 400_001]


@pytest.mark.parametrize("seed", range(4))
def test_utf8_check_agrees_with_decoding_the_whole_file(seed):
    """``_is_utf8`` (the non-ASCII runs only) judges every byte string as Python's decoder does:
    valid, truncated, overlong, surrogate and out-of-range sequences, between ASCII or adjacent."""
    from fsu_dagster.ingest.reader import _is_utf8

    rng = random.Random(seed)
    pieces = [b"a", b",", b"\n", b"\xc3\xa9", b"\xc3", b"\xa9", b"\xe2\x82\xac", b"\xe2\x82", b"\xf0\x9f\x98\x80"]
    pieces += [b"\xed\xa0\x80", b"\xc0\xaf", b"\xff", b"\x80", b"\xf4\x90\x80\x80", b"\xef\xbb\xbf"]
    for _ in range(5_000):
        if rng.random() < 0.5:
            raw = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        else:
            raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))
        try:
            raw.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        assert _is_utf8(raw) == valid, raw


def test_plain_file_takes_the_fast_path():
    """The scan accepts a plain file (otherwise every file would silently use the slow reader)."""
    raw = b'a,b\n1,"x,y"\r\n"say ""hi""",\n'
    assert ingest._scan_csv(raw) is not None
    assert ingest._read_csv_fast(raw, NAME).rows() == [("1", "x,y"), ('say "hi"', "")]


def test_canonical_timestamp_shortcut_gives_the_general_parse():
    """A column of canonical ``YYYY-MM-DDTHH:MM:SS`` text skips the regex groups; the values and
    reasons (impossible dates and times, DST gap and repeated hour) must be those of the full parse."""
    import datetime as dt

    from fsu_dagster.contract import EXTRACTS

    extract, month = EXTRACTS["avaya_calls"], dt.date(2026, 3, 1)
    stamps = [
        "2026-03-10T12:00:00", "2026-03-29T00:59:59", "2026-03-29T01:30:00", "2026-03-29T02:00:00",
        "2025-10-26T01:30:00", "2026-02-30T12:00:00", "2026-03-10T24:00:00", "2026-03-10T12:60:00",
        "2026-03-10T23:59:60", "2026-13-01T00:00:00", "0000-01-01T00:00:00", "",
    ]  # fmt: skip
    rows = {c.name: ["1"] * len(stamps) for c in extract.columns}
    rows |= {"call_id": [f"K{i}" for i in range(len(stamps))], "line": ["999"] * len(stamps)}
    rows |= {"started_at": stamps, "answered_at": stamps, "ended_at": stamps}
    plain = pl.DataFrame(rows)
    assert ingest._plain_timestamp_columns(plain, extract) == {"started_at", "answered_at", "ended_at"}
    # One value written with a space instead of 'T' sends every column through the general parse.
    spaced = {c: pl.lit("2026-03-10 12:00:00") for c in ("started_at", "answered_at", "ended_at")}
    general = pl.concat([plain, plain.head(1).with_columns(call_id=pl.lit("KX"), **spaced)])
    assert ingest._plain_timestamp_columns(general, extract) == set()
    a, b = ingest.parse_extract(plain, extract, month), ingest.parse_extract(general, extract, month)
    assert_frame_equal(a.valid, b.valid.filter(pl.col("call_id") != "KX"))
    assert_frame_equal(a.quarantine, b.quarantine.filter(pl.col("row_number") <= len(stamps)))
    assert a.quarantine.height > 0 and a.valid.height > 0


def test_parse_gives_the_same_whether_empty_fields_are_read_as_null_or_empty_text(tmp_path):
    """``parse_extract`` lets the fast reader leave empty fields null (no fill); the strict reader
    gives ``""``. Empty, quoted-empty and blank fields, required and optional, must parse alike."""
    import datetime as dt

    from fsu_dagster.contract import EXTRACTS
    from fsu_dagster_tests.sources.cases import good_row

    extract, month = EXTRACTS["cw_incidents"], dt.date(2026, 3, 1)
    header = ",".join(extract.column_names)
    lines = [header]
    for i in range(8):
        good = good_row(extract, f"CW{i}")
        values = []
        for k, col in enumerate(extract.columns):
            # Most rows keep their required values (valid rows); every third blanks one (quarantined).
            blank = ["", '""', "  ", '" "'][(i + k) % 4]
            keep = col.required and (i % 3 or k % 5)
            values.append(good[col.name] if keep or (i + k) % 2 else blank)
        lines.append(",".join(f'"{v}"' if "," in v else v for v in values))
    raw = ("\n".join(lines) + "\n").encode()
    assert ingest._read_csv_fast(raw, NAME, empty_as_null=True).null_count().sum_horizontal().item() > 0
    path = tmp_path / "landing" / "2026-03" / "cw_incidents.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(raw)
    fast = ingest.parse_extract(path, extract, month)
    strict_frame = ingest._read_csv_strict(raw.decode(), NAME)
    assert strict_frame.null_count().sum_horizontal().item() == 0
    strict = ingest.parse_extract(strict_frame, extract, month, source_name=fast.source_file)
    assert_frame_equal(fast.valid, strict.valid)
    assert_frame_equal(fast.quarantine, strict.quarantine)
    assert fast.quarantine.height > 0 and fast.valid.height > 0
    assert {k: v for k, v in fast.stats.items() if k != "encoding"} == {
        k: v for k, v in strict.stats.items() if k != "encoding"
    }


def test_parse_plan_is_built_once_per_dtypes_and_gives_the_fresh_plans_answers():
    """The parse expressions are cached per (extract, dtypes as read, plain timestamp columns): a
    second month read as text reuses the first one's plan, a typed frame gets a plan of its own, and
    a warm cache parses exactly as a cold one (values, quarantine, statistics)."""
    import datetime as dt

    from fsu_dagster.contract import EXTRACTS
    from fsu_dagster.ingest.columns import _parse_plan

    extract = EXTRACTS["connect_persons"]
    text = pl.DataFrame({c.name: ["1", "", "x"] for c in extract.columns})
    typed = text.with_columns(pl.Series(extract.columns[0].name, [1, None, 3]))
    _parse_plan.cache_clear()
    cold = [ingest.parse_extract(f, extract, dt.date(2026, 3, 1)) for f in (text, typed)]
    assert _parse_plan.cache_info().misses == 2
    warm = [ingest.parse_extract(f, extract, dt.date(2026, m, 1)) for m in (3, 4) for f in (text, typed)]
    assert _parse_plan.cache_info().misses == 2 and _parse_plan.cache_info().hits == 4
    plan = _parse_plan(extract, tuple(text.schema[c.name] for c in extract.columns), frozenset())
    assert isinstance(plan.stages, tuple) and all(isinstance(s, tuple) for s in plan.stages)
    for a, b in zip(cold, warm[:2], strict=True):
        assert_frame_equal(a.valid, b.valid)
        assert_frame_equal(a.quarantine, b.quarantine)
        assert a.stats == b.stats
    assert cold[0].valid.height and cold[0].quarantine.height  # rows of both kinds were parsed
