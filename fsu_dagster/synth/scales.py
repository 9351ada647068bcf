"""Volumes per scale.

``force`` is West Midlands Police's yearly volume (per twelve months: about 1.5 M Avaya
calls, 800 k ControlWorks logs, 300 k investigations, 50 k custody records and 14 k
missing person reports). ``met`` is three times ``force``, about the Metropolitan Police's
volume, for benchmarks. ``small`` is about one twentieth of ``force``, ``tiny`` one
hundredth with fewer planted frequent users, for tests.

The planted frequent users do not scale with the force: the cohort is the top 100 per
metric whatever the force's size, so the same few hundred people stand out.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCALES", "Scale", "get_scale"]


@dataclass(frozen=True)
class Scale:
    name: str
    #: Per twelve months.
    calls: int
    logs: int
    investigations: int
    custody: int
    missing: int
    #: People who could interact with the force (background population).
    population: int
    #: Planted frequent users per archetype.
    prolific_callers: int
    repeat_victims: int
    prolific_offenders: int
    all_three: int
    missing_young_people: int
    #: Professionals who ring in about others (security staff, carers, paramedics...).
    professionals: int

    @property
    def planted(self) -> int:
        return (
            self.prolific_callers
            + self.repeat_victims
            + self.prolific_offenders
            + self.all_three
            + self.missing_young_people
        )


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        "tiny",
        calls=15_000,
        logs=8_000,
        investigations=3_000,
        custody=500,
        missing=140,
        population=6_000,
        prolific_callers=15,
        repeat_victims=15,
        prolific_offenders=15,
        all_three=5,
        missing_young_people=10,
        professionals=60,
    ),
    "small": Scale(
        "small",
        calls=75_000,
        logs=40_000,
        investigations=15_000,
        custody=2_500,
        missing=700,
        population=40_000,
        prolific_callers=70,
        repeat_victims=55,
        prolific_offenders=70,
        all_three=15,
        missing_young_people=30,
        professionals=300,
    ),
    "force": Scale(
        "force",
        calls=1_500_000,
        logs=800_000,
        investigations=300_000,
        custody=50_000,
        missing=14_000,
        population=800_000,
        prolific_callers=70,
        repeat_victims=55,
        prolific_offenders=70,
        all_three=15,
        missing_young_people=30,
        professionals=4_000,
    ),
    "met": Scale(
        "met",
        calls=4_500_000,
        logs=2_400_000,
        investigations=900_000,
        custody=150_000,
        missing=42_000,
        population=2_400_000,
        prolific_callers=70,
        repeat_victims=55,
        prolific_offenders=70,
        all_three=15,
        missing_young_people=30,
        professionals=12_000,
    ),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {sorted(SCALES)}") from None
