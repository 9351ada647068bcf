"""Small numpy helpers of the linker."""

from __future__ import annotations

import numpy as np

__all__ = ["sorted_unique"]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D integer array (its distinct values, sorted), by one
    sort and a comparison of neighbours. numpy 2's ``np.unique`` is many times slower on
    arrays of millions of mostly distinct 64-bit keys (5.8 s against 0.3 s for 3 M)."""
    out = np.sort(values)
    if out.size < 2:
        return out
    keep = np.empty(out.size, dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]
