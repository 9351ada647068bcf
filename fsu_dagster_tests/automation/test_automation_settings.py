"""The automation settings: defaults, validation, and the snapshot folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.settings import load_settings, settings_from_json


def test_defaults_are_the_5th_at_six_london_monthly_every_extract_required():
    s = load_settings()
    assert (s.schedule_day, s.schedule_hour, s.schedule_timezone, s.cadence) == (5, 6, "Europe/London", "monthly")
    assert s.landing_required_extracts == list(EXTRACTS) and s.landing_ready_marker == "_READY"


@pytest.mark.parametrize(
    "field",
    [
        {"landing_required_extracts": ["avaya_calls", "no_such_extract"]},
        {"schedule_timezone": "Mars/Olympus_Mons"},
        {"schedule_day": 31},
        {"cadence": "weekly"},
    ],
)
def test_bad_values_are_refused(field):
    with pytest.raises(ValidationError):
        load_settings(**field)


def test_snapshot_dir_follows_data_dir_unless_set_and_survives_the_json_round_trip(tmp_path):
    assert load_settings(data_dir=tmp_path).snapshots_dir == tmp_path / "snapshots"
    s = load_settings(data_dir=tmp_path, snapshot_dir=tmp_path / "snap", cadence="quarterly")
    back = settings_from_json(s.model_dump_json())
    assert back.snapshots_dir == Path(tmp_path / "snap") and back.cadence == "quarterly"
