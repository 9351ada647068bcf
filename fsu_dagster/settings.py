"""One typed settings object for the whole product.

Values come, highest precedence first, from: keyword arguments, environment
variables (``FSU_`` prefix, e.g. ``FSU_DATA_DIR``, ``FSU_TOP_N``), the YAML file
named by ``FSU_CONFIG`` (default: the packaged West Midlands Police config),
then the defaults below. ``docs/configuration.md`` documents every field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, Field, TypeAdapter, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG = "default.yaml"


def _extract_names() -> tuple[str, ...]:
    from fsu_dagster.contract import EXTRACTS

    return tuple(EXTRACTS)


def packaged_config_path() -> Path:
    return Path(__file__).with_name("config") / DEFAULT_CONFIG


class Theme(BaseModel):
    """A theme filter (method section 6.1): crime flags or summary keywords."""

    label: str
    flags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class PriorityCrimeType(BaseModel):
    """A priority crime type for local tasking: matched on offence code or main group."""

    label: str
    offence_codes: list[str] = Field(default_factory=list)
    main_groups: list[str] = Field(default_factory=list)


class FsuSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FSU_", extra="ignore", env_nested_delimiter="__")

    # Where things live.
    data_dir: Path = Path("data")
    warehouse: Path = Path("data/warehouse/fsu.duckdb")
    config: Path | None = None

    # The force.
    force_name: str = "West Midlands Police"
    lpas: list[str] = Field(default_factory=list)
    themes: dict[str, Theme] = Field(default_factory=dict)
    priority_crime_types: dict[str, PriorityCrimeType] = Field(default_factory=dict)
    #: URL templates into the source systems, e.g. ``{"investigation": "https://connect/...{id}"}``.
    source_urls: dict[str, str] = Field(default_factory=dict)
    #: Optional path to a force's own Cambridge Crime Harm Index table (CSV: offence_code, harm_days).
    cchi_path: Path | None = None

    # Stage 1 thresholds (data contract section 3).
    top_n: int = Field(1000, ge=1, description="Normalise by the mean of the largest min(top_n, N) values.")
    custody_cap_hours: float = Field(200.0, gt=0)
    list_size: int = Field(100, ge=1, description="Top-N per metric that forms the cohort.")
    link_mode: Literal["exact", "fuzzy"] = "fuzzy"
    fuzzy_threshold: float | None = Field(None, ge=0, le=1)
    link_block_pairs: int = Field(
        30_000_000,
        ge=1_000,
        description="Fuzzy linking scores the window's identity pairs in blocks of about this many pairs "
        "(a force's window, ~18 M pairs, is one block; for a met-sized window, ~165 M, use 8 M: its whole "
        "fuzzy run then peaked at 7.3 GB).",
    )

    # Data quality.
    quarantine_max_rate: float = Field(
        0.05, ge=0, le=1, description="Fail the source check above this share of bad rows."
    )
    allow_incomplete_window: bool = False
    volume_band: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="Volume guard: fail a month whose rows read fall below band x or above 1/band x the median "
        "of the previous landed months (0 turns the guard off).",
    )
    volume_history_months: int = Field(6, ge=1, description="Volume guard: previous landed months in the median.")
    volume_min_history: int = Field(3, ge=1, description="Volume guard: months with fewer previous months pass.")
    volume_noise_sigmas: float = Field(
        4.0, ge=0, description="Volume guard: a non-empty month must also be this many sqrt(median) from the median."
    )
    landing_encoding: str | None = Field(
        None,
        description="Fallback encoding for landing CSVs that are not UTF-8 (e.g. cp1252); None: such a file fails.",
    )
    plausibility_future_days: int = Field(
        366, ge=0, description="Flag timestamps more than this many days after the end of their landing month."
    )
    plausibility_max_age_years: int = Field(120, ge=1, description="Flag dates of birth more than this many years ago.")
    plausibility_action: Literal["flag", "null"] = Field(
        "flag", description="Implausible optional values: flag them (loaded as they are) or set them to null."
    )

    # Warehouse.
    warehouse_compress_strings: bool = Field(
        False, description="Compress text columns in the warehouse: a ~3x smaller file, writes about twice as slow."
    )
    # Both caps are held for the whole run, on top of every step's own working set: 128 + 64 MB and
    # two malloc arenas bring a force's exact run to about 1.35-1.4 GB (docs/performance.md, session 9).
    load_cache_mb: int = Field(128, ge=0, description="Loaded tables a run keeps for its later steps, in MB.")
    warehouse_memory_mb: int = Field(64, ge=64, description="DuckDB's memory cap during a run, in MB.")
    malloc_arena_max: int = Field(
        2, ge=0, description="glibc malloc arenas a run's process may use (0: glibc's default, 8 per core)."
    )

    # Profiles.
    home_lpa_rule: Literal["most_investigations", "most_recent_investigation", "most_recent_missing"] = (
        "most_investigations"
    )

    # Publishing: the dashboard's snapshot folder (default ``data_dir/snapshots``; FSU_SNAPSHOT_DIR).
    snapshot_dir: Path | None = None

    # Automation (docs/runbook.md): the monthly schedule and the landing sensor.
    #: Run every month, or only after a quarter's last month (window months Mar, Jun, Sep, Dec).
    cadence: Literal["monthly", "quarterly"] = "monthly"
    schedule_day: int = Field(5, ge=1, le=28, description="Day of the month the schedule runs the previous month.")
    schedule_hour: int = Field(6, ge=0, le=23)
    schedule_timezone: str = "Europe/London"
    #: Extracts a landing month must hold before it counts as complete (default: all nine).
    landing_required_extracts: list[str] = Field(default_factory=lambda: list(_extract_names()))
    #: A file of this name in a landing month folder says "complete" at once.
    landing_ready_marker: str = "_READY"
    #: Without the marker, the schedule needs every file unchanged for this long.
    landing_settle_seconds: int = Field(600, ge=0)
    landing_sensor_interval_seconds: int = Field(300, ge=30)

    @field_validator("landing_required_extracts")
    @classmethod
    def _known_extracts(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(_extract_names()))
        if unknown:
            raise ValueError(f"unknown extract(s) {unknown}; expected some of {sorted(_extract_names())}")
        return v

    @field_validator("schedule_timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (an IANA name such as Europe/London)") from exc
        return v

    @field_validator("lpas")
    @classmethod
    def _upper_lpas(cls, v: list[str]) -> list[str]:
        return [x.strip().upper() for x in v]

    @model_validator(mode="after")
    def _resolve_paths(self) -> FsuSettings:
        # The warehouse default follows the data directory unless set explicitly.
        if "warehouse" not in self.model_fields_set and not os.environ.get("FSU_WAREHOUSE"):
            self.warehouse = self.data_dir / "warehouse" / "fsu.duckdb"
        return self

    @field_validator("landing_encoding")
    @classmethod
    def _known_encoding(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        import codecs

        try:
            return codecs.lookup(v).name
        except LookupError:
            raise ValueError(f"unknown encoding {v!r} (e.g. cp1252, latin-1)") from None

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def snapshots_dir(self) -> Path:
        return self.snapshot_dir if self.snapshot_dir is not None else self.data_dir / "snapshots"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_path = os.environ.get("FSU_CONFIG") or str(packaged_config_path())
        if not Path(yaml_path).is_file():
            raise FileNotFoundError(f"FSU_CONFIG names {yaml_path!r}, which is not a readable file")
        return (
            init_settings,
            env_settings,
            YamlConfigSettingsSource(settings_cls, yaml_file=yaml_path),
        )


def load_settings(**overrides: Any) -> FsuSettings:
    """Build settings from the environment and config file, with explicit overrides on top.

    Call it once, at the edge (the CLI, the Dagster code location, a test), and pass the object
    on: ``build_definitions(settings)`` hands it to every asset, nothing re-reads the environment.
    """
    return FsuSettings(**overrides)


def settings_from_json(text: str) -> FsuSettings:
    """The settings written by ``FsuSettings.model_dump_json()``, read back without any source.

    ``FsuSettings.model_validate_json`` would run the settings sources again (environment and
    YAML file, which may differ in another process); this validates each field on its own and
    builds the object from those values only.
    """
    data = json.loads(text)
    # The type of each field is built at run time from its annotation, so it is not a static type form.
    values: dict[str, Any] = {
        name: TypeAdapter(cast(Any, Annotated[field.annotation, field])).validate_python(data[name])
        for name, field in FsuSettings.model_fields.items()
        if name in data
    }
    if "lpas" in values:
        values["lpas"] = [x.strip().upper() for x in values["lpas"]]
    return FsuSettings.model_construct(**values)
