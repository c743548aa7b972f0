"""The primal-dual active-set iterations on a lasso subproblem, against scikit-learn's Lasso."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from minimom.linear_model import _active_set


def _subproblem(seed, n=200, d=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X[:, :5] @ rng.standard_normal(5) + 0.5 * rng.standard_normal(n)
    return X, y, X.T @ X / n, X.T @ y / n  # 1/(2n)||y - Xw||^2 = 0.5 w'Hw - c'w + const


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_from_a_proximal_gradient_start_it_lands_on_scikit_learns_lasso(seed, positive):
    X, y, H, c = _subproblem(seed)
    alpha = 0.05 * float(np.max(np.abs(c)))
    reference = Lasso(alpha=alpha, fit_intercept=False, positive=positive, tol=1e-15, max_iter=100_000).fit(X, y)
    start = _active_set.proximal_gradient(H, c, alpha, positive, np.zeros(len(c)))
    found = _active_set.solve(H, c, alpha, positive, start)
    assert found is not None
    w, iterations, (order, factor) = found
    np.testing.assert_allclose(w, reference.coef_, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(w == 0, reference.coef_ == 0)
    np.testing.assert_allclose(factor @ factor.T, H[np.ix_(order, order)], rtol=0, atol=1e-12)
    assert iterations <= _active_set._MAX_ITER


def test_the_proximal_gradient_start_never_raises_the_objective():
    _, _, H, c = _subproblem(2)
    alpha = 0.1 * float(np.max(np.abs(c)))

    def objective(u):
        return 0.5 * u @ H @ u - c @ u + alpha * np.abs(u).sum()

    start = np.random.default_rng(3).standard_normal(len(c))
    assert objective(_active_set.proximal_gradient(H, c, alpha, False, start)) <= objective(start)


def test_a_singular_support_is_left_to_the_homotopy():
    H = np.ones((2, 2))  # two identical features: the system on both is singular
    assert _active_set.solve(H, np.array([1.0, 1.0]), 0.1, False, np.array([1.0, 1.0])) is None
