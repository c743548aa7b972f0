"""RowSum under awkward input (issue 20): sparse X with mm.dot (item 8), no rows (item 9), and a y one row
short (item 12). Numbers are held to numpy's lstsq and autograd on all rows at 1e-6 or better."""

import autograd.numpy as anp
import numpy as np
import pytest
import scipy.sparse as sp
from autograd import make_hvp, value_and_grad

import minimom as mm


def _squares(w, X, y):
    """The documented way to put sparse data in a loss: mm.dot."""
    return anp.sum((mm.dot(X, w) - y) ** 2)


@pytest.fixture(scope="module")
def sparse_data():
    rng = np.random.default_rng(0)
    X = sp.random(503, 6, density=0.3, format="csr", random_state=1) + sp.eye(503, 6, format="csr")
    y = X @ rng.standard_normal(6) + 0.01 * rng.standard_normal(503)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
@pytest.mark.parametrize("block_rows", [1, 64, None])
def test_sparse_rows_equal_the_loss_on_all_rows(sparse_data, fmt, block_rows):
    # Fails before the fix: y was cut into blocks but the sparse X passed whole, "operands could not be broadcast".
    X, y = sparse_data
    X = sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    w = np.linspace(-1.0, 1.0, 6)
    loss = mm.RowSum(_squares, block_rows=block_rows)
    value, gradient = value_and_grad(loss)(w, X, y)
    expected_value, expected_gradient = value_and_grad(_squares)(w, sp.csr_matrix(X), y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10)
    v = np.arange(6.0)
    np.testing.assert_allclose(make_hvp(loss)(w, X, y)[0](v), 2 * (X.T @ (X @ v)), rtol=1e-10)


def test_minimize_a_sparse_rowsum_matches_lstsq(sparse_data):
    X, y = sparse_data
    res = mm.minimize(mm.RowSum(_squares, mean=True, block_rows=100), np.zeros(6), args=(X, y), tol=1e-12)
    reference = np.linalg.lstsq(X.toarray(), y, rcond=None)[0]
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, reference, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda X: X[:0], lambda X: sp.csr_matrix(X[:0])], ids=["dense", "sparse"])
def test_no_rows_is_a_clear_value_error(make):
    # Fails before the fix: TypeError "'NoneType' object is not iterable".
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"RowSum got no rows: args\[0\] has shape \(0, 3\)"):
        mm.minimize(mm.RowSum(_squares), np.zeros(3), args=(make(X), np.ones(0)))


@pytest.mark.parametrize("block_rows", [10, None])
def test_a_y_one_row_short_names_the_argument_and_the_lengths(block_rows):
    # Fails before the fix: only numpy's "operands could not be broadcast together with shapes (10,) (98,)".
    rng = np.random.default_rng(0)
    X = rng.standard_normal((99, 3))
    y = X @ np.ones(3)
    loss = mm.RowSum(lambda w, X, y: anp.sum((X @ w - y) ** 2), block_rows=block_rows)
    with pytest.raises(ValueError, match=r"args\[0\]'s \(99 rows\).*args\[1\] has 98 rows") as info:
        mm.minimize(loss, np.zeros(3), args=(X, y[:-1]))
    assert "equal length" in str(info.value)


def test_an_argument_of_another_length_that_the_loss_uses_whole_still_works():
    """Passing a non-row array whole is a feature (weights per column): no error when the loss works."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    scale = np.array([1.0, 2.0, 4.0])  # 3 entries, passed whole to every block

    def loss(w, X, y, scale):
        return anp.sum((X @ (w * scale) - y) ** 2)

    res = mm.minimize(mm.RowSum(loss, block_rows=7), np.zeros(3), args=(X, y, scale), tol=1e-10)
    np.testing.assert_allclose(res.x * scale, [1.0, 2.0, 3.0], rtol=1e-6)
