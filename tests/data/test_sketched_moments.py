"""The sketched second moment (``moments(..., stride=k)``): everything but the off-diagonal part exact, exact null
directions kept, rare columns kept at their exact variance, and close to the full matrix."""

import numpy as np
import pytest

from minimom.data._dense_design import DenseDesign
from minimom.data._design import as_design


def weighted(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 50.0
    w = rng.uniform(0.1, 2.0, n)
    return X, w / w.sum(), rng


@pytest.mark.parametrize("blocks", [False, True])
def test_every_moment_but_the_second_is_exact_and_the_second_is_close(blocks, monkeypatch):
    if blocks:
        monkeypatch.setattr(DenseDesign, "_block_bytes", 8 * 30 * 97)  # 97-row blocks
    X, w, rng = weighted(3000, 30)
    targets = rng.standard_normal((3000, 1))
    exact = as_design(X).moments(w, targets)
    sketch = as_design(X).moments(w, targets, stride=7)
    for field in ("mean", "cross", "low", "high", "total", "target_mean"):
        np.testing.assert_allclose(getattr(sketch, field), getattr(exact, field), rtol=1e-12, atol=1e-12)
    centred = X - w @ X
    np.testing.assert_allclose(np.diagonal(exact.second), w @ centred**2, rtol=1e-9)
    # 3000 / 7 = 428 rows for 30 columns: within the sketch's sqrt(d / rows) ~ 26% in the metric of the full one
    root = np.linalg.cholesky(np.linalg.inv(exact.second))
    spectrum = np.linalg.eigvalsh(root.T @ sketch.second @ root)
    assert 0.5 < spectrum[0] <= spectrum[-1] < 1.6
    assert not np.allclose(sketch.second, exact.second, rtol=1e-3)  # it did sample


def test_exact_null_directions_stay_null():
    X, w, _ = weighted(4000, 12, seed=1)
    X[:, 5] = 2.0 * X[:, 1] - 3.0 * X[:, 7] + 4.0  # an exact affine relation
    v = np.zeros(12)
    v[[5, 1, 7]] = 1.0, -2.0, 3.0
    sketch = as_design(X).moments(w, stride=9)
    assert abs(v @ sketch.second @ v) <= 1e-9 * np.trace(sketch.second)


def test_a_rare_column_keeps_its_exact_variance():
    X, w, _ = weighted(2000, 6, seed=2)
    X[:, 3] = 0.0
    X[[1, 502, 1203], 3] = 5.0  # none of them in the sample of every 4th row
    sketch = as_design(X).moments(w, stride=4)
    column = X[:, 3]
    variance = w @ (column - w @ column) ** 2
    np.testing.assert_allclose(sketch.second[3, 3], variance, rtol=1e-9)
    assert np.all(np.linalg.eigvalsh(sketch.second) > 0)


def test_blocks_whose_sample_carries_no_weight_take_every_row():
    X, w, _ = weighted(2000, 6, seed=3)
    w[::4] = 0.0
    np.testing.assert_allclose(as_design(X).moments(w, stride=4).second, as_design(X).moments(w).second,
                               rtol=1e-9, atol=1e-12)


def test_a_block_without_weight_is_no_division_by_zero(monkeypatch):
    monkeypatch.setattr(DenseDesign, "_block_bytes", 8 * 6 * 97)  # 97-row blocks, the first one weightless
    X, w, _ = weighted(2000, 6, seed=4)
    w[:97] = 0.0
    w /= w.sum()
    sketch = as_design(X).moments(w, stride=4)
    assert np.all(np.isfinite(sketch.second))
    np.testing.assert_allclose(np.diagonal(sketch.second), w @ (X - w @ X) ** 2, rtol=0.2)
