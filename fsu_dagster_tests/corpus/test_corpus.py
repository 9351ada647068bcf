"""Every malformed extract of the corpus gives a clear message or a quarantine reason (issue 12).

For each case (``cases.py``): a file that cannot be read raises an error naming the file and the
line (and, for encoding, the column and the fix); any other file gives exactly the expected
quarantine findings and statistics, and rows read = rows accepted + rows quarantined. A month that
is empty (header-only, missing file) is refused by the volume guard against a normal history.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.ingest import ACTION_ROW, LandingFileError, Plausibility, parse_extract
from fsu_dagster.quality import quality_rows, summary_lines, volume_verdicts
from fsu_dagster.settings import load_settings
from fsu_dagster_tests.corpus.cases import CASES, MONTH, SECRET, Case, case_bytes, write_corpus


def _rules() -> Plausibility:
    """The rules the source assets apply with the default settings."""
    from fsu_dagster.defs.sources.assets import plausibility_rules

    return plausibility_rules(load_settings())


def _parse(case: Case, tmp_path):
    content = case_bytes(case)
    if content is None:
        return parse_extract(None, EXTRACTS[case.extract], MONTH, plausibility=_rules())
    path = tmp_path / "landing" / f"{MONTH:%Y-%m}" / f"{case.extract}{case.suffix}"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return parse_extract(path, EXTRACTS[case.extract], MONTH, plausibility=_rules(), **case.options)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, tmp_path):
    if case.error is not None:
        with pytest.raises(LandingFileError) as info:
            _parse(case, tmp_path)
        message = str(info.value)
        assert message.startswith(f"landing/2026-03/{case.extract}{case.suffix}"), message
        assert re.search(case.error, message), message
        assert SECRET not in message
        return

    result = _parse(case, tmp_path)
    s = result.stats
    # The invariant: every row read is either accepted or quarantined, never lost.
    assert s["rows_read"] == s["rows_valid"] + s["rows_quarantined"]
    assert s["rows_valid"] == result.valid.height
    quarantined_rows = result.quarantine.filter(pl.col("action") == ACTION_ROW).get_column("row_number").n_unique()
    assert s["rows_quarantined"] == quarantined_rows
    if case.rows_read is not None:
        assert s["rows_read"] == case.rows_read

    found = [(r["row_number"], r["column"], r["reason"], r["action"]) for r in result.quarantine.iter_rows(named=True)]
    assert len(found) == len(case.findings), found
    for (row, column, reason, action), expected in zip(sorted(found), sorted(case.findings), strict=True):
        assert (row, column, action) == (expected[0], expected[1], expected[3]), found
        assert reason.startswith(expected[2]), found
    for key, value in case.stats.items():
        assert s[key] == value, key
    assert not any(SECRET in str(v) for row in result.quarantine.rows() for v in row)

    # The run's summary reports what the case is about (aggregates only).
    lines = summary_lines(quality_rows([result], dt.datetime(2026, 4, 1)))
    text = "\n".join(lines)
    assert SECRET not in text
    if case.findings or case.stats.get("anchor_outside_month") or case.stats.get("extra_columns_ignored"):
        assert len(lines) > 1, text  # a line for the extract, not only the totals

    normal = 3 if case.shrunk else s["rows_read"]  # earlier months held as many rows as this one
    history = {dt.date(2025, 12, 1): normal, dt.date(2026, 1, 1): normal, dt.date(2026, 2, 1): normal}
    (verdict,) = volume_verdicts({MONTH: s["rows_read"]}, history, band=0.5).values()
    assert verdict.passed is not case.shrunk


def test_every_required_kind_is_in_the_corpus():
    """The kinds issue 12 names all have at least one case (the hidden corpus tries the same kinds)."""
    ids = {c.id for c in CASES}
    for kind in (
        "missing-required-column",
        "extra-column",
        "renamed-required-column",
        "bom",
        "crlf",
        "non-utf8",
        "ragged-short-row",
        "unclosed-quote",
        "duplicate-key",
        "impossible-date",
        "dst-gap-required",
        "empty-file",
        "header-only",
        "wrong-month-anchor",
        "huge-field",
        "future-timestamp",
        "negative-duration-value",
        "custody-over-cap",
        "release-before-arrival",
    ):
        assert kind in ids, kind


def test_write_corpus(tmp_path):
    files = write_corpus(tmp_path)
    assert len(files) == sum(case_bytes(c) is not None for c in CASES)
    assert (tmp_path / "bom" / "landing" / "2026-03" / "avaya_calls.csv").read_bytes().startswith(b"\xef\xbb\xbf")
