import numpy as np
import pytest

from fsu_dagster.identity.arrays import (
    distinct_rows,
    run_lengths,
    sorted_unique,
    sorted_unique_inverse,
    sorted_unique_pairs,
)


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10_000])
def test_sorted_unique_is_np_unique(dtype: type, n: int) -> None:
    values = np.random.default_rng(n).integers(0, max(n // 3, 1) + 1, n).astype(dtype)
    got = sorted_unique(values)
    want = np.unique(values)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("left_from", "left_span", "right_high"),
    [
        (0, 5, 4),  # one bucket
        (123_456, 100_000, 375_752),  # a chunk of queries: several buckets of 32-bit keys
        (7, 1 << 20, 1 << 19),  # too many buckets: 64-bit keys
        (0, 50, (1 << 32) - 1),  # no room for the left side in 32 bits: 64-bit keys
        ((1 << 32) - 300, 299, 1 << 12),  # near the top of uint32
    ],
)
@pytest.mark.parametrize("n", [0, 1, 2, 9, 20_000])
def test_sorted_unique_pairs_is_np_unique_of_the_64_bit_keys(
    left_from: int, left_span: int, right_high: int, n: int
) -> None:
    rng = np.random.default_rng(n + left_span)
    left = (left_from + rng.integers(0, left_span, n)).astype(np.uint32)
    right = rng.integers(0, right_high, n, endpoint=True).astype(np.uint32)
    if n > 2:
        # Repeats, and the extremes of both ranges.
        left[:2], right[:2] = left[2], right[2]
        left[-1], right[-1] = left_from + left_span - 1, right_high
    want = np.unique((left.astype(np.uint64) << np.uint64(32)) | right.astype(np.uint64))
    got_left, got_right = sorted_unique_pairs(left, right)
    assert got_left.dtype == np.uint32 and got_right.dtype == np.uint32
    np.testing.assert_array_equal(got_left, (want >> np.uint64(32)).astype(np.uint32))
    np.testing.assert_array_equal(got_right, (want & np.uint64(0xFFFFFFFF)).astype(np.uint32))


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10_000])
@pytest.mark.parametrize("kind", ["small", "wide", "negative"])
def test_sorted_unique_inverse_is_np_unique_with_the_inverse(dtype: type, n: int, kind: str) -> None:
    # Small values are sorted packed with their positions; wide ones (no room for the
    # positions) and negative ones by argsort.
    rng = np.random.default_rng(n + 1)
    values = rng.integers(0, max(n // 3, 1) + 1, n).astype(dtype)
    if kind == "wide" and dtype != np.uint32:
        values = values * dtype(1 << 58)
    if kind == "negative" and dtype == np.int64:
        values = values - dtype(n // 6)
    got, inverse = sorted_unique_inverse(values)
    want, want_inverse = np.unique(values, return_inverse=True)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(inverse, want_inverse)
    np.testing.assert_array_equal(got[inverse], values)


@pytest.mark.parametrize("high", [3, 1000, 1 << 40])
@pytest.mark.parametrize("ncols", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 2, 9, 5_000])
def test_distinct_rows_and_run_lengths_are_np_unique_axis_1(high: int, ncols: int, n: int) -> None:
    # high = 2**40 with three columns cannot be packed into one 64-bit key: the lexsort path.
    rng = np.random.default_rng(n + ncols)
    cols = [rng.integers(0, high, n).astype(np.uint64) for _ in range(ncols)]
    if n > 4:
        for c in cols:  # repeated rows and repeated values in each column
            c[n // 2 :] = c[: n - n // 2]
            c[::3] = c[0]
    stacked = np.stack(cols)
    want = np.unique(stacked, axis=1)
    got = distinct_rows(*cols)
    assert len(got) == ncols
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.uint64
        np.testing.assert_array_equal(g, w)
    for k in range(1, ncols + 1):
        _, want_counts = np.unique(want[:k], axis=1, return_counts=True)
        np.testing.assert_array_equal(run_lengths(*got[:k]), want_counts)
