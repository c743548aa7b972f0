"""Mini-batch mode calibrates on a random sample of rows (issue 20, item 3).

With rows sorted (small-scale rows first) the default Momentum() used to tune its step on the first rows and
reach a loss of 1e250 (x 1e62 away, "maxiter"). Now the sorted rows land as close to numpy's lstsq as the
shuffled ones do, in memory and as a memmap.
"""

import autograd.numpy as anp
import numpy as np
import pytest

import minimom as mm
from minimom.data._batches import _Batches


def _mse(w, X, y):
    return anp.mean((X @ w - y) ** 2)


@pytest.fixture(scope="module")
def sorted_rows():
    """Rows whose scales span e^-3 .. e^1.5, sorted by norm: the first 2048 rows are the small ones."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 5)) * np.exp(rng.uniform(-3, 1.5, size=(4000, 1)))
    X = X[np.argsort(np.linalg.norm(X, axis=1))]
    y = X @ rng.standard_normal(5) + 1e-3 * rng.standard_normal(4000)
    return X, y


def _error(X, y):
    res = mm.minimize(_mse, np.zeros(5), args=(X, y), batch_size=32, random_state=0, maxiter=30)
    return np.max(np.abs(res.x - np.linalg.lstsq(X, y, rcond=None)[0]))


def test_sorted_rows_land_as_close_to_lstsq_as_shuffled_rows(sorted_rows):
    # Fails before the fix: the sorted run ends 8.9e62 away from lstsq (the shuffled one within 5.8e-4).
    X, y = sorted_rows
    order = np.random.default_rng(1).permutation(len(X))
    shuffled = _error(X[order], y[order])
    assert shuffled < 1e-3  # the tolerance mini-batch momentum reaches here in 30 epochs
    assert _error(X, y) <= 2 * shuffled


def test_sorted_rows_in_a_memmap_land_as_close(sorted_rows, tmp_path):
    X, y = sorted_rows
    np.save(tmp_path / "X.npy", X)
    on_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    order = np.random.default_rng(1).permutation(len(X))
    assert _error(on_disk, y) <= 2 * _error(X[order], y[order])


def test_the_sample_is_spread_over_all_rows_and_fixed(sorted_rows):
    X, y = sorted_rows
    first = _Batches((X, y), 32, random_state=0).sample()
    again = _Batches((X, y), 32, random_state=5).sample()
    assert first[0].shape == (2048, 5)
    np.testing.assert_array_equal(first[0], again[0])  # reproducible, whatever shuffles the epochs
    rows = np.flatnonzero(np.isin(X[:, 0], first[0][:, 0]))
    assert rows.min() < 400 and rows.max() > 3600  # drawn from the whole range, not the first 2048
    np.testing.assert_array_equal(X[rows], first[0])  # in the data's order, each row once
