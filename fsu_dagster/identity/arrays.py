"""Small numpy helpers of the linker."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["distinct_rows", "run_lengths", "sorted_unique", "sorted_unique_inverse", "sorted_unique_pairs"]


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


def sorted_unique_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of two ``uint32`` columns of one length, sorted by ``left`` then
    ``right``: the rows of ``sorted_unique(left << 32 | right)``, as two ``uint32`` columns.

    When ``left`` spans a narrow range (a chunk of queries) and ``right`` is small, the pairs
    are split by the high bits of ``left - left.min()`` (a stable radix argsort of 8-bit bucket
    numbers) so that each bucket's pairs fit in one 32-bit key: 32-bit sorts cost about half
    of one 64-bit sort. Otherwise the 64-bit keys are sorted."""
    left = np.asarray(left, dtype=np.uint32)
    right = np.asarray(right, dtype=np.uint32)
    if left.size == 0:
        return left.copy(), right.copy()
    lo = int(left.min())
    right_bits = max(int(right.max()).bit_length(), 1)
    left_bits = 32 - right_bits  # bits of ``left - lo`` kept in a bucket's key
    if left_bits < 1 or (int(left.max()) - lo) >> left_bits >= 256:
        key = sorted_unique((left.astype(np.uint64) << np.uint64(32)) | right.astype(np.uint64))
        return (key >> np.uint64(32)).astype(np.uint32), (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    local = left - np.uint32(lo)
    bucket = (local >> np.uint32(left_bits)).astype(np.uint8)
    key = ((local & np.uint32((1 << left_bits) - 1)) << np.uint32(right_bits)) | right
    del local
    edges = np.zeros(int(bucket.max()) + 2, dtype=np.int64)
    np.cumsum(np.bincount(bucket), out=edges[1:])
    key = key[np.argsort(bucket, kind="stable")]
    del bucket
    lefts, rights = [], []
    right_mask = np.uint32((1 << right_bits) - 1)
    for b in range(edges.size - 1):
        if edges[b + 1] == edges[b]:
            continue
        part = sorted_unique(key[edges[b] : edges[b + 1]])
        lefts.append((part >> np.uint32(right_bits)) + np.uint32(lo + (b << left_bits)))
        rights.append(part & right_mask)
    return np.concatenate(lefts), np.concatenate(rights)


def sorted_unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of a 1-D integer array: its
    distinct values, sorted, and for each value its place among them (``unique[inverse] ==
    values``), by one sort and a running count of the new values (no hash table, no search).

    When the values are non-negative and fit in 64 bits together with their positions, the sort is a plain sort of
    ``value << bits | position`` (numpy's vectorised sort: several times faster than
    ``argsort``), else ``argsort``."""
    if values.size == 0:
        return values.copy(), np.zeros(0, dtype=np.int64)
    shift = (values.size - 1).bit_length()
    signed = values.dtype.kind == "i" and int(values.min()) < 0
    if not signed and int(values.max()).bit_length() + shift <= 64:
        packed = values.astype(np.uint64) << np.uint64(shift)
        packed |= np.arange(values.size, dtype=np.uint64)
        packed.sort()
        order = (packed & np.uint64((1 << shift) - 1)).astype(np.int64)
        packed >>= np.uint64(shift)
        ordered = packed.astype(values.dtype, copy=False)
    else:
        order = np.argsort(values)
        ordered = values[order]
    new = np.empty(ordered.size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def distinct_rows(*columns: np.ndarray) -> list[np.ndarray]:
    """The distinct rows of non-negative integer columns of one length, sorted with the first
    column primary: ``list(np.unique(np.stack(columns), axis=1))`` (as ``uint64``), which numpy 2
    does many times slower (a structured sort). The columns are packed into one 64-bit key when
    their ranges fit (a single sort), else sorted by ``np.lexsort``."""
    cols = [np.asarray(c).astype(np.uint64, copy=False) for c in columns]
    if cols[0].size == 0:
        return [c.copy() for c in cols]
    radices = [int(c.max()) + 1 for c in cols]
    if math.prod(radices) <= 1 << 63:
        key = cols[0].copy()
        for c, r in zip(cols[1:], radices[1:], strict=True):
            key *= np.uint64(r)
            key += c
        key = sorted_unique(key)
        out = []
        for r in reversed(radices[1:]):
            out.append(key % np.uint64(r))
            key //= np.uint64(r)
        out.append(key)
        return out[::-1]
    order = np.lexsort(cols[::-1])
    cols = [c[order] for c in cols]
    keep = np.zeros(cols[0].size, dtype=bool)
    keep[0] = True
    for c in cols:
        keep[1:] |= c[1:] != c[:-1]
    return [c[keep] for c in cols]


def run_lengths(*columns: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal rows of columns already sorted (rows grouped): for sorted
    input, the counts of ``np.unique(np.stack(columns), axis=1, return_counts=True)``."""
    n = columns[0].size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in columns:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    return np.diff(np.append(starts, n))
