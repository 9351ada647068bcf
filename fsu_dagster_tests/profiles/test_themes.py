"""Themes and priority crime types (method 6.1's filters)."""

import datetime as dt

import polars as pl
import pytest

from fsu_dagster.profiles.themes import person_priority_crimes, person_themes, theme_expr
from fsu_dagster.settings import PriorityCrimeType, Theme
from fsu_dagster_tests.profiles.frames import M, cohort, extract

THEMES = {
    "DA": Theme(label="Domestic abuse", flags=["DA"], keywords=["domestic", "ex-partner", "partner"]),
    "MH": Theme(label="Mental health", flags=["MH"], keywords=["mental health", "self-harm", "section 136"]),
    "CSE": Theme(label="Child sexual exploitation", flags=["CSE"], keywords=["grooming"]),
    "CA": Theme(label="Child abuse", flags=["CA"], keywords=["child neglect"]),
}


@pytest.mark.parametrize(
    "flags, summary, expected",
    [
        ("DA", None, {"DA"}),
        (" da ; MH", None, {"DA", "MH"}),  # flags trimmed, case-insensitive
        ("DAX", None, set()),  # a flag is a whole token
        (None, "Row with ex-partner at home", {"DA"}),
        (None, "Business PARTNERSHIP dispute", set()),  # whole words only
        (None, "Detained under Section 136", {"MH"}),
        (None, "history of SELF-HARM", {"MH"}),
        (None, "possible grooming online; child neglect", {"CSE", "CA"}),
        (None, None, set()),
    ],
)
def test_theme_rule(flags, summary, expected):
    """An investigation has a theme by crime flag or keyword in its summary (case-insensitive,
    whole words), so filters neither miss flagged crimes nor catch 'partnership'."""
    df = pl.DataFrame({"flags": [flags], "summary": [summary]}, schema={"flags": pl.String, "summary": pl.String})
    got = {k for k, t in THEMES.items() if df.select(theme_expr(t.flags, t.keywords)).item()}
    assert got == expected


def test_person_themes_and_missing():
    """A person has a theme when any of their investigations (any role) has it; MISSING
    comes from the missing summary."""
    inv = extract(
        "connect_investigations",
        [
            dict(
                investigation_id="I1",
                recorded_at=dt.datetime(2026, 1, 1),
                offence_code="8N",
                main_group="VIOLENCE AGAINST THE PERSON",
                flags="DA",
            ),
            dict(
                investigation_id="I2",
                recorded_at=dt.datetime(2026, 1, 2),
                offence_code="28E",
                main_group="BURGLARY",
                summary="domestic row",
            ),
            dict(
                investigation_id="I3",
                recorded_at=dt.datetime(2026, 1, 3),
                offence_code="49",
                main_group="THEFT OFFENCES",
                flags="MH",
            ),
        ],
    )
    roles = extract(
        "connect_person_roles",
        [
            dict(investigation_id="I1", person_id="P", role="VICTIM"),
            dict(investigation_id="I2", person_id="P", role="WITNESS"),
            dict(investigation_id="I3", person_id="Z", role="SUSPECT"),
        ],
    )
    miss = pl.DataFrame({"month": [M, M], "person_id": ["P", "Q"], "missing_reports": [0, 2]})
    out = person_themes(cohort("P", "Q"), inv, roles, THEMES, missing_summary=miss)
    assert out.select("person_id", "theme", "count").rows() == [("P", "DA", 2), ("Q", "MISSING", 2)]

    prio = {
        "violent": PriorityCrimeType(label="Violent crime", main_groups=["VIOLENCE AGAINST THE PERSON"]),
        "sac": PriorityCrimeType(label="Serious acquisitive crime", offence_codes=["28e", "30C"]),
        "robbery": PriorityCrimeType(label="Robbery", main_groups=["ROBBERY"]),
    }
    p = person_priority_crimes(cohort("P", "Q"), inv, roles, prio)
    assert p.select("person_id", "priority_crime_type", "investigations").rows() == [
        ("P", "sac", 1),
        ("P", "violent", 1),
    ]
