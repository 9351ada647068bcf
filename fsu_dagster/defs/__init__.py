"""Dagster wiring, one folder per layer. Step logic lives outside ``defs/``."""

import warnings

import dagster as dg

# Partition mappings with allow_nonexistent_upstream_partitions, single-run backfill policies and
# partitioned asset checks are beta/preview in Dagster 1.13; we use them on purpose.
for _category in (dg.BetaWarning, dg.PreviewWarning):
    warnings.filterwarnings("ignore", category=_category)
