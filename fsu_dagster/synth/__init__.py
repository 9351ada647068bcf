"""Seeded synthetic landing data for a West Midlands-sized force, with ground truth.

``generate(out, start, end, scale, seed, fmt, progress)`` writes
``out/landing/YYYY-MM/<extract>.csv|parquet`` for the nine extracts of the data
contract and ``out/truth/`` (who every ControlWorks mention really is, the planted
frequent service users and their relationships). See ``docs/synthetic-data.md``.
"""

from fsu_dagster.synth.generator import generate
from fsu_dagster.synth.scales import SCALES

__all__ = ["SCALES", "generate"]
