"""The block kernels' column extremes (read as wide rows) against numpy's own reductions."""

import numpy as np
import pytest

from minimom.data._arrays import _extremes


@pytest.mark.parametrize("n, d", [(1, 3), (63, 5), (64, 5), (1000, 20), (1001, 7), (130, 300)])
def test_extremes_are_numpys(n, d):
    X = np.random.default_rng(n + d).standard_normal((n, d)) * np.arange(1, d + 1)
    low, high = _extremes(X)
    np.testing.assert_array_equal(low, X.min(axis=0))
    np.testing.assert_array_equal(high, X.max(axis=0))


def test_extremes_of_views_and_nan():
    X = np.random.default_rng(0).standard_normal((500, 12))
    view = X[:, ::2]  # not C-contiguous
    np.testing.assert_array_equal(_extremes(view)[0], view.min(axis=0))
    X[321, 4] = np.nan
    low, high = _extremes(X)
    assert np.isnan(low[4]) and np.isnan(high[4])
    np.testing.assert_array_equal(np.delete(low, 4), np.delete(X.min(axis=0), 4))
