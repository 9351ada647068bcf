"""Landing readiness and the month arithmetic the schedule, the sensor and backfills share."""

from __future__ import annotations

import datetime as dt
import os

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.landing import (
    inspect_folder,
    landing_months,
    previous_complete_month,
    window_of,
    windows_including,
)

OCT = dt.date(2026, 10, 1)


def write_month(landing, month: dt.date, extracts=tuple(EXTRACTS), marker: bool = False):
    folder = landing / f"{month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in extracts:
        (folder / f"{name}.csv").write_text("header\n")
    if marker:
        (folder / "_READY").write_text("")
    return folder


def test_missing_extracts_are_named_and_block_readiness(tmp_path):
    write_month(tmp_path, OCT, extracts=[e for e in EXTRACTS if e != "cw_resources"])
    folder = inspect_folder(tmp_path, OCT, list(EXTRACTS))
    assert folder.missing == ("cw_resources",)
    ok, reason = folder.ready(previous_fingerprint=folder.fingerprint)
    assert not ok and "cw_resources" in reason


def test_no_folder_is_not_ready(tmp_path):
    ok, reason = inspect_folder(tmp_path, OCT, list(EXTRACTS)).ready()
    assert not ok and "does not exist" in reason


def test_complete_folder_is_ready_once_unchanged_between_looks(tmp_path):
    folder_path = write_month(tmp_path, OCT)
    first = inspect_folder(tmp_path, OCT, list(EXTRACTS))
    assert not first.ready(previous_fingerprint=None)[0]
    assert first.ready(previous_fingerprint=first.fingerprint)[0]
    with open(folder_path / "cw_incidents.csv", "a") as fh:  # still growing
        fh.write("more\n")
    grown = inspect_folder(tmp_path, OCT, list(EXTRACTS))
    assert grown.fingerprint != first.fingerprint
    ok, reason = grown.ready(previous_fingerprint=first.fingerprint)
    assert not ok and "stop growing" in reason


def test_marker_means_ready_at_once_even_with_extracts_missing(tmp_path):
    write_month(tmp_path, OCT, extracts=["avaya_calls"], marker=True)
    assert inspect_folder(tmp_path, OCT, list(EXTRACTS)).ready()[0]


def test_settle_time_for_the_schedule(tmp_path):
    folder_path = write_month(tmp_path, OCT)
    now = dt.datetime.now(dt.UTC)
    assert not inspect_folder(tmp_path, OCT, list(EXTRACTS)).ready(now=now, settle_seconds=600)[0]
    old = (now - dt.timedelta(hours=1)).timestamp()
    for path in folder_path.iterdir():
        os.utime(path, (old, old))
    assert inspect_folder(tmp_path, OCT, list(EXTRACTS)).ready(now=now, settle_seconds=600)[0]


def test_month_arithmetic():
    assert previous_complete_month(dt.datetime(2026, 11, 5, 6)) == OCT
    assert previous_complete_month(dt.date(2026, 1, 5)) == dt.date(2025, 12, 1)
    assert previous_complete_month(dt.date(2026, 10, 5), "quarterly") == dt.date(2026, 9, 1)
    assert previous_complete_month(dt.date(2026, 11, 5), "quarterly") is None
    assert window_of(OCT)[0] == dt.date(2025, 11, 1) and len(window_of(OCT)) == 12
    assert windows_including(dt.date(2026, 3, 1))[-1] == dt.date(2027, 2, 1)


def test_landing_months_ignores_other_folders(tmp_path):
    write_month(tmp_path, OCT)
    (tmp_path / "2026-13").mkdir()
    (tmp_path / "notes").mkdir()
    assert landing_months(tmp_path) == [OCT]
