import numpy as np
import pytest

from fsu_dagster.identity.arrays import sorted_unique


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10_000])
def test_sorted_unique_is_np_unique(dtype: type, n: int) -> None:
    values = np.random.default_rng(n).integers(0, max(n // 3, 1) + 1, n).astype(dtype)
    got = sorted_unique(values)
    want = np.unique(values)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
