"""fsu_dagster: find a police force's frequent service users (see docs/ and the method)."""

__version__ = "0.1.0"
