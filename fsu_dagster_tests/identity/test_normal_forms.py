"""The one phone rule (``normal_forms.phone_key``), shared by linking and the profiles."""

from __future__ import annotations

import polars as pl
import pytest

from fsu_dagster.identity.normal_forms import phone_key
from fsu_dagster.profiles import controlworks as profile_controlworks


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+44 7700 900123", "07700900123"),
        ("0044 7700 900123", "07700900123"),
        ("07700-900123", "07700900123"),
        ("447700900123", "07700900123"),  # 12 digits with 44: international
        ("4412345", "4412345"),  # 7 digits starting 44: a local number, kept as typed
        ("1234567", "1234567"),  # 7 digits: the shortest number kept
        ("123456", None),  # 6 digits: a fragment identifies nobody
        ("", None),
        (None, None),
    ],
)
def test_phone_key(raw, key):
    got = pl.DataFrame({"p": [raw]}, schema={"p": pl.String}).select(phone_key("p").alias("k"))["k"][0]
    assert got == key


def test_profiles_use_the_linker_phone_rule():
    """Caller matching in the profiles reads numbers with the linker's rule (not a copy)."""
    assert profile_controlworks.phone_key is phone_key


def test_on_distinct_is_the_form_of_every_value() -> None:
    from fsu_dagster.identity.normal_forms import dob_key, fold_name, on_distinct, phone_key

    names = pl.Series("forename", ["Zoë", None, "smith-jones", "Zoë", "", "O'Brien", None, "zoe"])
    phones = pl.Series("phone", ["+44 7700 900123", None, "123", "07700900123", "+44 7700 900123"])
    dobs = pl.Series("dob", ["1956-04-09", None, "09/04/1956", "1956-04-09", "1956049"])
    for values, form in ((names, fold_name), (phones, phone_key), (dobs, lambda e: dob_key(e, pl.String()))):
        got = on_distinct(values, form)
        want = values.to_frame().select(form(pl.col(values.name))).to_series()
        assert got.name == values.name
        assert got.equals(want)


def test_column_form_reads_the_first_column_present_and_is_null_without_one():
    from fsu_dagster.identity.normal_forms import column_form, phone_key

    frame = pl.DataFrame({"phone_number": ["07700 900001", None, "07700 900001"]})
    got = column_form(frame, phone_key, "phone", "phone_number", alias="phone")
    assert got.name == "phone"
    assert got.to_list() == frame.select(phone_key(pl.col("phone_number"))).to_series().to_list()
    missing = column_form(frame, phone_key, "phone", alias="phone")
    assert missing.dtype == pl.String and missing.null_count() == frame.height
