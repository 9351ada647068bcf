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
