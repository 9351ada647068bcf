"""One typed settings object: packaged WMP defaults, a force's YAML file, environment on top."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from fsu_dagster.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in ("FSU_CONFIG", "FSU_DATA_DIR", "FSU_WAREHOUSE", "FSU_TOP_N", "FSU_LINK_MODE", "FSU_LPAS"):
        monkeypatch.delenv(key, raising=False)


def test_packaged_defaults_are_west_midlands_and_the_contract_thresholds():
    s = load_settings()
    assert s.lpas == ["BIRMINGHAM", "COVENTRY", "DUDLEY", "SANDWELL", "SOLIHULL", "WALSALL", "WOLVERHAMPTON"]
    assert (s.top_n, s.custody_cap_hours, s.list_size) == (1000, 200, 100)
    assert s.link_mode == "fuzzy"
    assert set(s.themes) == {"DA", "MH", "CSE", "CA"}


def test_warehouse_follows_the_data_dir_unless_set(monkeypatch, tmp_path):
    monkeypatch.setenv("FSU_DATA_DIR", str(tmp_path))
    assert load_settings().warehouse == tmp_path / "warehouse" / "fsu.duckdb"
    monkeypatch.setenv("FSU_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    assert load_settings().warehouse == tmp_path / "elsewhere.duckdb"


def test_a_force_config_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    config = tmp_path / "force.yaml"
    config.write_text("force_name: Another Force\nlpas: [north, south]\ntop_n: 500\nlink_mode: exact\n")
    monkeypatch.setenv("FSU_CONFIG", str(config))
    s = load_settings()
    assert (s.force_name, s.lpas, s.top_n, s.link_mode) == ("Another Force", ["NORTH", "SOUTH"], 500, "exact")
    monkeypatch.setenv("FSU_TOP_N", "250")
    monkeypatch.setenv("FSU_LINK_MODE", "fuzzy")
    assert (load_settings().top_n, load_settings().link_mode) == (250, "fuzzy")


def test_a_missing_config_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("FSU_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_settings()


@pytest.mark.parametrize(
    ("var", "value"), [("FSU_TOP_N", "0"), ("FSU_LINK_MODE", "guess"), ("FSU_QUARANTINE_MAX_RATE", "2")]
)
def test_invalid_values_are_refused(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_the_packaged_config_file_ships_with_the_package():
    import fsu_dagster.settings as mod

    assert (Path(mod.__file__).parent / "config" / "default.yaml").is_file()


def test_the_settings_resource_hands_out_the_object_it_was_given(monkeypatch, tmp_path):
    """Built once and passed in: neither the environment nor the YAML file is read again."""
    from fsu_dagster.definitions import build_definitions
    from fsu_dagster.defs.resources import SettingsResource

    given = load_settings(data_dir=tmp_path, link_mode="exact", top_n=7, lpas=["north"])
    monkeypatch.setenv("FSU_LINK_MODE", "fuzzy")
    monkeypatch.setenv("FSU_TOP_N", "999")
    monkeypatch.setenv("FSU_CONFIG", str(tmp_path / "gone.yaml"))  # would fail if read
    got = SettingsResource.of(given).get()
    assert got == given and (got.link_mode, got.top_n, got.lpas) == ("exact", 7, ["NORTH"])
    assert got.themes == given.themes and got.warehouse == tmp_path / "warehouse" / "fsu.duckdb"
    resource = build_definitions(given).resources["fsu_settings"]
    assert isinstance(resource, SettingsResource) and resource.get() == given


def test_settings_json_is_validated_when_read_back():
    from fsu_dagster.settings import settings_from_json

    text = load_settings(top_n=3).model_dump_json()
    assert settings_from_json(text).top_n == 3
    with pytest.raises(ValidationError):
        settings_from_json(text.replace('"top_n":3', '"top_n":0'))


def test_the_link_block_size_is_a_setting_the_controlworks_linker_gets(monkeypatch, tmp_path):
    from fsu_dagster.defs.identity.assets import link_config
    from fsu_dagster.identity.config import LINK_CONFIG

    assert link_config(load_settings(data_dir=tmp_path)).scoring_block_pairs == LINK_CONFIG.scoring_block_pairs
    monkeypatch.setenv("FSU_LINK_BLOCK_PAIRS", "10000000")
    chosen = link_config(load_settings(data_dir=tmp_path))
    assert chosen.scoring_block_pairs == 10_000_000
    assert chosen.threshold == LINK_CONFIG.threshold
    monkeypatch.setenv("FSU_LINK_BLOCK_PAIRS", "10")
    with pytest.raises(ValidationError, match="link_block_pairs"):
        load_settings(data_dir=tmp_path)
